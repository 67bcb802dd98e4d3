// libFuzzer target `frame`: the worker frames as the server reads them from
// what a worker (and so a hostile program) writes: `FrameIO.readMessage`
// (a header frame and the raw parts it announces) then `WorkerMessage.decode`.
//
// Built by scripts/fuzz.sh with swiftc: the RuntimeJSON and WorkerFrames
// modules (every file of their folders, as Package.swift says) as libraries
// with one package name, then this file, which uses their `package` API.
//
// Each input is a byte stream: written whole into a pipe (resized to hold it,
// so the write never blocks on this one thread), the write end closed, then
// messages are read until end of file or the first error, as the server's
// reader thread does. Checked:
//   - nothing traps; a read ends with a message, end of file or a `Failure`;
//   - no frame is longer than `maximumSize` (the header is checked before
//     allocating; scripts/fuzz.sh also runs this target with a small
//     -malloc_limit_mb, so a big allocation is a crash);
//   - `readMessage` reads exactly what a plain model of the format reads from
//     the same bytes (below, `Model`): the same headers, the same parts,
//     failing where it fails and at the same message;
//   - `decode` never accepts what breaks the protocol's limits (names, warnings,
//     parts that are not JSON), and a message it accepts encodes (`frames`)
//     to frames that decode again and encode to the same bytes.

import Glibc
import RuntimeJSON
import WorkerFrames

/// Small on purpose: headers announcing more must be refused before anything is allocated.
private let frameLimit = 4096

/// fcntl's F_SETPIPE_SZ (F_LINUX_SPECIFIC_BASE + 7): Glibc hides it without _GNU_SOURCE.
private let setPipeSize: Int32 = 1024 + 7

@_cdecl("LLVMFuzzerTestOneInput")
public func frameDecoderFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input: [UInt8] = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else { fatalError("pipe: \(String(cString: strerror(errno)))") }
    let (readEnd, writeEnd) = (fds[0], fds[1])
    defer { close(readEnd) }

    // Make room for the whole input (up to /proc/sys/fs/pipe-max-size, 1 MiB by
    // default; libFuzzer's -max_len keeps inputs far below that).
    let capacity = Int(fcntl(writeEnd, setPipeSize, Int32(max(size, 4096))))
    let sent = capacity > 0 ? min(size, capacity) : min(size, 65536)
    var offset = 0
    while offset < sent {
        let written = input.withUnsafeBytes { raw -> Int in
            guard let base = raw.baseAddress else { return 0 }
            return write(writeEnd, base.advanced(by: offset), min(sent - offset, 4096))
        }
        if written < 0 {
            if errno == EINTR { continue }
            fatalError("write to the pipe: \(String(cString: strerror(errno)))")
        }
        offset += written
    }
    close(writeEnd)

    var model = Model(bytes: input[0..<sent])
    while true {
        let expected = model.next()
        let message: (header: JSONValue, parts: [[UInt8]])?
        do {
            message = try FrameIO.readMessage(from: readEnd, maximumSize: frameLimit)
        } catch {
            guard case .failure = expected else { fatalError("readMessage failed (\(error)) where the model reads \(expected)") }
            break  // refused or cut short: the server ends that worker
        }
        guard let message else {
            guard case .end = expected else { fatalError("readMessage saw the end where the model reads \(expected)") }
            break
        }
        guard case .message(let header, let parts) = expected, identical(header, message.header), parts == message.parts else {
            fatalError("readMessage read \(message.header.jsonString) with \(message.parts.count) parts where the model reads \(expected)")
        }
        guard parts.allSatisfy({ $0.count <= frameLimit }) else { fatalError("a part over the limit of \(frameLimit)") }
        // What the server does with a message.
        if case .success(let decoded) = WorkerMessage.decode(message.header, parts: message.parts) {
            check(decoded)
        }
    }
    return 0
}

