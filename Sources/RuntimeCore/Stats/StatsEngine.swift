import RuntimeJSON
import WorkerFrames
/// Computes the statistics of a dataset a session saved.
public protocol StatsEngine: Sendable {
    /// `{"rowCount": N, "columns": [...]}` as the contract's `get_stats`
    /// describes, as JSON text (``/RuntimeJSON/JSONFragment/init(_:)`` encodes
    /// a ``/RuntimeJSON/JSONValue``).
    ///
    /// - Parameters:
    ///   - name: the placeholder (or main-module global) holding the dataset.
    ///   - session: the session it lives in.
    /// - Throws: ``/WorkerFrames/RuntimeError`` with the contract's code:
    ///   `PLACEHOLDER_NOT_FOUND`, `NOT_A_DATASET`, ...
    func statistics(of name: String, in session: any Session) async throws(RuntimeError) -> JSONFragment
}

/// The default ``StatsEngine``: numeric columns are computed in Swift straight
/// from the arrays' memory (buffer protocol), in parallel; string, boolean
/// and datetime columns are read through the C API. Python only prepares each
/// column once; pandas and numpy never compute the statistics.
public struct NativeStatsEngine: StatsEngine {
    /// The engine; it holds no state.
    public init() {}

    /// The statistics, computed in the session's worker
    /// (``PythonWorkerAccess/nativeStatistics(of:)``); `INVALID_REQUEST` for
    /// a session without a Python worker.
    public func statistics(of name: String, in session: any Session) async throws(RuntimeError) -> JSONFragment {
        guard let worker = session.pythonWorker else {
            throw RuntimeError(.invalidRequest, "session \(session.id) has no Python worker to compute statistics in")
        }
        return try await worker.nativeStatistics(of: name)
    }
}

extension StatsEngine where Self == NativeStatsEngine {
    /// The default engine.
    public static var native: NativeStatsEngine { NativeStatsEngine() }
}
