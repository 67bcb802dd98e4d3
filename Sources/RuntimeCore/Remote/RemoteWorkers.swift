import Foundation

/// Where a runtime's session workers run.
public enum WorkerPlacement: Sendable {
    /// Child processes of the server on this machine (the default).
    case local
    /// Started by a ``RemoteWorkerLauncher`` (Ray) and connected back to the
    /// runtime's worker port.
    case remote(RemoteWorkers)

    /// The remote settings, when workers are remote.
    public var remote: RemoteWorkers? {
        if case .remote(let settings) = self { return settings }
        return nil
    }
}

/// How a runtime places its workers remotely.
public struct RemoteWorkers: Sendable {
    /// What starts a worker on a node.
    public var launcher: any RemoteWorkerLauncher
    /// The address the runtime listens on for workers (never the clients' port).
    public var listenHost: String
    /// The worker port; 0 takes a free one.
    public var listenPort: Int
    /// The `HOST:PORT` workers connect to (`--worker-advertise`); nil: the
    /// listening address as bound.
    public var advertise: String?
    /// The worker executable's path on the nodes.
    public var workerExecutable: String
    /// The Python executable workers embed, as its path on the nodes.
    public var pythonExecutable: String
    /// Environment variables given to every worker (e.g. `PYTHONPATH` of the
    /// nodes' environment).
    public var environment: [String: String]
    /// Resources of a worker whose run names none.
    public var defaultResources: WorkerResources
    /// How long a ticket may wait for its worker's connection (a Ray job can
    /// wait for a node with the resources asked for).
    public var connectTimeout: Duration
    /// Sandbox the worker on its node as a local one (namespaces, Landlock).
    /// The node must allow it (root, or unprivileged user namespaces).
    public var sandbox: Bool
    /// How the worker port's connections are secured (`WorkerTLSServer` of
    /// module `WorkerTLS`); nil: plain TCP, for a private network only.
    public var security: (any WorkerConnectionSecurity)?

    /// Remote placement through `launcher`; see each property for the defaults.
    public init(launcher: any RemoteWorkerLauncher, listenHost: String = "127.0.0.1", listenPort: Int = 0,
                advertise: String? = nil, workerExecutable: String, pythonExecutable: String,
                environment: [String: String] = [:], defaultResources: WorkerResources = WorkerResources(cpus: 1),
                connectTimeout: Duration = .seconds(120), sandbox: Bool = true,
                security: (any WorkerConnectionSecurity)? = nil) {
        self.launcher = launcher
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.advertise = advertise
        self.workerExecutable = workerExecutable
        self.pythonExecutable = pythonExecutable
        self.environment = environment
        self.defaultResources = defaultResources
        self.connectTimeout = connectTimeout
        self.sandbox = sandbox
        self.security = security
    }
}
