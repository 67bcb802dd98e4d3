import Glibc
import RuntimeJSON

/// Length-prefixed frames over a file descriptor: a 4-byte big-endian
/// length, then that many bytes. Used in both directions between the
/// runtime and its worker processes.
///
/// A message is a header frame (a JSON object) followed by as many raw
/// frames as its `parts` field names (at most ``FrameProtocol/maximumParts``):
/// encoded values travel as raw parts, so neither side parses them to pass
/// them on.
package enum FrameIO {
    /// The largest frame either side accepts.
    package static let maximumFrameSize = 1 << 30

    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    /// A message's frames: the header, then each part, each with its length.
    package static func frames(header: JSONValue, parts: [[UInt8]] = []) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 256)
        writer.append([0, 0, 0, 0])
        writer.write(header)
        var bytes = writer.bytes
        setLength(&bytes, at: 0, bytes.count - 4)
        for part in parts {
            let start = bytes.count
            bytes.append(contentsOf: [0, 0, 0, 0])
            setLength(&bytes, at: start, part.count)
            bytes.append(contentsOf: part)
        }
        return bytes
    }

    private static func setLength(_ bytes: inout [UInt8], at index: Int, _ length: Int) {
        let n = UInt32(clamping: length)
        bytes[index] = UInt8(n >> 24)
        bytes[index + 1] = UInt8((n >> 16) & 0xFF)
        bytes[index + 2] = UInt8((n >> 8) & 0xFF)
        bytes[index + 3] = UInt8(n & 0xFF)
    }

    /// Reads one message: its header frame (a JSON object) and the raw parts
    /// it announces. Nil at end of file. The header is checked against
    /// `maximumHeaderSize` (it is parsed into a tree), every part against
    /// `maximumSize`, and the whole message (its frames, lengths included)
    /// against `maximumMessageSize`, before anything is allocated.
    package static func readMessage(from fd: Int32, maximumSize: Int = maximumFrameSize, maximumHeaderSize: Int? = nil,
                                    maximumMessageSize: Int = .max) throws(Failure) -> (header: JSONValue, parts: [[UInt8]])? {
        let headerLimit = min(maximumSize, maximumHeaderSize ?? maximumSize, maximumMessageSize - 4)
        guard let body = try readBody(from: fd, maximumSize: headerLimit) else { return nil }
        var total = 4 + body.count
        let (header, partCount) = try header(from: body)
        var parts: [[UInt8]] = []
        for _ in 0..<partCount {
            let room = maximumMessageSize - total - 4
            guard room >= 0 else { throw Failure(description: "a message over the limit of \(maximumMessageSize) bytes") }
            guard let part = try readBody(from: fd, maximumSize: min(maximumSize, room)) else { throw Failure(description: "frame cut short") }
            total += 4 + part.count
            parts.append(part)
        }
        return (header, parts)
    }

    /// Parses a message's header frame: a JSON object, and how many raw
    /// parts it announces (at most ``FrameProtocol/maximumParts``). For
    /// readers that split frames themselves (an event loop's).
    package static func header(from body: [UInt8]) throws(Failure) -> (header: JSONValue, partCount: Int) {
        let header: JSONValue
        do {
            header = try JSONParser.parse(body)
        } catch {
            throw Failure(description: "a frame that is not a JSON object")
        }
        guard case .object = header else { throw Failure(description: "a frame that is not a JSON object") }
        guard let announced = header["parts"] else { return (header, 0) }
        guard let names = announced.arrayValue, names.count <= FrameProtocol.maximumParts else {
            throw Failure(description: "a frame announcing more than \(FrameProtocol.maximumParts) parts")
        }
        return (header, names.count)
    }

    /// Writes encoded frames, retrying partial writes and interrupted calls.
    package static func write(bytes frame: [UInt8], to fd: Int32) throws(Failure) {
        let failure: Int32? = frame.withUnsafeBytes { buffer in
            guard var pointer = buffer.baseAddress else { return nil }
            var remaining = buffer.count
            while remaining > 0 {
                let written = Glibc.write(fd, pointer, remaining)
                if written < 0 {
                    if errno == EINTR { continue }
                    if errno == EAGAIN || errno == EWOULDBLOCK {
                        var wait = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                        _ = poll(&wait, 1, -1)
                        continue
                    }
                    return errno
                }
                remaining -= written
                pointer = pointer.advanced(by: written)
            }
            return nil
        }
        if let failure {
            throw Failure(description: "write failed: \(String(cString: strerror(failure)))")
        }
    }

    /// Reads one frame's bytes; nil at end of file (the other side closed).
    ///
    /// The length is checked against `maximumSize` before anything is
    /// allocated, and the buffer grows only as bytes arrive, so a header
    /// that promises more than is sent costs nothing.
    package static func readBody(from fd: Int32, maximumSize: Int = maximumFrameSize) throws(Failure) -> [UInt8]? {
        var header = [UInt8](repeating: 0, count: 4)
        guard try readExactly(fd, into: &header) else { return nil }
        let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
        guard length <= maximumSize else {
            throw Failure(description: "a frame of \(length) bytes is over the limit of \(maximumSize)")
        }
        var body: [UInt8] = []
        let step = 1 << 20
        while body.count < length {
            var chunk = [UInt8](repeating: 0, count: min(step, length - body.count))
            guard try readExactly(fd, into: &chunk) else { throw Failure(description: "frame cut short") }
            body.append(contentsOf: chunk)
        }
        return body
    }

    private static func readExactly(_ fd: Int32, into buffer: inout [UInt8]) throws(Failure) -> Bool {
        var filled = 0
        let count = buffer.count
        while filled < count {
            let got = buffer.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc.read(fd, base.advanced(by: filled), count - filled)
            }
            if got < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    // A socket shared with a non-blocking writer (a remote
                    // worker's one connection): wait for the rest.
                    var wait = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    _ = poll(&wait, 1, -1)
                    continue
                }
                throw Failure(description: "read failed: \(String(cString: strerror(errno)))")
            }
            if got == 0 {
                if filled == 0 { return false }
                throw Failure(description: "frame cut short")
            }
            filled += got
        }
        return true
    }
}
