// libFuzzer target `worker-request`: the worker's reading of the server's
// requests, `WorkerRequest.decode(_:parts:)`, on any header and parts.
//
// Built by scripts/fuzz.sh with swiftc: the RuntimeJSON and WorkerFrames
// modules (every file of their folders, as Package.swift says) as libraries
// with one package name, then this file, which uses their `package` API.
//
// Each input is read as frames (a 4-byte big-endian length and that many
// bytes, as `FrameIO.frames(header:parts:)` writes them): the first is the
// header, parsed with `JSONParser`, the next ones (at most
// `FrameProtocol.maximumParts`) are the parts, whatever the header announces.
// When the input is not such frames, or the header is not JSON, the whole
// input is the header and there are no parts. Checked:
//   - `decode` returns a request or throws `INVALID_REQUEST` with a message;
//     it never traps;
//   - a request encodes (`frames(rid:)`) to frames that decode to the same
//     request;
//   - inline model data is valid JSON; a read's counts are never negative,
//     its deadline is positive, and `rows(total:)` is a range inside the
//     table for any table size.
// Anything else stops the run with `fatalError` (a crash for libFuzzer).

import RuntimeJSON
import WorkerFrames

@_cdecl("LLVMFuzzerTestOneInput")
public func workerRequestFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes: [UInt8] = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let header: JSONValue
    var parts: [[UInt8]] = []
    if let frames = frames(bytes), let first = frames.first, let parsed = try? JSONParser.parse(first) {
        header = parsed
        parts = Array(frames.dropFirst().prefix(FrameProtocol.maximumParts))
    } else if let parsed = try? JSONParser.parse(bytes) {
        header = parsed
    } else {
        return 0
    }

    let request: WorkerRequest
    do {
        request = try WorkerRequest.decode(header, parts: parts)
    } catch {
        guard error.code == .invalidRequest, !error.message.isEmpty else {
            fatalError("decode threw \(error.code) (\(error.message)), not INVALID_REQUEST with a message")
        }
        return 0
    }
    check(request)

    // What the server would send for this request reads back as the same request.
    let rid: Int64 = if case .int(let rid)? = header["rid"] { rid } else { 7 }
    let encoded = request.frames(rid: rid)
    guard let again = frames(encoded), let first = again.first, let reheader = try? JSONParser.parse(first) else {
        fatalError("the frames of a request are not frames of a JSON header")
    }
    let reread: WorkerRequest
    do {
        reread = try WorkerRequest.decode(reheader, parts: Array(again.dropFirst()))
    } catch {
        fatalError("the frames of a request are refused (\(error.message)): \(reheader.jsonString)")
    }
    guard reread == request else {
        fatalError("a request reads back as another: \(request) became \(reread) through \(reheader.jsonString)")
    }
    return 0
}

private func check(_ request: WorkerRequest) {
    switch request {
    case .model(let order):
        if let data = order.data, !JSONValidator.isValid(data.bytes) || (try? data.decoded()) == nil {
            fatalError("accepted model data that is not JSON: \(data)")
        }
    case .read(let read):
        guard read.maxRows >= 0, read.displayBytes >= 0 else { fatalError("accepted a negative count: \(read)") }
        if let deadline = read.deadlineMilliseconds, deadline <= 0 { fatalError("accepted a deadline of \(deadline) ms") }
        if let window = read.window, window.begin < 0 || window.size < 0 { fatalError("accepted a negative window: \(read)") }
        for total in [0, 1, 5, 1000, Int.max] {
            let rows = read.rows(total: total)
            guard rows.lowerBound >= 0, rows.upperBound <= total else { fatalError("rows(total: \(total)) of \(read) is \(rows)") }
        }
    default:
        break
    }
}

/// The frames the bytes are made of, or nil when they are not whole frames.
private func frames(_ bytes: [UInt8]) -> [[UInt8]]? {
    var frames: [[UInt8]] = []
    var offset = 0
    while offset < bytes.count {
        guard bytes.count - offset >= 4 else { return nil }
        let length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
        guard bytes.count - offset - 4 >= length else { return nil }
        frames.append(Array(bytes[(offset + 4)..<(offset + 4 + length)]))
        offset += 4 + length
    }
    return frames
}
