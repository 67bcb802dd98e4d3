import RuntimeJSON
import WorkerFrames
/// What a worker process reports besides replies to requests.
enum WorkerEvent: Sendable {
    case placeholderReady(name: String, valueType: String)
    case output(stream: WorkerMessage.OutputStream, text: String, truncated: Bool)
    case finished
    case failed(ProgramError)
    /// A sandbox measure the kernel refused when the run began.
    case warning(String)
    /// The worker broke the frame protocol (malformed, oversized or unknown
    /// frames); it is killed, and `.exited` follows.
    case violation(String)
    /// A remote worker reported its session past a limit, which ended it:
    /// why, as the run's error or the lost values say it.
    case limitReached(String)
    /// The process ended; always the last event.
    case exited(WorkerExit)
}

extension WorkerEvent {
    /// Whether the event becomes an entry of the session's event log.
    var isRecorded: Bool {
        switch self {
        case .placeholderReady, .output: return true
        default: return false
        }
    }
}
