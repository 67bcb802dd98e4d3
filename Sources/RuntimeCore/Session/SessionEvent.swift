import RuntimeJSON
import WorkerFrames
/// Something that happened in a session, numbered 1, 2, 3, ... with no gaps.
public struct SessionEvent: Sendable, Equatable {
    /// Which output stream a piece of output came from.
    public enum Stream: String, Sendable {
        /// `sys.stdout` (`print` and the like), or `sys.stderr` (warnings,
        /// tracebacks the program prints).
        case stdout, stderr
    }

    /// What happened.
    public enum Kind: Sendable, Equatable {
        /// The run was accepted (always event 1).
        case started
        /// The program saved a placeholder.
        case placeholderReady(name: String, valueType: String)
        /// The program wrote output. `truncated` marks the notice that the
        /// run's output cap was reached and the rest is dropped.
        case output(stream: Stream, text: String, truncated: Bool)
        /// The run ended normally, after `durationMs` milliseconds.
        case finished(durationMs: Int)
        /// The run failed: the Python error, or why the runtime ended it.
        case failed(ProgramError)
        /// The run was stopped; `killed` when the interrupt was not enough.
        case stopped(killed: Bool)
    }

    /// The session's id.
    public var sessionId: String
    /// The event's number: 1 for ``Kind-swift.enum/started``, then one more each.
    public var sequence: Int
    /// What happened.
    public var kind: Kind

    /// An event, for a ``Session`` of your own to report.
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
