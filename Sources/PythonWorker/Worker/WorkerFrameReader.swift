import Glibc
import RuntimeJSON
import WorkerFrames

/// Reads the runtime's request frames on the worker's side (4-byte big-endian
/// length, then UTF-8 JSON), telling a frame the worker must answer as
/// malformed apart from the end of the channel.
///
/// Unlike ``FrameIO/read(from:)``, a frame whose body is not JSON, or whose
/// announced length is over the limit, does not end the worker: the length
/// keeps the stream in step (an oversized body is read and dropped in small
/// pieces, never allocated), and the frame is answered with an error.
struct WorkerFrameReader {
    /// What the next read found.
    enum Incoming {
        /// A request frame's header and the raw parts that followed it.
        case frame(JSONValue, parts: [[UInt8]])
        /// A frame that could not be decoded, and why.
        case malformed(String)
        /// The runtime closed the channel, or it failed.
        case end
    }

    let fd: Int32
    /// The largest body accepted.
    var maximumFrameSize = FrameIO.maximumFrameSize

    /// Whether bytes are waiting to be read now (or the channel has ended).
    var hasWaitingBytes: Bool {
        var probe = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&probe, 1, 0) > 0
    }

    func next() -> Incoming {
        let header: JSONValue
        switch nextBody() {
        case .end: return .end
        case .malformed(let reason): return .malformed(reason)
        case .body(let body):
            do {
                header = try JSONParser.parse(body)
            } catch {
                return .malformed("the request frame is not JSON: \(error)")
            }
        }
        let count = header["parts"]?.arrayValue?.count ?? 0
        guard count <= FrameProtocol.maximumParts else { return .malformed("a request frame announcing \(count) parts") }
        var parts: [[UInt8]] = []
        for _ in 0..<count {
            switch nextBody() {
            case .end: return .end
            case .malformed(let reason): return .malformed(reason)
            case .body(let body): parts.append(body)
            }
        }
        return .frame(header, parts: parts)
    }

    private enum Body {
        case body([UInt8])
        case malformed(String)
        case end
    }

    private func nextBody() -> Body {
        var header = [UInt8](repeating: 0, count: 4)
        guard case .complete = fill(&header) else { return .end }
        let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
        guard length <= maximumFrameSize else {
            guard discard(length) else { return .end }
            return .malformed("a request frame of \(length) bytes is over the limit of \(maximumFrameSize)")
        }
        var body = [UInt8](repeating: 0, count: length)
        guard case .complete = fill(&body) else { return .end }
        return .body(body)
    }

    private enum Fill { case complete, ended }

    private func fill(_ buffer: inout [UInt8]) -> Fill {
        let count = buffer.count
        var filled = 0
        while filled < count {
            let got = buffer.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc.read(fd, base.advanced(by: filled), count - filled)
            }
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { return .ended }
            filled += got
        }
        return .complete
    }

    /// Reads and drops `length` bytes, 64 KiB at a time.
    private func discard(_ length: Int) -> Bool {
        var remaining = length
        var scratch = [UInt8](repeating: 0, count: 64 << 10)
        while remaining > 0 {
            let wanted = min(remaining, scratch.count)
            let got = scratch.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc.read(fd, base, wanted)
            }
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { return false }
            remaining -= got
        }
        return true
    }
}
