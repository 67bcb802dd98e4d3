import RuntimeJSON
import WorkerFrames

// Requests to the worker and their replies: each request waits for its one
// reply (matched by `rid`), read where the reply channel's reader runs.
extension WorkerProcess {
    /// Sends a request that has no reply (`run`), queued for the writer.
    func send(_ request: WorkerRequest) throws(Failure) {
        guard !hasEnded else { throw Failure(description: "the worker process has ended") }
        do {
            try writer.enqueue(request)
        } catch {
            throw Failure(description: error.description)
        }
    }

    /// Sends a request (`rid` is added) and waits for its reply frame. When
    /// the calling task is cancelled (its client went away), the worker is
    /// told to stop the request (`cancel`); it then answers `LIMIT_EXCEEDED`.
    func request(_ request: WorkerRequest) async throws -> WorkerReply {
        try await send(request, rid: nextRequestID())
    }

    func nextRequestID() -> Int64 {
        state.withLock { state -> Int64 in
            defer { state.nextRequest += 1 }
            return state.nextRequest
        }
    }

    /// ``request(_:)`` with the request's number chosen by the caller.
    func send(_ request: WorkerRequest, rid: Int64) async throws -> WorkerReply {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let registered = state.withLock { state -> (idle: Bool, replies: ReplyChannel)? in
                    if state.ended { return nil }
                    let idle = state.pending.isEmpty && state.abandoned.isEmpty
                    state.pending[rid] = continuation
                    let replies = state.replies
                    if case .waiting = replies { state.replies = .starting }
                    return (idle, replies)
                }
                guard let registered else {
                    continuation.resume(throwing: Failure(description: "the worker process has ended"))
                    return
                }
                switch registered.replies {
                case .reading(let reading): reading.willSend(idle: registered.idle)
                case .waiting(let fd, let reader): startReplyReading(fd, with: reader)
                case .sameAsFrames, .readerThread, .starting, .closed: break
                }
                do {
                    try writer.enqueue(request, rid: rid)
                } catch {
                    if let waiting = state.withLock({ $0.pending.removeValue(forKey: rid) }) {
                        waiting.resume(throwing: Failure(description: "\(error)"))
                    }
                }
                if Task.isCancelled { cancelRequest(rid) }
            }
        } onCancel: {
            cancelRequest(rid)
        }
    }

    /// Starts `reader` on the reply channel `fd` (the state is `.starting`),
    /// once: from the first request's task, so that it can read where that
    /// task runs.
    private func startReplyReading(_ fd: Int32, with reader: any WorkerReplyReader) {
        let reading = reader.startReading(fd, for: self)
        let ended = state.withLock { state -> Bool in
            guard case .starting = state.replies else { return true }  // the worker ended meanwhile
            state.replies = .reading(reading)
            return false
        }
        if ended { reading.finish(grace: .zero) }
    }

    /// Takes a message read from the reply channel (a
    /// ``WorkerReplyReader``'s, at most ``FrameProtocol/maximumPipedReplyBytes``):
    /// hands a reply to the request that waits for it. Returns what is wrong
    /// with anything else; the reader then calls ``cutOff(_:)``.
    package func receiveReply(header: JSONValue, parts: [[UInt8]]) -> String? {
        switch WorkerMessage.decode(header, parts: parts) {
        case .success(.reply(let rid, let reply)):
            return deliver(reply, rid: rid)
        case .success:
            return "an event on the reply channel"
        case .failure(let violation):
            return violation.description
        }
    }

    /// Hands a reply to the request that waits for it. A request waits
    /// until its one reply comes (a cancelled one too: the worker answers
    /// it `LIMIT_EXCEEDED`), or the worker ends; a reply to none is forged
    /// (a second reply, or one to a request never made), and what is wrong
    /// is returned: so a worker sends no more replies than it is asked for.
    func deliver(_ reply: WorkerReply, rid: Int64) -> String? {
        let (waiter, wasAbandoned) = state.withLock { state in
            state.deadlines[rid] = nil
            return (state.pending.removeValue(forKey: rid), state.abandoned.remove(rid) != nil)
        }
        if let waiter {
            waiter.resume(returning: reply)
            return nil
        }
        return wasAbandoned ? nil : "a reply to request \(rid), which nothing waits for"
    }

    /// Ends a worker that broke the protocol (nothing it sends is trusted):
    /// reports `problem` as a violation and kills it.
    package func cutOff(_ problem: String) {
        continuation.yield(.violation(problem))
        kill()
    }

    /// Asks the worker to stop request `rid`, if it is still waited for.
    private func cancelRequest(_ rid: Int64) {
        guard state.withLock({ $0.pending[rid] != nil }) else { return }
        sendCancel(rid)
    }

    /// Tells the worker to stop request `rid`.
    func sendCancel(_ rid: Int64) {
        try? writer.enqueue(.cancel(rid: rid))
    }
}
