import Glibc
import Logging
import RuntimeJSON
import WorkerFrames

/// Keeps a number of started, ready workers (with their modules preloaded), so
/// a run takes one at once; refills in the background as workers are taken.
package actor WorkerPool {
    private let configuration: RuntimeConfiguration
    private let containment: WorkerContainment
    private let logger: Logger
    private var ready: [WorkerProcess] = []
    private var starting: [Int: Task<Void, Never>] = [:]
    private var nextTask = 0
    private var closed = false
    private var reportedInterpreter = false
    /// Start request to hello, and whether forked, of the latest workers.
    private var starts: [RuntimeDiagnostics.WorkerStart] = []

    /// The latest workers' start times (up to 256), oldest first.
    package var recentStarts: [RuntimeDiagnostics.WorkerStart] { starts }

    private let ownsContainment: Bool
    /// Forks workers from a prepared interpreter; nil spawns each one.
    package let forkServer: ForkServer?
    /// Starts remote workers, when the runtime places them remotely (or why it cannot).
    package let remote: Result<RemoteWorkerStarter, RuntimeError>?

    package init(configuration: RuntimeConfiguration, containment: WorkerContainment, logger: Logger) {
        self.configuration = configuration
        self.containment = containment
        self.logger = logger
        ownsContainment = false
        forkServer = Self.forkServer(for: configuration, logger: logger)
        remote = Self.remoteStarter(for: configuration, logger: logger)
    }

    /// A pool on its own (benchmarks, tests), with cgroups of its own.
    package init(configuration: RuntimeConfiguration, logger: Logger) {
        self.configuration = configuration
        self.containment = WorkerContainment(configuration: configuration, name: "runtime-\(getpid())-pool-\(UInt32.random(in: 0...UInt32.max))")
        self.logger = logger
        ownsContainment = true
        forkServer = Self.forkServer(for: configuration, logger: logger)
        remote = Self.remoteStarter(for: configuration, logger: logger)
    }

    private static func remoteStarter(for configuration: RuntimeConfiguration, logger: Logger) -> Result<RemoteWorkerStarter, RuntimeError>? {
        guard let settings = configuration.placement.remote else { return nil }
        do {
            let starter = try RemoteWorkerStarter(settings: settings, configuration: configuration, logger: logger)
            logger.info("listening for remote workers", metadata: [
                "backend": "\(settings.launcher.name)", "listen": "\(starter.listener.address)",
                "advertised": "\(starter.advertisedAddress)",
            ])
            return .success(starter)
        } catch {
            logger.error("cannot listen for remote workers", metadata: ["reason": "\(error.message)"])
            return .failure(error)
        }
    }

    /// One fork server per runtime: its Python environment and preload set
    /// are the configuration's, which never change while it runs.
    private static func forkServer(for configuration: RuntimeConfiguration, logger: Logger) -> ForkServer? {
        guard configuration.forkServer, configuration.placement.remote == nil else { return nil }
        return ForkServer(executable: configuration.worker.executable, arguments: configuration.workerArguments,
                          environment: configuration.containment.workerEnvironment(python: configuration.python), logger: logger)
    }

    /// Idle workers ready now.
    package var readyCount: Int { ready.count }

    /// Starts workers until the configured number is ready or starting.
    package func fill() {
        while !closed, ready.count + starting.count < configuration.warmWorkers {
            let key = nextTask
            nextTask += 1
            starting[key] = Task {
                let worker = try? await self.startWorker()
                await self.arrived(worker, key: key)
            }
        }
    }

    /// Waits until every worker being started has arrived (for tests and benchmarks).
    package func waitUntilFilled() async {
        while let task = starting.values.first { await task.value }
    }

    private func arrived(_ worker: WorkerProcess?, key: Int) async {
        starting[key] = nil
        guard let worker else { return }
        if closed {
            await worker.terminate()
        } else {
            ready.append(worker)
        }
    }

    /// A ready worker: an idle one if there is one, else a newly started
    /// one. A run that asks for resources of its own gets a worker started
    /// for them (remote placement only).
    package func take(resources: WorkerResources? = nil) async throws(RuntimeError) -> WorkerProcess {
        if let resources, !resources.isEmpty {
            guard !closed else { throw RuntimeError(.internalError, "the runtime is shutting down") }
            return try await startWorker(resources: resources)
        }
        defer { fill() }
        while !ready.isEmpty {
            let worker = ready.removeFirst()
            if !worker.hasEnded { return worker }
        }
        guard !closed else { throw RuntimeError(.internalError, "the runtime is shutting down") }
        return try await startWorker()
    }

    private func startWorker(resources: WorkerResources? = nil) async throws(RuntimeError) -> WorkerProcess {
        let worker: WorkerProcess
        let started = ContinuousClock.now
        if let remote {
            worker = try await remote.get().start(resources: resources)
        } else {
            var plan = try containment.plan(maximumFrameBytes: configuration.maximumWorkerFrameBytes)
            plan.replyReader = configuration.replyReader
            do {
                worker = try await WorkerProcess.spawn(plan, forkServer: forkServer)
            } catch {
                throw RuntimeError(.internalError, error.description)
            }
        }
        switch await worker.hello.value {
        case .success(let hello):
            starts.append(.init(duration: ContinuousClock.now - started, forked: worker.forked))
            if starts.count > 256 { starts.removeFirst(starts.count - 256) }
            for refused in hello.refused {
                logger.warning("session containment weakened: the kernel refused a measure",
                               metadata: ["measure": "\(refused)", "worker": "\(worker.pid)"])
            }
            if !reportedInterpreter {
                // Once: what the first worker's interpreter says it is, not only what was asked for.
                reportedInterpreter = true
                logger.info("python interpreter", metadata: [
                    "version": "\(hello.pythonVersion.prefix { $0 != " " })", "executable": "\(hello.pythonExecutable)",
                    "prefix": "\(hello.pythonPrefix)", "preloaded": "\(hello.preloaded.joined(separator: ","))",
                ])
                for (module, message) in hello.preloadErrors {
                    logger.warning("cannot preload module", metadata: ["module": "\(module)", "error": "\(message)"])
                }

            }
            if let job = worker.remote { worker.placed(on: await job.node()) }
            return worker
        case .failure(let failure):
            logger.error("a worker could not start", metadata: ["reason": "\(failure.description)"])
            await worker.terminate()
            throw RuntimeError(.internalError, failure.description)
        }
    }

    /// Stops every idle worker and every one still starting.
    package func shutdown() async {
        closed = true
        // Remote workers still to connect are withdrawn first: a start (or
        // a run's take) waiting for one then ends at once, not at its
        // connect timeout.
        if case .success(let starter)? = remote { starter.listener.close() }
        for task in starting.values { await task.value }
        await forkServer?.stop()
        let idle = ready
        ready = []
        for worker in idle { await worker.terminate() }
        if ownsContainment { containment.remove() }
    }
}
