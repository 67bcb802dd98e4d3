import RuntimeJSON
import WorkerFrames

extension WorkerProcess {
    /// ``request(_:)``, answered by `limit` at the latest: when the worker has
    /// not replied by then (the program keeps the interpreter in a call in C,
    /// so the worker cannot even start on the request), the worker is told
    /// to cancel it, the caller gets `timeout`, and the worker's one reply,
    /// whenever it comes, is dropped. The worker's own deadline normally
    /// answers first; this one holds when the worker cannot.
    func request(_ request: WorkerRequest, giveUpAfter limit: Duration,
                 timeout: @escaping @Sendable () -> RuntimeError) async throws -> WorkerReply {
        let rid = nextRequestID()
        return try await withThrowingTaskGroup(of: WorkerReply?.self) { group in
            group.addTask { try await self.send(request, rid: rid) }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let reply = result { return reply }
                if Task.isCancelled { continue }  // the caller went away: the send's own cancellation runs
                cancelRequest(rid)
                let waiter = state.withLock { state in
                    let waiter = state.pending.removeValue(forKey: rid)
                    if waiter != nil { state.abandoned.insert(rid) }
                    return waiter
                }
                waiter?.resume(throwing: timeout())
            }
            throw Failure(description: "the request ended without a reply")
        }
    }
}
