import CPython
import Foundation
import Synchronization
import RuntimeJSON
import WorkerFrames

/// Reads the runtime's request frames and serves them (`get`, `stats`,
/// `model`, `apply`) on a few threads, one of which is always reading.
///
/// Why this shape:
/// - One thread always reads frames (the leader), so a
///   `{"op": "cancel", "rid": N}` frame sets the ``ReadCancellation`` of
///   request N at once, whether it is queued or being served.
/// - Up to ``servingThreads`` requests are served at once, so a small read is
///   served while a large one is still encoding; encoding holds the GIL, but
///   its ``ReadBudget`` releases and retakes it every few thousand elements
///   and checks its cancellation flag and deadline at the same points, so a
///   cancelled or expired read ends within about a millisecond of work and
///   answers `LIMIT_EXCEEDED`.
/// - Leader and followers: the thread that read a request serves it itself
///   when another thread is free to take over the reading (it wakes one to
///   lead), so a request is not handed from a reading thread to a serving one
///   on its way (a thread wake-up less per request). When all others are
///   serving, the leader queues the request and keeps reading; the next
///   thread done serving takes it.
/// Replies may leave in another order than requests came; the runtime matches
/// them by `rid`. A few threads rather than many bound the memory of reads in flight.
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
        /// A thread is reading frames.
        var leading = false
        /// Threads serving a request now.
        var serving = 0
    }

    private let handler: WorkerRequestHandler
    private let channel: WorkerChannel
    private let router: WorkerRequestRouter
    private let state = Mutex(State())
    /// Signalled when there may be a queued request or no leader.
    private let available = DispatchSemaphore(value: 0)

    init(fd: Int32, handler: WorkerRequestHandler, channel: WorkerChannel, runs: RunMailbox) {
        self.handler = handler
        self.channel = channel
        self.router = WorkerRequestRouter(fd: fd, channel: channel, runs: runs)
    }

    /// Starts the threads: the serving threads and one more, so one always reads.
    func start() {
        for index in 0...Self.servingThreads {
            let thread = Thread { [self] in work() }
            thread.name = "runtime-requests-\(index)"
            thread.stackSize = 8 << 20
            thread.start()
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

    private enum Role { case serve(Job), lead }

    private func work() {
        // One Python thread state for the thread's whole life: without it
        // every request would create and destroy one, and with it every
        // thread-local of the libraries the models use.
        _ = PyGILState_Ensure()
        _ = PyEval_SaveThread()
        while true {
            available.wait()
            while let role = nextRole() {
                switch role {
                case .serve(let job):
                    serve(job)
                case .lead:
                    if let job = lead() { serve(job) }
                }
            }
        }
    }

    /// A queued request to serve, else the reading if nobody reads; nil: wait.
    private func nextRole() -> Role? {
        state.withLock { state in
            if !state.queue.isEmpty, state.serving < Self.servingThreads {
                state.serving += 1
                return .serve(state.queue.removeFirst())
            }
            guard !state.leading else { return nil }
            state.leading = true
            return .lead
        }
    }

    /// Reads frames until a request can be served by this thread (another
    /// thread is free to read on): returns it. Requests that cannot are queued.
    private func lead() -> Job? {
        while true {
            let (request, rid) = router.nextRequest(cancel: { cancel(rid: $0) })
            let job = Job(request: request, rid: rid, cancellation: ReadCancellation(),
                          receivedAt: MonotonicClock.nanoseconds())
            let servesItself: Bool = state.withLock { state in
                if !job.rid.isNull { state.inFlight[job.rid, default: []].append(job.cancellation) }
                // This thread, the serving ones and one free to read; what
                // was queued before goes first.
                guard state.serving < Self.servingThreads, state.queue.isEmpty else {
                    state.queue.append(job)
                    return false
                }
                state.leading = false
                state.serving += 1
                return true
            }
            if servesItself {
                available.signal()  // another thread takes over the reading
                return job
            }
        }
    }

    private func serve(_ job: Job) {
        let reply = handler.handle(job.request, cancellation: job.cancellation, receivedAt: job.receivedAt)
        state.withLock { state in
            guard !job.rid.isNull, var waiting = state.inFlight[job.rid] else { return }
            waiting.removeAll { $0 === job.cancellation }
            state.inFlight[job.rid] = waiting.isEmpty ? nil : waiting
        }
        channel.send(reply, rid: job.rid)
        // Only now: a thread sending a large reply still counts as serving.
        state.withLock { $0.serving -= 1 }
    }
}