/// A message the server accepted keeps the protocol's limits and encodes stably.
private func check(_ message: WorkerMessage) {
    switch message {
    case .ready(let name, let type):
        guard name.utf8.count <= WorkerMessage.maximumNameBytes, type.utf8.count <= WorkerMessage.maximumNameBytes else {
            fatalError("accepted a placeholder name or type over the limit")
        }
    case .warning(let text):
        guard text.utf8.count <= WorkerMessage.maximumWarningBytes else { fatalError("accepted a warning over the limit") }
    case .reply(_, .value(let value)):
        guard value.valueType.utf8.count <= WorkerMessage.maximumNameBytes else { fatalError("accepted a value type over the limit") }
        for fragment in [value.value, value.dtypes, value.categories, value.display].compactMap({ $0 }) { checkFragment(fragment) }
    case .reply(_, .result(let fragment)):
        checkFragment(fragment)
    default:
        break
    }
    let frames = message.frames
    guard let (header, parts) = deframe(frames) else { fatalError("the frames of an accepted message are not frames") }
    switch WorkerMessage.decode(header, parts: parts) {
    case .success(let again):
        guard again.frames == frames else {
            fatalError("an accepted message does not encode stably: \(header.jsonString) then \(deframe(again.frames).map { $0.0.jsonString } ?? "?")")
        }
    case .failure(let violation):
        fatalError("the frames of an accepted message are refused (\(violation)): \(header.jsonString)")
    }
}

/// A part the server passes on to a client unparsed must be JSON the client reads.
private func checkFragment(_ fragment: JSONFragment) {
    guard JSONValidator.isValid(fragment.bytes), (try? fragment.decoded()) != nil else {
        fatalError("accepted a reply part that is not JSON: \(fragment)")
    }
}

/// One message's frames in memory (no size limit): the header and the rest as parts.
private func deframe(_ bytes: [UInt8]) -> (JSONValue, [[UInt8]])? {
    var model = Model(bytes: bytes[...], maximumSize: Int.max)
    var frames: [[UInt8]] = []
    while case .frame(let body)? = model.frame() { frames.append(body) }
    guard model.offset == bytes.count, let first = frames.first, let header = try? JSONParser.parse(first) else { return nil }
    return (header, Array(frames.dropFirst()))
}

/// The frame format read the plain way, from bytes in memory: a 4-byte
/// big-endian length and that many bytes; a message is a header frame (a JSON
/// object) and as many frames as its `parts` array has elements (at most
/// `FrameProtocol.maximumParts`).
private struct Model {
    enum Outcome: CustomStringConvertible {
        case message(JSONValue, [[UInt8]])
        case end
        case failure

        var description: String {
            switch self {
            case .message(let header, let parts): return "\(header.jsonString) with \(parts.count) parts"
            case .end: return "the end"
            case .failure: return "a failure"
            }
        }
    }

    enum Frame { case frame([UInt8]), end, failure }

    let bytes: ArraySlice<UInt8>
    var offset: Int
    let maximumSize: Int

    init(bytes: ArraySlice<UInt8>, maximumSize: Int = frameLimit) {
        self.bytes = bytes
        self.offset = bytes.startIndex
        self.maximumSize = maximumSize
    }

    mutating func frame() -> Frame? {
        let left = bytes.endIndex - offset
        if left == 0 { return .end }
        guard left >= 4 else { return .failure }
        let length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
        guard length <= maximumSize, left - 4 >= length else { return .failure }
        offset += 4 + length
        return .frame(Array(bytes[(offset - length)..<offset]))
    }

    mutating func next() -> Outcome {
        guard case .frame(let body)? = frame() else { return bytes.endIndex == offset ? .end : .failure }
        guard let header = try? JSONParser.parse(body), case .object = header else { return .failure }
        guard let announced = header["parts"] else { return .message(header, []) }
        guard case .array(let names) = announced, names.count <= FrameProtocol.maximumParts else { return .failure }
        var parts: [[UInt8]] = []
        for _ in names {
            guard case .frame(let part)? = frame() else { return .failure }
            parts.append(part)
        }
        return .message(header, parts)
    }
}

/// Kind for kind, scalar for scalar.
private func identical(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case let (.bool(x), .bool(y)): return x == y
    case let (.int(x), .int(y)): return x == y
    case let (.bigInt(x), .bigInt(y)): return x == y
    case let (.double(x), .double(y)): return x == y || (x.isNaN && y.isNaN)
    case let (.string(x), .string(y)): return x.unicodeScalars.elementsEqual(y.unicodeScalars)
    case let (.array(x), .array(y)): return x.count == y.count && zip(x, y).allSatisfy { identical($0, $1) }
    case let (.object(x), .object(y)):
        return x.count == y.count
            && zip(x, y).allSatisfy { $0.0.unicodeScalars.elementsEqual($1.0.unicodeScalars) && identical($0.1, $1.1) }
    default: return false
    }
}
