/// The status of a Ray job, as the Jobs API names it (`PENDING`, `RUNNING`,
/// `STOPPED`, `SUCCEEDED`, `FAILED`). A struct over the name, so a status a
/// later Ray adds reads as itself (and as not terminal) rather than failing.
public struct RayJobStatus: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// Ray's name for the status.
    public var rawValue: String

    /// The status named `rawValue`.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Waiting for a node with the resources asked for, or for its environment.
    public static let pending = RayJobStatus(rawValue: "PENDING")
    /// The entrypoint command runs.
    public static let running = RayJobStatus(rawValue: "RUNNING")
    /// Stopped on request (`POST /api/jobs/{id}/stop`).
    public static let stopped = RayJobStatus(rawValue: "STOPPED")
    /// The entrypoint command exited with code 0.
    public static let succeeded = RayJobStatus(rawValue: "SUCCEEDED")
    /// The entrypoint command failed, or Ray could not start it.
    public static let failed = RayJobStatus(rawValue: "FAILED")

    /// Whether the job has ended for good (`STOPPED`, `SUCCEEDED` or `FAILED`).
    public var isTerminal: Bool { self == .stopped || self == .succeeded || self == .failed }

    /// Ray's name for the status.
    public var description: String { rawValue }
}
