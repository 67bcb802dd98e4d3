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

    /// Nil when workers are spawned (`RuntimeConfiguration.forkServer` is false).
    public var forkServer: ForkServer?
    /// How long the most recent workers (up to 256) took from the start
    /// request (fork or spawn) to their hello, oldest first.
    public var workerStartTimes: [Duration]
    /// Whether those workers were forked (else spawned), in the same order.
    public var workersForked: [Bool]
}
