import Foundation
import Glibc
import Synchronization
import RuntimeJSON
import WorkerFrames

/// Writes a worker's request frames from a thread of its own, so that a
/// worker that stops reading (a program that stopped itself, or is busy in C)
/// never blocks a thread of Swift's cooperative pool, which has one thread per
/// core: callers only queue. What the worker has not read is bounded in bytes;
/// past the bound a new frame is refused (one frame is always accepted when
/// nothing is waiting). The writer alone owns the descriptor and closes it,
/// so its number is never written to after it could name another file.
final class RequestWriter: Sendable {
    struct Refused: Error, CustomStringConvertible {
        var description: String
    }

    private struct State {
        var queue: [[UInt8]] = []
        var queuedBytes = 0
        var closing = false
    }

    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let limit: Int

    /// Starts the writer thread for `fd`, which it owns from now on.
    init(fd: Int32, limit: Int, name: String) {
        self.limit = limit
        let thread = Thread { [self] in write(to: fd) }
        thread.name = name
        thread.start()
    }

    /// Queues a frame for the worker.
    func enqueue(_ request: WorkerRequest, rid: Int64? = nil) throws(Refused) {
        let frame = request.frames(rid: rid)
        try state.withLock { state throws(Refused) in
            guard !state.closing else { throw Refused(description: "the request channel is closed") }
            guard state.queue.isEmpty || state.queuedBytes + frame.count <= limit else {
                throw Refused(description: "the worker has left \(state.queuedBytes) bytes of requests unread")
            }
            state.queue.append(frame)
            state.queuedBytes += frame.count
        }
        wake.signal()
    }

    /// Drops what is queued and closes the channel (the worker reads its end).
    func close() {
        state.withLock { $0.closing = true }
        wake.signal()
    }

    private func write(to fd: Int32) {
        while true {
            wake.wait()
            while let frame = next() {
                do {
                    try FrameIO.write(bytes: frame, to: fd)
                } catch {
                    state.withLock { $0.closing = true }  // the worker is gone
                    break
                }
            }
            if state.withLock({ $0.closing }) {
                Glibc.close(fd)
                return
            }
        }
    }

    private func next() -> [UInt8]? {
        state.withLock { state in
            guard !state.closing, !state.queue.isEmpty else { return nil }
            let frame = state.queue.removeFirst()
            state.queuedBytes -= frame.count
            return frame
        }
    }
}
