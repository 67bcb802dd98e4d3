import RuntimeJSON
import WorkerFrames

// Requests a session's worker answers: reading placeholders, and the
// results of models, statistics and calls.
extension WorkerSession {
    /// Why a read finds no worker: the run is still queued, or it ended
    /// before one took it (no worker could start, or it was stopped).
    func whyNoWorker() -> String {
        guard state.status.hasEnded else { return "the run has not started" }
        if let error = state.error { return "the run \(state.status.rawValue) before it started (\(error.type): \(error.message))" }
        return "the run was \(state.status.rawValue) before it started"
    }

    func placeholders() -> [any Placeholder] {
        state.placeholders.map { SessionPlaceholder(session: self, name: $0.name, valueType: $0.valueType) }
    }

    nonisolated func readPlaceholder(named name: String, window: RowWindow?) async throws(RuntimeError) -> PlaceholderValue {
        try await readPlaceholder(named: name, window: window, options: ValueReadOptions())
    }

    nonisolated func readPlaceholder(named name: String, window: RowWindow?,
                                     options: ValueReadOptions) async throws(RuntimeError) -> PlaceholderValue {
        guard let worker = assignedWorker.withLock({ $0 }) else {
            throw RuntimeError(.placeholderNotFound, "No placeholder or global named '\(name)': \(await whyNoWorker())")
        }
        try await checkValuesKept(worker)
        var read = WorkerReadRequest(name: name, window: window.map { .init(begin: $0.begin, size: $0.size) },
                                     maxRows: configuration.defaultRowCap,
                                     deadlineMilliseconds: configuration.readTimeLimit.map(WorkerReadRequest.milliseconds))
        read.exact = options.exact
        read.format = options.format.rawValue
        read.displayBytes = configuration.displayByteLimit
        let key = EncodedValueCache.Key(session: id, read: read)
        if let kept = values.value(for: key) { return PlaceholderValue(name: name, encoded: kept) }
        // Once the run has ended the worker says whether the value may be
        // kept, and whether the read ran code of the program.
        read.keep = values.capacity > 0 && runEnded.load(ordering: .acquiring)
        let ticket = values.begin(in: id)
        let reply: WorkerReply
        do throws(RuntimeError) {
            reply = try await call(worker, .read(read), giveUpAfter: configuration.readTimeLimit)
        } catch {
            values.end(ticket, ranProgramCode: true)
            throw error
        }
        guard case .value(let encoded) = reply else {
            values.end(ticket, ranProgramCode: true)
            throw RuntimeError(.internalError, "the worker answered a read with something else than a value")
        }
        if read.keep { values.store(encoded, for: key, ticket: ticket) }
        values.end(ticket, ranProgramCode: !read.keep || encoded.ranProgramCode)
        return PlaceholderValue(name: name, encoded: encoded)
    }

    /// Sends a request to the session's worker and returns its encoded result.
    nonisolated func workerResult(_ request: WorkerRequest) async throws(RuntimeError) -> JSONFragment {
        guard let worker = assignedWorker.withLock({ $0 }) else {
            throw RuntimeError(.placeholderNotFound, "\(await whyNoWorker()): nothing is saved")
        }
        try await checkValuesKept(worker)
        // A model, statistics or a function of the client's choice may run
        // code of the program, which may change any value.
        let ticket = values.begin(in: id)
        defer { values.end(ticket, ranProgramCode: true) }
        guard case .result(let result) = try await call(worker, request) else {
            throw RuntimeError(.internalError, "the worker answered with something else than a result")
        }
        return result
    }

    /// Throws, naming the reason, when the worker holding the values is gone.
    nonisolated func checkValuesKept(_ worker: WorkerProcess) async throws(RuntimeError) {
        guard worker.isUnreachable else { return }
        let lost = await lostReason(default: "the session's worker process has ended")
        throw RuntimeError(.placeholderNotFound, "the session's values were lost: \(lost)")
    }

    func lostReason(default fallback: String) -> String {
        state.valuesLost ?? verdict ?? fallback
    }

    /// Sends a request to the worker and unwraps its reply.
    nonisolated func call(_ worker: WorkerProcess, _ request: WorkerRequest,
                          giveUpAfter limit: Duration? = nil) async throws(RuntimeError) -> WorkerReply {
        let reply: WorkerReply
        do {
            if let limit {
                // The worker stops a read at the limit itself, when it can run
                // at all; a second later the server answers without it.
                reply = try await worker.request(request, giveUpAfter: limit + .seconds(1)) {
                    RuntimeError(.limitExceeded, "the read ran past its time cap of \(WorkerReadRequest.milliseconds(limit)) ms: "
                                 + "the worker did not answer in time (the program may be holding the interpreter in a call in C that keeps the GIL)")
                }
            } else {
                reply = try await worker.request(request)
            }
        } catch let error as RuntimeError {
            throw error
        } catch {
            throw RuntimeError(.internalError, "the session's worker is not available: \(error)", cause: error)
        }
        if case .failure(var error) = reply {
            // "Not found" after a failed run: the failure is why, more often than not.
            if error.code == .placeholderNotFound, let failure = await runFailure() {
                error.message += " (the run failed: \(failure))"
            }
            throw error
        }
        return reply
    }

    /// `Type: message` of the run's failure, when it failed.
    func runFailure() -> String? {
        guard state.status == .failed, let error = state.error else { return nil }
        return "\(error.type): \(error.message.cut(toBytes: 300))"
    }
}
