import RuntimeCore

/// The actions a client may send, as the wire names them. Every wire string
/// of the protocol lives in this module once: the server, the Swift client
/// and `runtimectl` use these, and a test checks the demo page's against them.
public enum WireAction: String, Sendable, CaseIterable {
    /// Run a program in a new session.
    case run
    /// Read a placeholder's value.
    case getPlaceholder = "get_placeholder"
    /// Call a saved model on new data.
    case runModel = "run_model"
    /// The statistics of a saved dataset.
    case getStats = "get_stats"
    /// A session's status.
    case status
    /// Stop a session's run.
    case stop
    /// The caller's sessions.
    case listSessions = "list_sessions"
    /// Delete a session.
    case deleteSession = "delete_session"
    /// Follow a session's events.
    case subscribe
}

/// The `type` of every message the server sends.
public enum MessageType: String, Sendable, CaseIterable {
    /// The greeting: how many clients are connected.
    case usersInfo = "[users]:INFO"
    /// Reply to `run`, and the session's first event.
    case executionStarted = "[status]:EXECUTION_STARTED"
    /// A placeholder was saved.
    case placeholderReady = "[placeholder]:READY"
    /// Program output.
    case output = "[run]:OUTPUT"
    /// The run ended normally.
    case executionFinished = "[state]:EXECUTION_FINISHED"
    /// The run raised or its worker died.
    case executionFailed = "[state]:EXECUTION_FAILED"
    /// The event of a stopped run.
    case executionStoppedEvent = "[state]:EXECUTION_STOPPED"
    /// The reply to `stop`.
    case executionStopped = "[status]:EXECUTION_STOPPED"
    /// The reply to `get_placeholder`.
    case placeholderValue = "[placeholder]:VALUE"
    /// The reply to `run_model`.
    case modelResult = "[model]:RESULT"
    /// The reply to `get_stats`.
    case stats = "[placeholder]:STATS"
    /// The reply to `status`.
    case status = "[status]:STATUS"
    /// The reply to `list_sessions`.
    case sessionList = "[sessions]:LIST"
    /// The reply to `delete_session`.
    case deleted = "[status]:DELETED"
    /// The reply to `subscribe`.
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
