import CPython
import Foundation
import Synchronization
import RuntimeJSON
import WorkerFrames

/// Reads the runtime's request frames and serves them (`get`, `stats`,
/// `model`, `apply`) on a few threads, one of which holds the reading.
///
/// Why this shape:
/// - One thread holds the reading (the leader), so a
///   `{"op": "cancel", "rid": N}` frame sets the ``ReadCancellation`` of
///   request N promptly, whether it is queued or being served.
/// - Up to ``servingThreads`` requests are served at once, so a small read is
///   served while a large one is still encoding; encoding holds the GIL, but
///   its ``ReadBudget`` releases and retakes it every few thousand elements
///   and checks its cancellation flag and deadline at the same points, so a
///   cancelled or expired read ends within about a millisecond of work and
///   answers `LIMIT_EXCEEDED`.
/// - Leader and followers: the thread that read a request serves it itself
///   when another thread is free to take over the reading, so a request is
///   not handed from a reading thread to a serving one on its way (a thread
///   wake-up less per request). When all others are serving, the leader
///   queues the request and keeps reading; the next thread done serving takes it.
/// - The reading is handed over late: the leader keeps the reading while it
///   serves, and reads again when done, so a short request wakes no other
///   thread. A ``OneShotTimer`` is armed for ``handoverNanoseconds`` when a
///   stretch of held readings begins (the reading had caught up: no frame
///   waiting), and disarmed when the reading catches up again. So a burst of
///   short requests is served back to back for that long at most. When the
///   timer expires, a free thread takes the reading and the threads hand it
///   over at once (as above) until it has caught up: frames that came
///   meanwhile (a `cancel`, other requests) are read about that long after
///   the stretch began, however many are waiting. Without a working timer
///   (none could be made, its thread did not start, or reading it failed),
///   every handover is at once.
/// Replies may leave in another order than requests came; the runtime matches
/// them by `rid`. A few threads rather than many bound the memory of reads in flight.
final class WorkerRequestServer: Sendable {
    /// Requests served at once.
    static let servingThreads = 3
    /// How long a stretch of held readings lasts at most before another
    /// thread takes over the reading: 0.5 ms, far longer than a small read or
    /// a one-row model call, and short beside any cancel a person sends.
    static let handoverNanoseconds: Int64 = 500_000

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
        /// A thread holds the reading: it is reading frames, or serving a
        /// request it read (``heldBy``).
        var leading = false
        /// The thread (its index) serving the request it read, which reads
        /// again once done, unless the handover timer passed the reading on
        /// first.
        var heldBy: Int?
        /// The timer passed a held reading on, and frames may be waiting:
        /// handovers are at once until a read finds none waiting.
        var catchingUp = false
        /// The handover thread runs and its timer works: only then is a
        /// reading held. Set by that thread itself.
        var handoverReady = false
        /// The timer is armed (or its expiry not yet handled) for the
        /// present stretch of held readings.
        var timerRunning = false
        /// Threads serving a request now.
        var serving = 0
    }

    private let handler: WorkerRequestHandler
    private let channel: WorkerChannel
    private let router: WorkerRequestRouter
    private let state = Mutex(State())
    /// Signalled when there may be a queued request or no leader.
    private let available = DispatchSemaphore(value: 0)
    /// Passes a held reading on (armed and disarmed only under `state`'s
    /// lock); nil when the kernel gave none.
    private let timer = OneShotTimer()

    init(reader: WorkerFrameReader, handler: WorkerRequestHandler, channel: WorkerChannel, runs: RunMailbox) {
        self.handler = handler
        self.channel = channel
        self.router = WorkerRequestRouter(reader: reader, channel: channel, runs: runs)
    }

    /// Starts the threads: the serving threads and one more, so one is
    /// always free to read; the thread that hands a held reading over; and
    /// the ``ReadWatchdog``'s.
    func start() {
        ReadWatchdog.shared.start()
        for index in 0...Self.servingThreads {
            let thread = Thread { [self] in work(index) }
            thread.name = "runtime-requests-\(index)"
            thread.stackSize = 8 << 20
            thread.start()
        }
        if let timer {
            let watcher = Thread { [self] in watchHandovers(timer) }
            watcher.name = "runtime-handover"
            watcher.stackSize = 256 << 10
            watcher.start()
        }
        available.signal()
    }

    /// Cancels the request with this `rid` if it is queued or being served;
    /// returns whether there was one. A request already answered is left alone.
    @discardableResult
    func cancel(rid: JSONValue) -> Bool {
        let found = state.withLock { $0.inFlight[rid] ?? [] }
        for cancellation in found { cancellation.cancel() }
        if !found.isEmpty { ReadWatchdog.shared.poke() }
        return !found.isEmpty
    }

    private enum Role { case serve(Job), lead }

    private func work(_ index: Int) {
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
                    leadAndServe(index)
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

    /// Reads and serves requests while this thread (`index`) holds the
    /// reading; returns once the reading was handed over.
    private func leadAndServe(_ index: Int) {
        while let job = lead(index) {
            serve(job)
            guard readAgain(index) else { return }
        }
    }

    /// Reads frames until a request can be served by this thread (another
    /// thread is free to read on): returns it. Requests that cannot are queued.
    private func lead(_ index: Int) -> Job? {
        while true {
            let (request, rid) = router.nextRequest(cancel: { cancel(rid: $0) })
            let job = Job(request: request, rid: rid, cancellation: ReadCancellation(),
                          receivedAt: MonotonicClock.nanoseconds())
            let waiting = router.hasWaitingFrames
            let outcome: LeadOutcome = state.withLock { state in
                if !waiting { state.catchingUp = false }
                if !job.rid.isNull { state.inFlight[job.rid, default: []].append(job.cancellation) }
                // This thread, the serving ones and one free to read; what
                // was queued before goes first.
                guard state.serving < Self.servingThreads, state.queue.isEmpty else {
                    state.queue.append(job)
                    return .queued
                }
                state.serving += 1
                guard state.handoverReady, !state.catchingUp, let timer else {
                    state.leading = false
                    return .serveHandingOver
                }
                state.heldBy = index
                // A stretch begins when the reading has caught up; while
                // frames wait, the stretch's timer keeps running.
                if !state.timerRunning || !waiting {
                    timer.arm(nanoseconds: Self.handoverNanoseconds)
                    state.timerRunning = true
                }
                return .serveHolding
            }
            switch outcome {
            case .queued:
                continue
            case .serveHandingOver:
                available.signal()  // another thread takes over the reading
                return job
            case .serveHolding:
                return job
            }
        }
    }

    private enum LeadOutcome { case queued, serveHandingOver, serveHolding }

    /// After serving a request it read: whether this thread still holds the
    /// reading (the timer did not pass it on meanwhile). The timer keeps
    /// running while frames wait: a burst is served back to back only until
    /// it expires.
    private func readAgain(_ index: Int) -> Bool {
        let caughtUp = !router.hasWaitingFrames
        return state.withLock { state in
            guard state.heldBy == index else { return false }
            state.heldBy = nil
            if caughtUp, state.timerRunning {
                timer?.disarm()
                state.timerRunning = false
            }
            return true
        }
    }

    /// The handover thread: each expiry passes a held reading to a free
    /// thread. Readings are held only once it runs.
    private func watchHandovers(_ timer: OneShotTimer) {
        state.withLock { $0.handoverReady = true }
        while timer.waitForExpiry() {
            handOverHeldReading()
        }
        // The timer broke: hand over at once from now on, and now.
        state.withLock { $0.handoverReady = false }
        handOverHeldReading()
    }

    private func handOverHeldReading() {
        let handOver = state.withLock { state -> Bool in
            state.timerRunning = false
            guard state.heldBy != nil else { return false }  // done in time, or an expiry of before
            state.heldBy = nil
            state.leading = false
            state.catchingUp = true
            return true
        }
        if handOver { available.signal() }
    }

    private func serve(_ job: Job) {
        let reply = handler.handle(job.request, cancellation: job.cancellation, receivedAt: job.receivedAt)
        // A model or function that forked (os.fork) returns here in the
        // copy too: only the worker's own process answers.
        if WorkerContext.inForkedChild { _exit(0) }
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
