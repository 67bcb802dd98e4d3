import ServiceLifecycle

extension Runtime: Service {
    /// Runs the runtime as a service of a `ServiceGroup`: starts the warm
    /// workers, then waits for the group's graceful shutdown (or
    /// cancellation) and shuts down: every run stopped, every worker process
    /// ended, the work folder removed.
    ///
    /// ```swift
    /// let runtime = Runtime()
    /// let group = ServiceGroup(services: [runtime, myServer], gracefulShutdownSignals: [.sigterm], logger: logger)
    /// try await group.run()
    /// ```
    public nonisolated func run() async throws {
        await warmUp()
        try? await gracefulShutdown()
        await shutdown()
    }
}
