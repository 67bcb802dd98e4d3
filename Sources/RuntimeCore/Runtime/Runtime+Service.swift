import ServiceLifecycle

extension Runtime: Service {
    /// Runs the runtime as a service of a `ServiceGroup`: starts the warm
    /// workers, then waits for the group's graceful shutdown (or
    /// cancellation) and shuts down: every run stopped, every worker process
    /// ended, the work folder removed.
    ///
    /// ```swift
    /// let logger = Logger(label: "my-app")
    /// let runtime = Runtime(configuration: configuration, logger: logger)
    /// let group = ServiceGroup(services: [runtime /* , your services */],
    ///                          gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
    /// try await group.run()
    /// ```
    public nonisolated func run() async throws {
        await warmUp()
        try? await gracefulShutdown()
        await shutdown()
    }
}
