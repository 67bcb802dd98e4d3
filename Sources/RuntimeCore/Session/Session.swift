import RuntimeJSON
import WorkerFrames
/// One run of a program in its own worker process, and the values it saved.
///
/// Sessions outlive the client that started them: a session and the values
/// it saved live until ``Runtime/deleteSession(id:)`` or
/// ``Runtime/shutdown()`` (the server also deletes ended sessions nobody has
/// asked about for its idle lifetime). A session is also yours to implement:
/// ``Runtime/adopt(_:)`` serves it beside the runtime's own.
public protocol Session: AnyObject, Sendable {
    /// The session's id (what the wire calls `sessionId`).
    var id: String { get }

    /// The session's status, timings, placeholders and error.
    func snapshot() async -> SessionSnapshot

    /// The session's events: first those already recorded with a sequence
    /// number above `after` (nil: none of them), then live ones. The stream
    /// finishes after the run's last event.
    func events(after: Int?) async -> AsyncStream<SessionEvent>

    /// Waits for the run to end and returns its final snapshot.
    func waitUntilEnded() async -> SessionSnapshot

    /// Stops the run: a `KeyboardInterrupt` first, a kill if the run has not
    /// ended within the grace period. Returns once the run has ended. On a run
    /// that is not going, returns the current snapshot and changes nothing.
    func stop() async -> SessionSnapshot

    /// The placeholders saved so far, in the order they were first saved.
    func placeholders() async -> [any Placeholder]

    /// Reads the placeholder (or, failing that, the main module's global)
    /// called `name`, encoded by the contract's rules.
    func readPlaceholder(named name: String, window: RowWindow?) async throws(RuntimeError) -> PlaceholderValue

    /// Reads like ``readPlaceholder(named:window:)``, encoded with `options`
    /// (`exact`, `format`). A session that does not implement it serves the
    /// default options only (a non-default one is `INVALID_REQUEST`).
    func readPlaceholder(named name: String, window: RowWindow?,
                         options: ValueReadOptions) async throws(RuntimeError) -> PlaceholderValue

    /// The session's Python worker, for engines that compute in it; nil for
    /// a session that has none (the default).
    var pythonWorker: (any PythonWorkerAccess)? { get }

    /// Ends the session for good: stops its run and frees what it holds.
    /// Called once, when the session is deleted or the runtime shuts down;
    /// does nothing by default.
    func close() async
}

extension Session {
    /// None by default.
    public var pythonWorker: (any PythonWorkerAccess)? { nil }

    /// Nothing to free by default.
    public func close() async {}

    /// The statistics of the dataset `name`, by `engine`: the native one
    /// unless given, whatever the runtime's configuration says (pass
    /// `runtime.configuration.statsEngine` to answer as the server does).
    public func statistics(of name: String, using engine: any StatsEngine = NativeStatsEngine()) async throws(RuntimeError) -> JSONFragment {
        try await engine.statistics(of: name, in: self)
    }

    /// The predictions of the model `name` on `input`, by `invoker`: the
    /// Python one unless given, reading data files from the session's folder
    /// only, whatever the runtime's configuration says (pass
    /// `runtime.configuration.modelInvoker` to answer as the server does).
    public func predict(model name: String, input: ModelInput, method: String? = nil,
                        using invoker: any ModelInvoker = PythonModelInvoker()) async throws(RuntimeError) -> JSONFragment {
        try await invoker.predict(model: name, input: input, method: method, in: self)
    }
}
