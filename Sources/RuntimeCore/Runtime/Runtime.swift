import Foundation
import Logging
import Synchronization
import RuntimeJSON
import WorkerFrames

/// The entry point of RuntimeCore: runs programs in isolated worker
/// processes and keeps their sessions.
///
/// ```swift
/// let runtime = Runtime()
/// let program = try Program(files: [SourceFile(filename: "main.py", content: source)], mainFile: "main.py")
/// let session = try await runtime.run(program)
/// _ = await session.waitUntilEnded()
/// let value = try await session.readPlaceholder(named: "answer", window: nil)
/// await runtime.shutdown()
/// ```
public actor Runtime {
    /// What this runtime was configured with.
    public nonisolated let configuration: RuntimeConfiguration
    /// The folder holding this runtime's session folders.
    public nonisolated let workFolder: URL

    private let logger: Logger
    private let pool: WorkerPool
    private let containment: WorkerContainment
    /// Holds the work folder's lock for the runtime's life.
    private let folder: WorkFolder?
    private let slots: RunSlots
    /// Values read after their session's run ended, shared by the sessions.
    private let values: EncodedValueCache
    /// Read without hopping onto the actor: a lookup sits on every request's path.
    private let sessions = Mutex<[String: any Session]>([:])
    private var order: [String] = []
    private var executions: [String: Task<Void, Never>] = [:]
    private var isShutDown = false

    /// A runtime: its work folder is made (and folders left by runtimes that
    /// died are removed) at once; workers start when the first run, a
    /// ``warmUp()`` or the service's `run()` asks for them.
    ///
    /// - Parameters:
    ///   - configuration: see ``RuntimeConfiguration``; every field has a default.
    ///   - logger: where the runtime logs; libraries never bootstrap logging.
    public init(configuration: RuntimeConfiguration = RuntimeConfiguration(),
                logger: Logger = Logger(label: "RuntimeCore")) {
        self.configuration = configuration
        self.logger = logger
        let unique = "\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"
        let containment = WorkerContainment(configuration: configuration, name: "runtime-\(unique)")
        self.containment = containment
        self.pool = WorkerPool(configuration: configuration, containment: containment, logger: logger)
        self.slots = RunSlots(limit: configuration.maximumParallelRuns)
        self.values = EncodedValueCache(capacity: configuration.valueCacheBytes)
        let abandoned = WorkFolder.removeAbandoned(in: configuration.workRoot)
        if abandoned > 0 { logger.info("removed work folders of runtimes no longer running", metadata: ["count": "\(abandoned)"]) }
        let folder = try? WorkFolder(root: configuration.workRoot, name: unique)
        self.folder = folder
        self.workFolder = folder?.url ?? configuration.workRoot.appendingPathComponent(WorkFolder.prefix + unique, isDirectory: true)
        for warning in containment.warnings { logger.warning("session containment weakened", metadata: ["reason": "\(warning)"]) }
        if let refusal = configuration.containment.refusal() { logger.error("no session can run", metadata: ["reason": "\(refusal)"]) }
    }

    /// Starts the warm workers now, and waits until they are ready.
    public func warmUp() async {
        await pool.fill()
        await pool.waitUntilFilled()
    }

    /// How this runtime starts workers: its fork server, and how long the
    /// latest workers took to start.
    public func diagnostics() async -> RuntimeDiagnostics {
        RuntimeDiagnostics(
            forkServer: pool.forkServer.map { .init(pid: $0.pid, starts: $0.starts, unusable: $0.unusable) },
            workerStarts: await pool.recentStarts)
    }

    /// The `HOST:PORT` remote workers connect to (nil with local workers,
    /// or when the worker port could not be bound).
    public nonisolated var workerAddress: String? {
        if case .success(let starter)? = pool.remote { return starter.advertisedAddress }
        return nil
    }

    /// Idle, ready workers at this moment.
    public func readyWorkers() async -> Int { await pool.readyCount }

    /// Accepts a program: writes its files into a fresh working folder and
    /// starts its run (queued while all run slots are taken).
    ///
    /// - Parameters:
    ///   - program: the files and the main file to run.
    ///   - resources: what the run's worker needs from its node. Only a
    ///     remote ``RuntimeConfiguration/placement`` can honour them; with
    ///     local workers a run that names any is refused (`INVALID_REQUEST`).
    ///   - sessionLimit: when given, the run is refused (`LIMIT_EXCEEDED`)
    ///     while the runtime holds that many sessions (checked and counted
    ///     in one step, so concurrent runs cannot pass it together).
    public func run(_ program: Program, resources: WorkerResources? = nil,
                    sessionLimit: Int? = nil) throws(RuntimeError) -> any Session {
        guard !isShutDown else { throw RuntimeError(.internalError, "the runtime is shutting down") }
        if let sessionLimit, sessions.withLock({ $0.count }) >= sessionLimit {
            throw RuntimeError(.limitExceeded, "the server holds its maximum of \(sessionLimit) sessions; delete some first")
        }
        if let resources, !resources.isEmpty, configuration.placement.remote == nil {
            throw RuntimeError(.invalidRequest, "resources: this server runs every session on its own machine and cannot place a run by resources (start it with a remote backend, e.g. --backend ray)")
        }
        let id = UUID().uuidString.lowercased()
        let directory = workFolder.appendingPathComponent(id, isDirectory: true)
        do {
            try ProgramFiles.write(program, into: directory)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw RuntimeError(.internalError, "cannot write the program's files: \(error)", cause: error)
        }
        let session = WorkerSession(id: id, directory: directory, program: program,
                                    configuration: configuration, logger: logger, resources: resources, values: values)
        sessions.withLock { $0[id] = session }
        order.append(id)
        let pool = self.pool, slots = self.slots
        executions[id] = Task { await session.execute(pool: pool, slots: slots) }
        logger.info("run accepted", metadata: ["session": "\(id)", "main": "\(program.mainFile)", "files": "\(program.files.count)"])
        return session
    }

    /// Serves a session made elsewhere (a ``Session`` of your own: values
    /// kept by another engine, a mock in tests) beside the runtime's own, under
    /// its ``Session/id``. A server's clients reach it only through
    /// `RuntimeServerService.adopt(_:owner:)`, which also says whose it is
    /// (a session no user owns is not found by anyone).
    /// ``deleteSession(id:)`` and ``shutdown()`` call its ``Session/close()``.
    public func adopt(_ session: any Session) throws(RuntimeError) {
        guard !isShutDown else { throw RuntimeError(.internalError, "the runtime is shutting down") }
        let added = sessions.withLock { sessions -> Bool in
            guard sessions[session.id] == nil else { return false }
            sessions[session.id] = session
            return true
        }
        guard added else { throw RuntimeError(.invalidRequest, "a session with id \(session.id) exists already") }
        order.append(session.id)
    }

    /// Bytes and values of encoded values kept now, and the reads answered
    /// from them and not (see ``RuntimeConfiguration/valueCacheBytes``).
    public nonisolated var valueCacheUsage: ValueCacheUsage { values.usage }

    /// The session with this id.
    public nonisolated func session(id: String) throws(RuntimeError) -> any Session {
        guard let session = sessions.withLock({ $0[id] }) else { throw RuntimeError.sessionNotFound(id) }
        return session
    }

    /// Every live session, oldest first.
    public func allSessions() -> [any Session] {
        let all = sessions.withLock { $0 }
        return order.compactMap { all[$0] }
    }

    /// Stops the session if it is running, ends its worker and removes its files.
    public func deleteSession(id: String) async throws(RuntimeError) {
        guard let session = sessions.withLock({ $0.removeValue(forKey: id) }) else { throw RuntimeError.sessionNotFound(id) }
        order.removeAll { $0 == id }
        await session.close()
        await executions.removeValue(forKey: id)?.value
        if let session = session as? WorkerSession { try? FileManager.default.removeItem(at: session.directory) }
    }

    /// Stops every run, ends every worker process and removes the work folder.
    public func shutdown() async {
        isShutDown = true
        // No run starts any more: queued runs, and runs still waiting for a
        // worker, end stopped (not failed for want of a worker, and without
        // waiting for a remote node to answer).
        await slots.close()
        let own = sessions.withLock { $0.values.compactMap { $0 as? WorkerSession } }
        for session in own { await session.prepareForShutdown() }
        await pool.shutdown()
        // Then the running ones, all at once, so that their clients hear it
        // before the workers go; then every session is closed, all at once.
        await withTaskGroup(of: Void.self) { group in
            for session in own {
                group.addTask {
                    if await !session.snapshot().status.hasEnded { _ = await session.stop() }
                }
            }
        }
        let ids = order
        await withTaskGroup(of: Void.self) { group in
            for id in ids { group.addTask { try? await self.deleteSession(id: id) } }
        }
        if case .success? = pool.remote, let launcher = configuration.placement.remote?.launcher {
            await launcher.shutdown()
        }
        containment.remove()
        try? FileManager.default.removeItem(at: workFolder)
    }
}
