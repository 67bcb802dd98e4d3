import RuntimeJSON
import WorkerFrames
/// Something that happened in a session, numbered 1, 2, 3, ... with no gaps.
public struct SessionEvent: Sendable, Equatable {
    /// Which output stream a piece of output came from.
    public enum Stream: String, Sendable {
        case stdout, stderr
    }

    public enum Kind: Sendable, Equatable {
        /// The run was accepted (always event 1).
        case started
        /// The program saved a placeholder.
        case placeholderReady(name: String, valueType: String)
        /// The program wrote output. `truncated` marks the notice that the
        /// run's output cap was reached and the rest is dropped.
        case output(stream: Stream, text: String, truncated: Bool)
        case finished(durationMs: Int)
        case failed(ProgramError)
        case stopped(killed: Bool)
    }

    public var sessionId: String
    public var sequence: Int
    public var kind: Kind

    public init(sessionId: String, sequence: Int, kind: Kind) {
        self.sessionId = sessionId
        self.sequence = sequence
        self.kind = kind
    }

    /// Whether this event ends the run.
    public var isTerminal: Bool {
        switch kind {
        case .finished, .failed, .stopped: return true
        default: return false
        }
    }
}
