import CPython
import Foundation
import Synchronization
import RuntimeJSON
import WorkerFrames

/// Serves the runtime's request frames (`get`, `stats`, `model`, `apply`) on a
/// few threads of their own, while the request reader keeps reading frames.
///
/// Why this shape: a read used to be served on the reader thread itself, so
/// a 14 s read blocked every later request of the session, and nothing could
/// reach it to stop it. Now
/// - the reader thread only reads frames: a `{"op": "cancel", "rid": N}`
///   frame sets the ``ReadCancellation`` of request N at once, whether it is
///   queued or being served;
/// - ``servingThreads`` threads take requests from a queue, so a small read
///   is served while a large one is still encoding;
/// - encoding holds the GIL, but its ``ReadBudget`` releases and retakes it
///   every few thousand elements: a second serving thread (or the program on
///   the main thread) waiting for the GIL gets it within CPython's switch
///   interval (5 ms), and the large read checks its cancellation flag and
///   deadline at the same points, so a cancelled or expired read ends within
///   about a millisecond of work and answers `LIMIT_EXCEEDED`.
/// Replies may leave in another order than requests came; the runtime matches
/// them by `rid`. Several threads rather than one keep a slow client's read
/// from delaying another's even before it is cancelled; a few rather than
/// many bound the memory of reads in flight.
final class WorkerRequestServer: Sendable {
    /// Requests served at once.
    static let servingThreads = 3

    private struct Job: Sendable {
        var request: WorkerRequest
        var rid: JSONValue
        var cancellation: ReadCancellation
        var receivedAt: Int64
    }

    private struct State {
        var queue: [Job] = []
        /// Every request queued or being served, by `rid`, for `cancel` frames.
        var inFlight: [JSONValue: [ReadCancellation]] = [:]
    }

    private let handler: WorkerRequestHandler
    private let channel: WorkerChannel
    private let state = Mutex(State())
    private let available = DispatchSemaphore(value: 0)

    init(handler: WorkerRequestHandler, channel: WorkerChannel) {
        self.handler = handler
        self.channel = channel
    }

    /// Starts the serving threads.
    func start() {
        for index in 0..<Self.servingThreads {
            let thread = Thread { [self] in serve() }
            thread.name = "runtime-requests-\(index)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Queues a request; its reply is sent to `rid` when it has been served.
    func submit(_ request: WorkerRequest, rid: JSONValue) {
        let job = Job(request: request, rid: rid, cancellation: ReadCancellation(),
                      receivedAt: MonotonicClock.nanoseconds())
        state.withLock { state in
            state.queue.append(job)
            if !job.rid.isNull { state.inFlight[job.rid, default: []].append(job.cancellation) }
        }
        available.signal()
    }

    /// Cancels the request with this `rid` if it is queued or being served;
    /// returns whether there was one. A request already answered is left alone.
    @discardableResult
    func cancel(rid: JSONValue) -> Bool {
        let found = state.withLock { $0.inFlight[rid] ?? [] }
        for cancellation in found { cancellation.cancel() }
        return !found.isEmpty
    }

    private func serve() {
        // One Python thread state for the thread's whole life: without it
        // every request would create and destroy one, and with it every
        // thread-local of the libraries the models use.
        _ = PyGILState_Ensure()
        _ = PyEval_SaveThread()
        while true {
            available.wait()
            guard let job = state.withLock({ $0.queue.isEmpty ? nil : $0.queue.removeFirst() }) else { continue }
            let reply = handler.handle(job.request, cancellation: job.cancellation, receivedAt: job.receivedAt)
            state.withLock { state in
                guard !job.rid.isNull, var waiting = state.inFlight[job.rid] else { return }
                waiting.removeAll { $0 === job.cancellation }
                state.inFlight[job.rid] = waiting.isEmpty ? nil : waiting
            }
            channel.send(reply, rid: job.rid)
        }
    }
}
