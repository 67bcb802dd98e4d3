import RuntimeCore

/// A request of the wire protocol, checked for shape and typed.
public enum WireRequest: Sendable, Equatable {
    /// `run`: a program's files, its main file, and the file count the client declared.
    case run(files: [SourceFile], mainFile: String, number: Int?, resources: WorkerResources? = nil)
    /// `get_placeholder`: a value, paged by `window`, encoded with `options`.
    case getPlaceholder(sessionId: String, name: String, window: RowWindow?, options: ValueReadOptions = ValueReadOptions())
    /// `input` is the client's inline data as it sent it, or a file path.
    case runModel(sessionId: String, name: String, input: ModelInput, method: String?)
    /// `get_stats`: the statistics of a dataset.
    case getStats(sessionId: String, name: String)
    /// `status`: a session's status, timings, placeholders and error.
    case status(sessionId: String)
    /// `stop`: interrupt the run, kill it after the grace period.
    case stop(sessionId: String)
    /// `list_sessions`: the caller's sessions.
    case listSessions
    /// `delete_session`: stop the run and free everything the session holds.
    case deleteSession(sessionId: String)
    /// `subscribe`: the session's events after `since` (the latest if nil), then live ones.
    case subscribe(sessionId: String, since: Int?)

    /// Every action the server knows, as the wire names it.
    public static var actions: [String] { WireAction.allCases.map(\.rawValue) }

    /// The session the request is about, if it names one.
    public var sessionId: String? {
        switch self {
        case .getPlaceholder(let id, _, _, _), .runModel(let id, _, _, _), .getStats(let id, _), .status(let id),
             .stop(let id), .deleteSession(let id), .subscribe(let id, _):
            return id
        case .run, .listSessions:
            return nil
        }
    }
}

/// A request with what the reply must echo.
public struct Envelope: Sendable, Equatable {
    /// The request's `action`, as the client wrote it.
    public var action: String
    /// The client's `id`, copied into the direct reply.
    public var id: JSONValue?
    /// The request, typed.
    public var request: WireRequest
}

/// A request that cannot be served: the `[error]:CODE` reply, with the
/// request's `action` and `id` it echoes.
public struct ProtocolError: Error, Sendable {
    /// What went wrong, in the one error model.
    public var error: RuntimeError
    /// The request's `action`, echoed (null when it had none).
    public var action: String?
    /// The request's `id`, echoed when it had one.
    public var id: JSONValue?

    /// An error reply for `error`, echoing `action` and `id`.
    public init(_ error: RuntimeError, action: String? = nil, id: JSONValue? = nil) {
        self.error = error
        self.action = action
        self.id = id
    }

    /// An error reply with `code` and `message`.
    public init(_ code: RuntimeError.Code, _ message: String, action: String? = nil, id: JSONValue? = nil) {
        self.init(RuntimeError(code, message), action: action, id: id)
    }

    /// The error's code.
    public var code: RuntimeError.Code { error.code }
    /// The error's message.
    public var message: String { error.message }

    /// The wire message.
    public var wireMessage: JSONValue {
        var fields: [(String, JSONValue)] = [("code", .string(code.rawValue)), ("message", .string(message))]
        if let programError = error.programError {
            fields.append(("type", .string(programError.type)))
            fields.append(("traceback", programError.json["traceback"] ?? []))
            fields.append(("text", .string(programError.text)))
        }
        var message: [(String, JSONValue)] = [
            ("type", .string(MessageType.error(code))),
            ("error", .object(fields)),
            ("action", action.map { .string($0) } ?? .null),
        ]
        if let id { message.append(("id", id)) }
        return .object(message)
    }
}
