import Foundation
import Glibc
import Logging
import Synchronization
import RuntimeJSON
import WorkerFrames

/// Starts remote workers: issues a ticket, has the launcher start
/// `runtime-worker --connect` on a node, and waits for that worker's
/// connection (or for its job to end, or for the ticket to expire).
package final class RemoteWorkerStarter: Sendable {
    package let settings: RemoteWorkers
    package let listener: WorkerListener
    private let configuration: RuntimeConfiguration
    private let logger: Logger
    /// The launcher's preparation, run once, before the first launch.
    private let prepared = Mutex<Task<Void, Never>?>(nil)

    package init(settings: RemoteWorkers, configuration: RuntimeConfiguration, logger: Logger) throws(RuntimeError) {
        self.settings = settings
        self.configuration = configuration
        self.logger = logger
        listener = try WorkerListener(host: settings.listenHost, port: settings.listenPort, security: settings.security,
                                      logger: logger)
    }

    /// The address workers connect to.
    package var advertisedAddress: String { settings.advertise ?? listener.address }

    /// The worker's command line on its node.
    func arguments() -> [String] {
        var arguments = [settings.workerExecutable, "--connect", advertisedAddress, "--python", settings.pythonExecutable]
        if !configuration.preloadModules.isEmpty { arguments += ["--preload", configuration.preloadModules.joined(separator: ",")] }
        // The runtime cannot watch a process on another machine: the worker
        // watches its session's memory itself, and says so before it ends it.
        if let limit = configuration.memoryLimitBytes { arguments += ["--memory-limit", "\(limit)"] }
        let containment = configuration.containment
        if settings.sandbox, containment.isolateProcesses {
            // The node's own namespaces and Landlock; the server's uids and
            // cgroups are the server machine's, so none of those.
            arguments.append("--sandbox")
            if containment.network == .none { arguments += ["--network", "none"] }
            if geteuid() != 0 { arguments.append("--userns") }
            if let maximum = containment.maximumProcesses { arguments += ["--max-processes", "\(maximum)"] }
        }
        return arguments
    }

    /// A connected, greeted worker with `resources` (over the defaults).
    func start(resources: WorkerResources?) async throws(RuntimeError) -> WorkerProcess {
        await prepare()
        let wanted = (resources ?? WorkerResources()).merged(over: settings.defaultResources)
        let id = "runtime-worker-\(UUID().uuidString.prefix(12).lowercased())"
        let (ticket, arrival) = listener.issueTicket(lifetime: settings.connectTimeout)
        // What a local worker would get, over what the settings add; the
        // worker drops whatever else its node's launcher set (Ray's own).
        var environment = configuration.containment.workerEnvironment(
            python: PythonEnvironment(executable: settings.pythonExecutable, source: .configured))
            .merging(settings.environment) { _, own in own }
        environment[FrameProtocol.keptEnvironmentVariable] = environment.keys.sorted().joined(separator: ",")
        environment[FrameProtocol.ticketVariable] = ticket
        environment.merge(settings.security?.workerEnvironment ?? [:]) { _, security in security }
        let launch = RemoteWorkerLaunch(id: id, arguments: arguments(), environment: environment, resources: wanted)
        let job: any RemoteWorkerJob
        do {
            job = try await settings.launcher.launch(launch)
        } catch {
            listener.withdraw(ticket, reason: "its launch failed")
            throw error
        }
        // Whichever comes first: the connection, the job's end, the ticket's expiry.
        let listener = self.listener, timeout = settings.connectTimeout
        let watchEnd = Task {
            let reason = await job.ended()
            listener.withdraw(ticket, reason: "its job ended before the worker connected: \(reason)")
        }
        let watchTime = Task {
            try await Task.sleep(for: timeout)
            listener.withdraw(ticket, reason: "no worker connected within \(timeout) (is a node with \(Self.describe(wanted)) in the cluster?)")
        }
        let connection = await arrival.value
        watchEnd.cancel()
        watchTime.cancel()
        switch connection {
        case .success(let fd):
            return WorkerProcess.connected(fd: fd, job: job, maximumFrameBytes: configuration.maximumWorkerFrameBytes)
        case .failure(let refusal):
            await job.stop()
            throw RuntimeError(.internalError, "the \(settings.launcher.name) worker \(id) did not start: \(refusal.description)")
        }
    }

    private func prepare() async {
        let launcher = settings.launcher, logger = self.logger
        let task = prepared.withLock { task in
            if let task { return task }
            let made = Task {
                do throws(RuntimeError) {
                    try await launcher.prepare()
                } catch {
                    logger.warning("the worker launcher could not prepare", metadata: [
                        "backend": "\(launcher.name)", "reason": "\(error.message)",
                    ])
                }
            }
            task = made
            return made
        }
        await task.value
    }

    /// Resources as a person reads them: `1 CPU, 2048 MiB, gpu_node=1`.
    static func describe(_ resources: WorkerResources) -> String {
        var parts: [String] = []
        if let cpus = resources.cpus { parts.append("\(cpus.formatted()) CPU") }
        if let memory = resources.memoryMB { parts.append("\(memory) MiB") }
        parts += resources.custom.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.formatted())" }
        return parts.isEmpty ? "no particular resources" : parts.joined(separator: ", ")
    }
}

private extension Double {
    func formatted() -> String { self == rounded() && abs(self) < 1e15 ? String(Int64(self)) : String(self) }
}
