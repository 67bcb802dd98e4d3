/// Starts session workers on machines other than the server's: the one
/// thing a remote backend (Ray, in `RuntimeRay`) provides.
///
/// The runtime does the rest: it issues a single-use ticket for each worker,
/// listens for the worker's connection on its worker port, and speaks the
/// same frames to it as to a local worker. A launcher only has to run the
/// command it is given on a node that has the resources asked for, report
/// where it runs, stop it, and say when and why it ended.
public protocol RemoteWorkerLauncher: Sendable {
    /// A short name for logs and diagnostics (`"ray"`).
    var name: String { get }

    /// Starts `launch.arguments` somewhere. Returns once the start was
    /// accepted (a Ray job submitted), not once the worker runs: the runtime
    /// waits for the worker's connection itself.
    func launch(_ launch: RemoteWorkerLaunch) async throws(RuntimeError) -> any RemoteWorkerJob

    /// Runs once, before the runtime's first launch: e.g. stops the jobs a
    /// crashed server of the same name left. A failure is logged, not fatal.
    func prepare() async throws(RuntimeError)

    /// Runs once, when the runtime shuts down, after every worker it
    /// launched has been stopped: release what the launcher holds.
    func shutdown() async
}

extension RemoteWorkerLauncher {
    /// Nothing to prepare.
    public func prepare() async throws(RuntimeError) {}

    /// Nothing to release.
    public func shutdown() async {}
}

/// One worker to start remotely.
public struct RemoteWorkerLaunch: Sendable, Equatable {
    /// A unique id for the worker (a Ray job's `submission_id`).
    public var id: String
    /// The command, executable first (`runtime-worker --connect HOST:PORT ...`).
    public var arguments: [String]
    /// Environment variables for the command (the ticket is one).
    public var environment: [String: String]
    /// What the node must have.
    public var resources: WorkerResources

    /// A launch request.
    public init(id: String, arguments: [String], environment: [String: String], resources: WorkerResources) {
        self.id = id
        self.arguments = arguments
        self.environment = environment
        self.resources = resources
    }
}

/// A started remote worker, as its launcher sees it (a Ray job).
public protocol RemoteWorkerJob: Sendable {
    /// The launcher's id for it (the Ray job's submission id).
    var id: String { get }

    /// The node it runs on, once known (Ray's node id).
    func node() async -> String?

    /// Stops it, whatever it is doing, and releases what the launcher holds
    /// for it. Returns once it has ended or a bounded wait has passed.
    func stop() async

    /// Waits until it has ended, and returns why, as a run's error says it
    /// (`"the Ray job FAILED: ..."`).
    func ended() async -> String
}
