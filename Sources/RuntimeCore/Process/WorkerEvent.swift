/// What a worker process reports besides replies to requests.
enum WorkerEvent: Sendable {
    case placeholderReady(name: String, valueType: String)
    case output(stream: String, text: String, truncated: Bool)
    case finished
    case failed(JSONValue)
    /// A sandbox measure the kernel refused when the run began.
    case warning(String)
    /// The worker broke the frame protocol (malformed, oversized or unknown
    /// frames); it is killed, and `.exited` follows.
    case violation(String)
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

/// What a worker says when it is ready.
struct WorkerHello: Sendable {
    var pid: Int32
    var pythonVersion: String
    var pythonExecutable: String
    var pythonPrefix: String
    var preloaded: [String]
    var preloadErrors: [(String, String)]
    /// Sandbox measures the kernel refused at start.
    var refused: [String]
}
