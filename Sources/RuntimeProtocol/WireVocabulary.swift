import RuntimeCore

/// The actions a client may send, as the wire names them. Every wire string
/// of the protocol lives in this module once: the server, the Swift client
/// and `runtimectl` use these, and a test checks the demo page's against them.
public enum WireAction: String, Sendable, CaseIterable {
    case run
    case getPlaceholder = "get_placeholder"
    case runModel = "run_model"
    case getStats = "get_stats"
    case status
    case stop
    case listSessions = "list_sessions"
    case deleteSession = "delete_session"
    case subscribe
}

/// The `type` of every message the server sends.
public enum MessageType: String, Sendable, CaseIterable {
    /// The greeting: how many clients are connected.
    case usersInfo = "[users]:INFO"
    /// Reply to `run`, and the session's first event.
    case executionStarted = "[status]:EXECUTION_STARTED"
    case placeholderReady = "[placeholder]:READY"
    case output = "[run]:OUTPUT"
    case executionFinished = "[state]:EXECUTION_FINISHED"
    case executionFailed = "[state]:EXECUTION_FAILED"
    /// The event of a stopped run.
    case executionStoppedEvent = "[state]:EXECUTION_STOPPED"
    /// The reply to `stop`.
    case executionStopped = "[status]:EXECUTION_STOPPED"
    case placeholderValue = "[placeholder]:VALUE"
    case modelResult = "[model]:RESULT"
    case stats = "[placeholder]:STATS"
    case status = "[status]:STATUS"
    case sessionList = "[sessions]:LIST"
    case deleted = "[status]:DELETED"
    case subscribed = "[status]:SUBSCRIBED"

    /// The prefix of every error reply's type (`[error]:CODE`).
    public static let errorPrefix = "[error]:"
    /// The prefix of the events that end a run.
    public static let endEventPrefix = "[state]:"

    /// The type of the error reply with `code`.
    public static func error(_ code: RuntimeError.Code) -> String { errorPrefix + code.rawValue }

    /// The error code of an `[error]:CODE` type, if it is one.
    public static func errorCode(ofType type: String) -> RuntimeError.Code? {
        guard type.hasPrefix(errorPrefix) else { return nil }
        return RuntimeError.Code(rawValue: String(type.dropFirst(errorPrefix.count)))
    }
}
