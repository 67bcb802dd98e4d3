import Foundation
import Logging
import Synchronization

/// The default ``Session``: one program run in one worker process.
actor WorkerSession: Session {
    nonisolated let id: String
    /// The session's working folder, holding the program's files.
    nonisolated let directory: URL

    private let program: Program
    private let configuration: RuntimeConfiguration
    private let logger: Logger
    private var state: SessionState
    private var worker: WorkerProcess? {
        didSet { assignedWorker.withLock { [worker] in $0 = worker } }
    }
    /// The same worker, readable without hopping onto the actor (for requests).
    private nonisolated let assignedWorker = Mutex<WorkerProcess?>(nil)
    private var subscribers: [Int: AsyncStream<SessionEvent>.Continuation] = [:]
    private var nextSubscriber = 0
    private var endWaiters: [CheckedContinuation<SessionSnapshot, Never>] = []
    private var stopRequested = false
    private var memoryVerdict: String?
    private var holdsSlot = false
    private var slots: RunSlots?

    init(id: String, directory: URL, program: Program, configuration: RuntimeConfiguration, logger: Logger) {
        self.id = id
        self.directory = directory
        self.program = program
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "session"] = "\(id)"
        self.logger = logger
        var state = SessionState(sessionId: id)
        _ = state.accepted()
        self.state = state
    }

    // MARK: Running

    /// Waits for a run slot and a worker, runs the program, and follows the
    /// worker's events until it ends. Returns when the worker process is gone.
    func execute(pool: WorkerPool, slots: RunSlots) async {
        self.slots = slots
        guard await slots.acquire(id) else { return }
        holdsSlot = true
        guard state.status == .queued else { releaseSlot(); return }
        state.began()
        let worker: WorkerProcess
        do {
            worker = try await pool.take()
        } catch {
            finish(.failed, error: ProgramError(type: "RuntimeUnavailable", message: "no worker could be started: \(error.message)"))
            return
        }
        self.worker = worker
        if stopRequested {
            finish(.stopped)
            return
        }
        do {
            try worker.send(["op": "run", "directory": .string(directory.path), "main": .string(program.mainFile),
                             "outputCap": .int(Int64(configuration.outputCapBytes))])
        } catch {
            finish(.failed, error: .workerCrashed("the worker could not be reached: \(error)"))
        }
        if let limit = configuration.memoryLimitBytes {
            Task { await self.watchMemory(of: worker, limit: limit) }
        }
        for await event in worker.events {
            handle(event)
        }
    }

    private func handle(_ event: WorkerEvent) {
        switch event {
        case .placeholderReady(let name, let valueType):
            publish(state.placeholderSaved(name: name, valueType: valueType))
        case .output(let stream, let text, let truncated):
            publish(state.output(stream: stream == "stderr" ? .stderr : .stdout, text: text, truncated: truncated))
        case .finished:
            finish(stopRequested ? .stopped : .finished)
        case .failed(let json):
            finish(stopRequested ? .stopped : .failed, error: ProgramError(json: json))
        case .exited(let exit):
            guard !state.status.hasEnded else {
                logger.debug("worker ended", metadata: ["exit": "\(exit)"])
                return
            }
            if stopRequested {
                finish(.stopped, killed: true)
            } else if let memoryVerdict {
                finish(.failed, error: .workerCrashed(memoryVerdict))
            } else {
                finish(.failed, error: .workerCrashed("the worker process \(exit)"))
            }
        }
    }

    private func finish(_ outcome: SessionStatus, error: ProgramError? = nil, killed: Bool = false) {
        guard let event = state.ended(outcome, error: outcome == .failed ? error : nil, killed: killed) else { return }
        publish(event)
        for continuation in subscribers.values { continuation.finish() }
        subscribers = [:]
        let snapshot = state.snapshot()
        for waiter in endWaiters { waiter.resume(returning: snapshot) }
        endWaiters = []
        releaseSlot()
    }

    private func releaseSlot() {
        guard holdsSlot, let slots else { return }
        holdsSlot = false
        Task { await slots.release() }
    }

    private func publish(_ event: SessionEvent?) {
        guard let event else { return }
        for continuation in subscribers.values { continuation.yield(event) }
    }

    /// Kills the worker when its resident memory passes the limit while running.
    private func watchMemory(of worker: WorkerProcess, limit: Int) async {
        while state.status == .running, !worker.hasEnded {
            if let resident = ProcessMemory.residentBytes(of: worker.pid), resident > limit {
                memoryVerdict = "the worker passed its memory limit of \(limit >> 20) MiB (resident \(resident >> 20) MiB) and was killed"
                worker.kill()
                return
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    // MARK: Session

    func snapshot() -> SessionSnapshot { state.snapshot() }

    func events(after: Int?) -> AsyncStream<SessionEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: SessionEvent.self, bufferingPolicy: .unbounded)
        if let after {
            for event in state.events where event.sequence > after { continuation.yield(event) }
        }
        if state.status.hasEnded {
            continuation.finish()
        } else {
            let key = nextSubscriber
            nextSubscriber += 1
            subscribers[key] = continuation
            continuation.onTermination = { _ in Task { await self.unsubscribe(key) } }
        }
        return stream
    }

    private func unsubscribe(_ key: Int) { subscribers[key] = nil }

    func waitUntilEnded() async -> SessionSnapshot {
        if state.status.hasEnded { return state.snapshot() }
        return await withCheckedContinuation { endWaiters.append($0) }
    }

    func stop() async -> SessionSnapshot {
        switch state.status {
        case .queued:
            stopRequested = true
            finish(.stopped)
            if let slots { await slots.cancel(id) }
            return state.snapshot()
        case .running:
            stopRequested = true
            guard let worker else { return await waitUntilEnded() }  // execute() ends it once it has a worker
            worker.interrupt()
            let grace = configuration.stopGracePeriod
            let escalation = Task {
                try await Task.sleep(for: grace)
                self.killIfRunning()
            }
            let snapshot = await waitUntilEnded()
            escalation.cancel()
            return snapshot
        default:
            return state.snapshot()
        }
    }

    private func killIfRunning() {
        if state.status == .running { worker?.kill() }
    }

    func placeholders() -> [any Placeholder] {
        state.placeholders.map { SessionPlaceholder(session: self, name: $0.name, valueType: $0.valueType) }
    }

    nonisolated func readPlaceholder(named name: String, window: RowWindow?) async throws(RuntimeError) -> PlaceholderValue {
        guard let worker = assignedWorker.withLock({ $0 }) else {
            throw RuntimeError(.placeholderNotFound, "No placeholder or global named '\(name)': the run has not started")
        }
        var request: [(String, JSONValue)] = [("op", "get"), ("name", .string(name)),
                                              ("maxRows", .int(Int64(configuration.defaultRowCap)))]
        if let window {
            request.append(("window", ["begin": .int(Int64(window.begin)), "size": .int(Int64(window.size))]))
        }
        let result = try await call(worker, .object(request))
        let windowInfo = result["window"].map {
            PlaceholderValue.Window(begin: $0["begin"]?.intValue ?? 0, size: $0["size"]?.intValue ?? 0, max: $0["max"]?.intValue ?? 0)
        }
        return PlaceholderValue(name: name, valueType: result["valueType"]?.stringValue ?? "object",
                                value: result["value"] ?? .null, window: windowInfo,
                                truncated: result["truncated"]?.boolValue ?? false,
                                rowCount: result["rowCount"]?.intValue)
    }

    /// Sends a request (`{"op": ...}`) to the session's worker and returns the
    /// reply's result; for ``ModelInvoker`` and ``StatsEngine`` implementations.
    nonisolated func workerRequest(_ request: JSONValue) async throws(RuntimeError) -> JSONValue {
        guard let worker = assignedWorker.withLock({ $0 }) else {
            throw RuntimeError(.placeholderNotFound, "the run has not started: nothing is saved yet")
        }
        return try await call(worker, request)
    }

    /// Sends a request to the worker and unwraps its reply.
    private nonisolated func call(_ worker: WorkerProcess, _ request: JSONValue) async throws(RuntimeError) -> JSONValue {
        let reply: JSONValue
        do {
            reply = try await worker.request(request)
        } catch {
            throw RuntimeError(.internalError, "the session's worker is not available: \(error)")
        }
        guard reply["ok"]?.boolValue == true else {
            let code = RuntimeError.Code(rawValue: reply["error"]?["code"]?.stringValue ?? "") ?? .internalError
            let message = reply["error"]?["message"]?.stringValue ?? "the worker could not serve the request"
            let programError = reply["error"]?["error"].map(ProgramError.init(json:))
            throw RuntimeError(code, message, programError: programError)
        }
        return reply["result"] ?? .null
    }

    // MARK: Ending

    /// Stops the run if it is going and ends the worker process.
    func close() async {
        if !state.status.hasEnded { _ = await stop() }
        if let worker { await worker.terminate() }
    }
}

extension WorkerSession {
    /// The pid of the worker process, once the run has one.
    func workerProcessID() -> Int32? { worker?.pid }
}
