/// What a runtime can tell about how it starts workers: for operators (logs,
/// metrics) and for benchmarks.
public struct RuntimeDiagnostics: Sendable {
    /// The fork server, when the runtime uses one.
    public struct ForkServer: Sendable {
        /// Its pid while it runs.
        public var pid: Int32?
        /// How many fork servers were started (more than one: one died and was replaced).
        public var starts: Int
        /// Why workers are spawned instead, once it could not start or refused to fork.
        public var unusable: String?
    }

    /// One worker's start.
    public struct WorkerStart: Sendable {
        /// From the start request (fork or spawn) to the worker's hello.
        public var duration: Duration
        /// Whether the fork server made it (else it was spawned).
        public var forked: Bool
    }

    /// Nil when workers are spawned (`RuntimeConfiguration.forkServer` is false).
    public var forkServer: ForkServer?
    /// The most recent workers' starts (up to 256), oldest first.
    public var workerStarts: [WorkerStart]
}
