import Foundation
import RuntimeJSON
import WorkerFrames

/// Where a session's run is.
public enum SessionStatus: String, Sendable, CaseIterable {
    /// Accepted, waiting for a free run slot or worker.
    case queued
    /// The program is running in its worker.
    case running
    /// The program ran to its end (`SystemExit` with code 0 or None included).
    case finished
    /// The program raised, or the runtime ended the run (its worker crashed,
    /// a limit struck); ``SessionSnapshot/error`` says why.
    case failed
    /// Stopped on request (``Session/stop()``).
    case stopped

    /// Whether the run is over.
    public var hasEnded: Bool { self == .finished || self == .failed || self == .stopped }

    /// What the original server answered: `Alive` while queued or running, else `Finished`.
    public var legacyStatus: String { hasEnded ? "Finished" : "Alive" }
}

/// A session's state at one moment: what the `status` request reports.
public struct SessionSnapshot: Sendable, Equatable {
    /// The session's id.
    public var sessionId: String
    /// Where the run is.
    public var status: SessionStatus
    /// Names saved with `save_placeholder`, in the order they were first saved.
    public var placeholders: [String]
    /// When the run began executing (nil while queued).
    public var startedAt: Date?
    /// When the run ended (nil until then).
    public var finishedAt: Date?
    /// From start to end, or to now while running.
    public var durationMs: Int?
    /// For `failed`: why.
    public var error: ProgramError?
    /// For `stopped`: whether the worker had to be killed.
    public var killed: Bool
    /// The sequence number of the newest event.
    public var lastSequence: Int
    /// Set when the session's worker ended after its run did (killed at a
    /// limit, crashed, or cut off): why its values can no longer be read.
    public var valuesLost: String? = nil
    /// The node the session's worker runs on, when workers are placed
    /// remotely (Ray's node id); nil for a local worker.
    public var node: String? = nil

    /// A snapshot, for a ``Session`` of your own to report.
    public init(sessionId: String, status: SessionStatus, placeholders: [String] = [], startedAt: Date? = nil,
                finishedAt: Date? = nil, durationMs: Int? = nil, error: ProgramError? = nil, killed: Bool = false,
                lastSequence: Int = 0, valuesLost: String? = nil, node: String? = nil) {
        self.node = node
        self.sessionId = sessionId
        self.status = status
        self.placeholders = placeholders
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.durationMs = durationMs
        self.error = error
        self.killed = killed
        self.lastSequence = lastSequence
        self.valuesLost = valuesLost
    }
}
