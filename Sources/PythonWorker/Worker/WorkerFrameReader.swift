import Glibc
import Synchronization
import RuntimeJSON
import WorkerFrames

/// Reads the runtime's request frames on the worker's side (4-byte big-endian
/// length, then UTF-8 JSON), telling a frame the worker must answer as
/// malformed apart from the end of the channel.
///
/// It reads what the pipe holds in one system call (up to 64 KiB) and keeps
/// what is past the frame for the next one: a request and its parts cost one
/// read, not one per length and body. One thread reads at a time (the
/// request threads' leader); any thread may ask ``hasWaitingBytes``.
///
/// Unlike ``FrameIO/read(from:)``, a frame whose body is not JSON, or whose
/// announced length is over the limit, does not end the worker: the length
/// keeps the stream in step (an oversized body is read and dropped in small
/// pieces, never allocated), and the frame is answered with an error.
final class WorkerFrameReader: Sendable {
    /// What the next read found.
    enum Incoming {
        /// A request frame's header and the raw parts that followed it.
        case frame(JSONValue, parts: [[UInt8]])
        /// A frame that could not be decoded, and why.
        case malformed(String)
        /// The runtime closed the channel, or it failed.
        case end
    }

    /// Bytes read past the last frame taken.
    private struct Buffered {
        var bytes: [UInt8] = []
        var start = 0
        var count: Int { bytes.count - start }
    }

    let fd: Int32
    /// The largest body accepted.
    let maximumFrameSize: Int
    private let buffered = Mutex(Buffered())
    private static let chunk = 64 << 10

    init(fd: Int32, maximumFrameSize: Int = FrameIO.maximumFrameSize) {
        self.fd = fd
        self.maximumFrameSize = maximumFrameSize
    }

    /// Whether bytes are waiting to be read now (or the channel has ended).
    var hasWaitingBytes: Bool {
        if buffered.withLock({ $0.count > 0 }) { return true }
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
        guard let header = take(4) else { return .end }
        let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
        guard length <= maximumFrameSize else {
            guard discard(length) else { return .end }
            return .malformed("a request frame of \(length) bytes is over the limit of \(maximumFrameSize)")
        }
        guard let body = take(length) else { return .end }
        return .body(body)
    }

    /// `count` bytes: what is buffered first, then from the pipe; nil when
    /// the channel ends first. What is left to take once it is a chunk or
    /// more is read straight into the result; less, a chunk is read and the
    /// rest kept.
    private func take(_ count: Int) -> [UInt8]? {
        var ended = false
        let result = [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
            guard let base = out.baseAddress else { return }
            var filled = takeBuffered(count, into: base)
            while filled < count {
                let wanted = count - filled
                if wanted >= Self.chunk {
                    let got = readSome(into: base + filled, count: wanted)
                    guard got > 0 else { ended = true; break }
                    filled += got
                    continue
                }
                let chunk = readChunk()
                guard !chunk.isEmpty else { ended = true; break }
                let used = min(wanted, chunk.count)
                chunk.withUnsafeBufferPointer { bytes in
                    if let source = bytes.baseAddress { (base + filled).update(from: source, count: used) }
                }
                filled += used
                if chunk.count > used { buffered.withLock { $0 = Buffered(bytes: chunk, start: used) } }
            }
            initialized = filled
        }
        return ended ? nil : result
    }

    /// Moves up to `count` buffered bytes to `destination`; returns how many.
    private func takeBuffered(_ count: Int, into destination: UnsafeMutablePointer<UInt8>) -> Int {
        buffered.withLock { buffered in
            let taken = min(count, buffered.count)
            guard taken > 0 else { return 0 }
            buffered.bytes.withUnsafeBufferPointer { bytes in
                if let source = bytes.baseAddress { destination.update(from: source + buffered.start, count: taken) }
            }
            buffered.start += taken
            if buffered.count == 0 { buffered = Buffered() }
            return taken
        }
    }

    /// What one read from the pipe gives, up to a chunk; empty at its end or on an error.
    private func readChunk() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: Self.chunk) { buffer, initialized in
            initialized = buffer.baseAddress.map { readSome(into: $0, count: Self.chunk) } ?? 0
        }
    }

    /// One read from the pipe, retried when interrupted: how many bytes it
    /// gave, 0 at its end or on an error.
    private func readSome(into destination: UnsafeMutablePointer<UInt8>, count: Int) -> Int {
        while true {
            let got = Glibc.read(fd, destination, count)
            if got < 0 && errno == EINTR { continue }
            return max(0, got)
        }
    }

    /// Reads and drops `length` bytes (what is buffered first, then a chunk at a time).
    private func discard(_ length: Int) -> Bool {
        var remaining = length
        buffered.withLock { buffered in
            let dropped = min(remaining, buffered.count)
            buffered.start += dropped
            remaining -= dropped
            if buffered.count == 0 { buffered = Buffered() }
        }
        while remaining > 0 {
            let chunk = readChunk()
            guard !chunk.isEmpty else { return false }
            if chunk.count > remaining {
                buffered.withLock { $0 = Buffered(bytes: chunk, start: remaining) }
                return true
            }
            remaining -= chunk.count
        }
        return true
    }
}
