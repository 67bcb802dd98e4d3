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
/// nothing is waiting). The writer alone closes the descriptor, so its
/// number is never written to after it could name another file.
///
/// The common case takes no thread hop: when nothing is queued or being
/// written, the caller writes the frame itself, without blocking (the pipe
/// is non-blocking, and the write happens under the lock that orders every
/// write); only what the pipe does not take at once goes to the thread.
final class RequestWriter: Sendable {
    struct Refused: Error, CustomStringConvertible {
        var description: String
    }

    private struct State {
        var queue: [[UInt8]] = []
        var queuedBytes = 0
        var closing = false
        /// The writer thread is writing a frame it took from the queue.
        var writing = false
    }

    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let limit: Int
    private let fd: Int32

    /// Starts the writer thread for `fd`, which it owns from now on (and
    /// makes non-blocking).
    init(fd: Int32, limit: Int, name: String) {
        self.limit = limit
        self.fd = fd
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let thread = Thread { [self] in write(to: fd) }
        thread.name = name
        thread.start()
    }

    /// Sends a frame to the worker: at once when the pipe takes it, else queued.
    func enqueue(_ request: WorkerRequest, rid: Int64? = nil) throws(Refused) {
        let frame = request.frames(rid: rid)
        let queued = try state.withLock { state throws(Refused) -> Bool in
            guard !state.closing else { throw Refused(description: "the request channel is closed") }
            var rest = frame[...]
            if state.queue.isEmpty && !state.writing {
                switch Self.writeSome(rest, to: fd) {
                case .failed:
                    state.closing = true  // the worker is gone; the thread closes the descriptor
                    return true
                case .wrote(let count):
                    rest = rest.dropFirst(count)
                    if rest.isEmpty { return false }
                }
            } else if state.queuedBytes + frame.count > limit {
                throw Refused(description: "the worker has left \(state.queuedBytes) bytes of requests unread")
            }
            state.queue.append(Array(rest))
            state.queuedBytes += rest.count
            return true
        }
        if queued { wake.signal() }
    }

    private enum Written { case wrote(Int), failed }

    /// Writes what the pipe takes now, without blocking.
    private static func writeSome(_ bytes: ArraySlice<UInt8>, to fd: Int32) -> Written {
        var total = 0
        while total < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                Glibc.write(fd, raw.baseAddress.map { $0 + total }, raw.count - total)
            }
            if written > 0 { total += written; continue }
            if written < 0 && errno == EINTR { continue }
            if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { break }
            return .failed
        }
        return .wrote(total)
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
                let delivered = writeAll(frame, to: fd)
                state.withLock { state in
                    state.writing = false
                    if !delivered { state.closing = true }  // the worker is gone
                }
                if !delivered { break }
            }
            if state.withLock({ $0.closing }) {
                Glibc.close(fd)
                return
            }
        }
    }

    /// Writes a whole frame, waiting for the pipe to take it (this thread may block).
    private func writeAll(_ frame: [UInt8], to fd: Int32) -> Bool {
        var rest = frame[...]
        while !rest.isEmpty {
            switch Self.writeSome(rest, to: fd) {
            case .failed: return false
            case .wrote(let count):
                rest = rest.dropFirst(count)
                if !rest.isEmpty {
                    var probe = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&probe, 1, -1)
                }
            }
        }
        return true
    }

    private func next() -> [UInt8]? {
        state.withLock { state in
            guard !state.closing, !state.queue.isEmpty else { return nil }
            let frame = state.queue.removeFirst()
            state.queuedBytes -= frame.count
            state.writing = true
            return frame
        }
    }
}
