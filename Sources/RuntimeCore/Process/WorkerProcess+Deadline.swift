import Dispatch
import RuntimeJSON
import WorkerFrames

/// When a request that must be answered in time is given up on, and the
/// error its caller then gets.
struct RequestDeadline {
    let at: DispatchTime
    let timeout: @Sendable () -> RuntimeError
}

extension WorkerProcess {
    /// ``request(_:)``, answered within `limit` at the latest: when the
    /// worker has not replied by then (the program keeps the interpreter in a
    /// call in C, so the worker cannot even start on the request), it is told
    /// to cancel the request, the caller gets `timeout()`, and the worker's
    /// one reply, whenever it comes, is dropped. The worker's own deadline
    /// normally answers first; this one holds when the worker cannot.
    ///
    /// One dispatch timer per worker serves every deadline (a sleeping task
    /// per request would hold its timer until the deadline, even cancelled).
    func request(_ request: WorkerRequest, giveUpAfter limit: Duration,
                 timeout: @escaping @Sendable () -> RuntimeError) async throws -> WorkerReply {
        let rid = nextRequestID()
        let at = DispatchTime.now() + .milliseconds(WorkerReadRequest.milliseconds(limit))
        state.withLock { state in
            guard !state.ended else { return }
            state.deadlines[rid] = RequestDeadline(at: at, timeout: timeout)
            armDeadlineTimer(&state, for: at)
        }
        defer { state.withLock { _ = $0.deadlines.removeValue(forKey: rid) } }
        return try await send(request, rid: rid)
    }

    /// Makes the timer fire at `at`, unless it fires earlier already.
    private func armDeadlineTimer(_ state: inout State, for at: DispatchTime) {
        if let fires = state.deadlineTimerFires, fires <= at { return }
        let timer: any DispatchSourceTimer
        if let existing = state.deadlineTimer {
            timer = existing
        } else {
            timer = DispatchSource.makeTimerSource(queue: .global())
            timer.setEventHandler { [weak self] in self?.giveUpOverdueRequests() }
            timer.activate()
            state.deadlineTimer = timer
        }
        timer.schedule(deadline: at, leeway: .milliseconds(10))
        state.deadlineTimerFires = at
    }

    /// The timer fired: every request past its deadline is given up on
    /// (moved from pending to abandoned, so its late reply is no forgery),
    /// and the timer is set for the next deadline.
    private func giveUpOverdueRequests() {
        let now = DispatchTime.now()
        let overdue = state.withLock { state -> [(rid: Int64, waiter: CheckedContinuation<WorkerReply, any Error>, error: RuntimeError)] in
            state.deadlineTimerFires = nil
            var overdue: [(rid: Int64, waiter: CheckedContinuation<WorkerReply, any Error>, error: RuntimeError)] = []
            var next: DispatchTime?
            for (rid, deadline) in state.deadlines {
                guard deadline.at <= now else {
                    next = min(next ?? deadline.at, deadline.at)
                    continue
                }
                state.deadlines[rid] = nil
                if let waiter = state.pending.removeValue(forKey: rid) {
                    state.abandoned.insert(rid)
                    overdue.append((rid, waiter, deadline.timeout()))
                }
            }
            if let next { armDeadlineTimer(&state, for: next) }
            return overdue
        }
        for (rid, waiter, error) in overdue {
            sendCancel(rid)
            waiter.resume(throwing: error)
        }
    }

    /// Ends the deadline timer (the worker has ended).
    func stopDeadlines(_ state: inout State) {
        state.deadlines = [:]
        state.deadlineTimer?.cancel()
        state.deadlineTimer = nil
        state.deadlineTimerFires = nil
    }
}
