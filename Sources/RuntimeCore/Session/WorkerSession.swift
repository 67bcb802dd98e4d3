import Foundation
import Logging
import Synchronization
import RuntimeJSON
import WorkerFrames

/// The default ``Session``: one program run in one worker process.
actor WorkerSession: Session {
    nonisolated let id: String
    /// The session's working folder, holding the program's files.
    nonisolated let directory: URL

    private let program: Program
    let configuration: RuntimeConfiguration
    private let logger: Logger
    private(set) var state: SessionState
    private var worker: WorkerProcess? {
        didSet { assignedWorker.withLock { [worker] in $0 = worker } }
    }
    /// The same worker, readable without hopping onto the actor (for requests).
    nonisolated let assignedWorker = Mutex<WorkerProcess?>(nil)
    private var subscribers: [Int: AsyncStream<SessionEvent>.Continuation] = [:]
    private var nextSubscriber = 0
    private var endWaiters: [CheckedContinuation<SessionSnapshot, Never>] = []
    private var stopRequested = false
    /// Why the worker was ended by the runtime (a limit, a protocol violation).
    private(set) var verdict: String?
    private var violated = false
    private let executionEnded = Promise<Void>()
    /// Set while the session is being deleted: its worker's end loses nothing.
    private var closing = false
    private var holdsSlot = false
    private var slots: RunSlots?
    /// What the run asked its node to have (remote placement).
    private let resources: WorkerResources?
    /// Values read after the run ended, kept by the runtime (shared by its sessions).
    nonisolated let values: EncodedValueCache
    /// Set once the run has ended: the program's main thread is done.
    nonisolated let runEnded = Atomic<Bool>(false)

    init(id: String, directory: URL, program: Program, configuration: RuntimeConfiguration, logger: Logger,
         resources: WorkerResources? = nil, values: EncodedValueCache) {
        self.id = id
        self.values = values
        self.resources = resources
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
        defer { executionEnded.fulfil(()) }
        self.slots = slots
        guard await slots.acquire(id) else {
            // Stopped while queued (already ended), or the runtime is shutting down.
            if state.status == .queued { finish(.stopped) }
            return
        }
        holdsSlot = true
        guard state.status == .queued else { releaseSlot(); return }
        // The slot came just as the runtime began to shut down: no worker.
        if stopRequested {
            finish(.stopped)
            return
        }
        state.began()
        let worker: WorkerProcess
        do {
            worker = try await pool.take(resources: resources)
        } catch {
            // A stop (or the runtime's shutdown) while waiting for a worker
            // ends the run stopped; anything else is a failure to start.
            if stopRequested {
                finish(.stopped)
            } else {
                finish(.failed, error: ProgramError(type: "RuntimeUnavailable", message: "no worker could be started: \(error.message)"))
            }
            return
        }
        if stopRequested {
            self.worker = worker
            finish(.stopped)
            return
        }
        do {
            worker.assign(folder: directory)
            try SessionFolder.handOver(directory, to: worker.uid)
            worker.attachOutput(cap: configuration.outputCapBytes)
            state.node = worker.node
            // A remote worker cannot see this machine's folder: its files go with the run.
            let files = worker.remote == nil ? [] : program.files.map {
                WorkerRequest.ProgramFileOrder(path: $0.filename, contents: Array($0.content.utf8))
            }
            // The run frame goes first: requests can only follow it.
            try worker.send(.run(.init(directory: directory.path, mainFile: program.mainFile,
                                       outputCap: configuration.outputCapBytes,
                                       readable: configuration.modelInvoker.readableFolders.map(\.path), files: files)))
        } catch {
            self.worker = worker
            finish(.failed, error: .workerCrashed("the worker could not be given its run: \(error)"))
            worker.kill()
        }
        self.worker = worker
        let watch = Task { await self.watchResources(of: worker) }
        for await event in worker.events {
            handle(event)
        }
        watch.cancel()
    }

    private func handle(_ event: WorkerEvent) {
        if violated {
            guard case .exited = event else { return }  // once cut off, only its end counts
        }
        if event.isRecorded, state.events.count >= configuration.maximumEvents, !state.status.hasEnded {
            protocolViolation("more than \(configuration.maximumEvents) events")
            return
        }
        switch event {
        case .placeholderReady(let name, let valueType):
            guard state.placeholders.count < configuration.maximumPlaceholders
                || state.placeholders.contains(where: { $0.name == name })
            else {
                // The worker keeps the value (its memory is the session's);
                // the list here stays bounded.
                publish(state.placeholderNotListed(cap: configuration.maximumPlaceholders))
                return
            }
            // Placeholder events get the other half of the event log (less
            // room for the run's start and end, the output's cut marker and
            // the two placeholder notices), and a byte budget for their names.
            publish(state.placeholderSaved(name: name, valueType: valueType, eventCap: configuration.maximumEvents / 2 - 5,
                                           byteCap: configuration.maximumPlaceholderEventBytes))
        case .output(let stream, let text, let truncated):
            // Output gets half the event log; the rest stays for placeholders
            // and the run's end, so printing never cuts a worker off.
            for event in state.output(stream: stream == .stderr ? .stderr : .stdout, text: text, truncated: truncated,
                                      cap: configuration.outputCapBytes, eventCap: configuration.maximumEvents / 2) {
                publish(event)
            }
        case .finished:
            finish(stopRequested ? .stopped : .finished)
        case .failed(let error):
            finish(stopRequested ? .stopped : .failed, error: error)
        case .limitReached(let reason):
            verdict = verdict ?? reason
        case .warning(let message):
            logger.warning("session containment weakened: the kernel refused a measure", metadata: ["measure": "\(message.quotedForMessage(limit: 4096))"])
        case .violation(let problem):
            logger.error("worker broke the frame protocol and was cut off", metadata: ["problem": "\(problem.quotedForMessage(limit: 4096))"])
            verdict = verdict ?? "the worker broke the runtime's frame protocol (\(problem)) and was cut off"
            violated = true
        case .exited(let exit):
            if verdict == nil, let kills = worker?.memoryKills, kills > 0, let limit = configuration.memoryLimitBytes {
                verdict = "the session passed its memory limit of \(limit >> 20) MiB: the kernel killed its process"
            }
            let reason = verdict ?? "the worker process \(exit)"
            guard !state.status.hasEnded else {
                if !closing { state.lost(reason) }
                logger.debug("worker ended", metadata: ["exit": "\(exit)"])
                return
            }
            // The run ends with its worker: what it saved went too.
            if !closing { state.lost(stopRequested && !violated ? "the run was stopped by killing its worker process" : reason) }
            if stopRequested && !violated {
                finish(.stopped, killed: true)
            } else if violated {
                finish(.failed, error: ProgramError(type: "WorkerProtocolViolation", message: reason))
            } else {
                finish(.failed, error: .workerCrashed(reason))
            }
        }
    }

    /// Cuts off a worker whose frames break the parent's limits.
    private func protocolViolation(_ problem: String) {
        guard !violated, let worker else { return }
        handle(.violation(problem))
        worker.kill()
    }

    private func finish(_ outcome: SessionStatus, error: ProgramError? = nil, killed: Bool = false) {
        guard let event = state.ended(outcome, error: outcome == .failed ? error : nil, killed: killed) else { return }
        runEnded.store(true, ordering: .releasing)
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

    /// Enforces the memory limit for the session's whole life, on all of its
    /// processes: the kernel's cgroup limit where there is one (the watch
    /// then only notices that it struck), else the resident memory of the
    /// worker's process tree.
    private func watchResources(of worker: WorkerProcess) async {
        // A remote worker's memory is its node's business (Docs/Scale-out.md).
        guard let limit = configuration.memoryLimitBytes, worker.remote == nil else { return }
        let period: Duration = worker.cgroup != nil ? .milliseconds(100) : .milliseconds(50)
        while !worker.hasEnded, !Task.isCancelled {
            if let cgroup = worker.cgroup {
                if cgroup.memoryKills() > 0 {
                    verdict = "the session passed its memory limit of \(limit >> 20) MiB: the kernel killed one of its processes, and the session was ended"
                    worker.kill()
                    return
                }
            } else {
                let resident = ProcessMemory.treeResidentBytes(of: worker.pid)
                if resident > limit {
                    verdict = "the session passed its memory limit of \(limit >> 20) MiB (resident \(resident >> 20) MiB) and was killed"
                    worker.kill()
                    return
                }
            }
            try? await Task.sleep(for: period)
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
            // Whatever the program started dies with the stop; the worker
            // itself stays to serve the values saved before it.
            worker.killChildren()
            return snapshot
        default:
            // The run has ended, but what it started may live on (a
            // subprocess nobody waited for, a pool's workers, a copy still
            // printing): a stop ends those too, and keeps the worker and
            // the values it serves. The reply is the session's status, as before.
            worker?.killChildren()
            return state.snapshot()
        }
    }

    /// The runtime is shutting down: a run that has not ended is to end
    /// stopped, also when its wait for a worker is cut short.
    func prepareForShutdown() {
        if !state.status.hasEnded { stopRequested = true }
    }

    private func killIfRunning() {
        if state.status == .running { worker?.kill() }
    }

    // MARK: Ending

    /// Stops the run if it is going and ends the worker process.
    func close() async {
        closing = true
        values.forget(id)
        if !state.status.hasEnded { _ = await stop() }
        if let worker { await worker.terminate() }
    }
}

extension WorkerSession {
    /// The pid of the worker process, once the run has one.
    func workerProcessID() -> Int32? { worker?.pid }

    /// Returns once the session has handled its worker's end.
    func waitForWorkerEnd() async { await executionEnded.value }
}
