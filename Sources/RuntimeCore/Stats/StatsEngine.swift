/// Computes the statistics of a dataset a session saved.
public protocol StatsEngine: Sendable {
    /// `{"rowCount": N, "columns": [...]}` as the contract's `get_stats` describes.
    func statistics(of name: String, in session: any Session) async throws(RuntimeError) -> JSONValue
}

/// The default ``StatsEngine``: numeric columns are computed in Swift straight
/// from the arrays' memory (buffer protocol), in parallel; string, boolean
/// and datetime columns are read through the C API. Python only prepares each
/// column once; pandas and numpy never compute the statistics.
public struct NativeStatsEngine: StatsEngine {
    public init() {}

    public func statistics(of name: String, in session: any Session) async throws(RuntimeError) -> JSONValue {
        guard let session = session as? WorkerSession else {
            throw RuntimeError(.internalError, "NativeStatsEngine serves RuntimeCore's own sessions")
        }
        return try await session.workerRequest(["op": "stats", "name": .string(name)])
    }
}

extension StatsEngine where Self == NativeStatsEngine {
    /// The default engine.
    public static var native: NativeStatsEngine { NativeStatsEngine() }
}
