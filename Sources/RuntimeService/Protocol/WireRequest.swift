import RuntimeCore

/// A request of the wire protocol, checked for shape and typed.
public enum WireRequest: Sendable, Equatable {
    case run(files: [SourceFile], mainFile: String, number: Int?)
    case getPlaceholder(sessionId: String, name: String, window: RowWindow?, options: ValueReadOptions = ValueReadOptions())
    case runModel(sessionId: String, name: String, isData: Bool, data: JSONValue, method: String?)
    case getStats(sessionId: String, name: String)
    case status(sessionId: String)
    case stop(sessionId: String)
    case listSessions
    case deleteSession(sessionId: String)
    case subscribe(sessionId: String, since: Int?)

    /// Every action the server knows, as the wire names it.
    public static let actions = ["run", "get_placeholder", "run_model", "get_stats", "status", "stop",
                                 "list_sessions", "delete_session", "subscribe"]
}

/// A request with what the reply must echo.
public struct Envelope: Sendable, Equatable {
    public var action: String
    /// The client's `id`, copied into the direct reply.
    public var id: JSONValue?
    public var request: WireRequest
}

/// A request that cannot be served: the `[error]:CODE` reply.
public struct ProtocolError: Error, Sendable, Equatable {
    public var code: String
    public var message: String
    public var action: String?
    public var id: JSONValue?

    public init(code: String, message: String, action: String? = nil, id: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.action = action
        self.id = id
    }

    public init(_ error: RuntimeError, action: String?, id: JSONValue?) {
        self.init(code: error.code.rawValue, message: error.message, action: action, id: id)
        programError = error.programError
    }

    /// The Python error behind a `MODEL_ERROR`.
    public var programError: ProgramError?

    /// The wire message.
    public var wireMessage: JSONValue {
        var error: [(String, JSONValue)] = [("code", .string(code)), ("message", .string(message))]
        if let programError {
            error.append(("type", .string(programError.type)))
            error.append(("traceback", programError.json["traceback"] ?? []))
            error.append(("text", .string(programError.text)))
        }
        var fields: [(String, JSONValue)] = [
            ("type", .string("[error]:\(code)")),
            ("error", .object(error)),
            ("action", action.map { .string($0) } ?? .null),
        ]
        if let id { fields.append(("id", id)) }
        return .object(fields)
    }
}
