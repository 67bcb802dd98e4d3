import Glibc
import Synchronization
import RuntimeJSON
import WorkerFrames

/// The worker's side of the frame channel: writes frames to the runtime from
/// any thread (the main thread running Python, the request thread), and keeps
/// the per-run output budget.
///
/// A local worker's replies go on a pipe of their own, up to
/// ``FrameProtocol/maximumPipedReplyBytes``: the runtime reads them where
/// the request waits for them, apart from events; larger ones go on the
/// frame pipe. A remote worker's one connection carries everything.
final class WorkerChannel: Sendable {
    private struct Output {
        var cap = Int.max
        var written = 0
        var cut = false
    }

    private let fd: Int32
    private let writeLock = Mutex(())
    /// Where replies go (nil: the frame channel) and the lock ordering them.
    private let replyFD: Int32?
    private let replyLock = Mutex(())
    private let output = Mutex(Output())

    init(fd: Int32, replyFD: Int32? = nil) {
        self.fd = fd
        self.replyFD = replyFD
    }

    /// Sends one frame. A runtime that went away ends the worker.
    func send(_ message: WorkerMessage) {
        send(frames: message.frames)
    }

    /// Sends a reply to `rid` (null for a request that had none).
    func send(_ reply: WorkerReply, rid: JSONValue) {
        let frames = reply.frames(rid: rid)
        if let replyFD, frames.count <= FrameProtocol.maximumPipedReplyBytes {
            Self.write(frames, to: replyFD, under: replyLock)
        } else {
            send(frames: frames)
        }
    }

    /// Sends encoded frames in one piece: a message's parts never
    /// interleave with another thread's frames.
    private func send(frames: [UInt8]) {
        Self.write(frames, to: fd, under: writeLock)
    }

    private static func write(_ frames: [UInt8], to fd: Int32, under lock: borrowing Mutex<Void>) {
        lock.withLock { _ in
            do {
                try FrameIO.write(bytes: frames, to: fd)
            } catch {
                _exit(0)
            }
        }
    }

    func setOutputCap(_ bytes: Int) {
        output.withLock { $0 = Output(cap: max(0, bytes), written: 0, cut: false) }
    }

    /// Sends program output, cutting it (with one marker) once the run's cap is reached.
    func sendOutput(stream: WorkerMessage.OutputStream, text: String) {
        let (allowed, marker): (String?, Bool) = output.withLock { state in
            if state.cut { return (nil, false) }
            let size = text.utf8.count
            if state.written + size <= state.cap {
                state.written += size
                return (text, false)
            }
            let room = state.cap - state.written
            state.written = state.cap
            state.cut = true
            var prefix = Substring(text).utf8.prefix(room)
            // Cut on a character boundary.
            while String(prefix) == nil, !prefix.isEmpty { prefix = prefix.dropLast() }
            return (String(prefix), true)
        }
        if let allowed, allowed.utf8.count <= FrameProtocol.maximumOutputTextBytes {
            if !allowed.isEmpty { send(.output(stream: stream, text: allowed, truncated: false)) }
        } else if let allowed {
            // The server reads headers of a bounded size: long writes go in
            // pieces, cut between characters' UTF-8 sequences.
            let bytes = Array(allowed.utf8)
            var start = 0
            while start < bytes.count {
                var end = min(bytes.count, start + FrameProtocol.maximumOutputTextBytes)
                while end < bytes.count, end > start + 1, bytes[end] & 0xC0 == 0x80 { end -= 1 }
                send(.output(stream: stream, text: String(decoding: bytes[start..<end], as: UTF8.self), truncated: false))
                start = end
            }
        }
        if marker {
            let cap = output.withLock { $0.cap }
            send(.output(stream: stream, text: "\n[output truncated: this run's output passed its cap of \(cap) bytes]\n",
                         truncated: true))
        }
    }
}
