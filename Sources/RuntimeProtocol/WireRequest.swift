import RuntimeCore

/// A request of the wire protocol, checked for shape and typed.
public enum WireRequest: Sendable, Equatable {
    case run(files: [SourceFile], mainFile: String, number: Int?)
    case getPlaceholder(sessionId: String, name: String, window: RowWindow?, options: ValueReadOptions = ValueReadOptions())
    /// `input` is the client's inline data as it sent it, or a file path.
    case runModel(sessionId: String, name: String, input: ModelInput, method: String?)
    case getStats(sessionId: String, name: String)
    case status(sessionId: String)
    case stop(sessionId: String)
    case listSessions
    case deleteSession(sessionId: String)
    case subscribe(sessionId: String, since: Int?)

    /// Every action the server knows, as the wire names it.
    public static var actions: [String] { WireAction.allCases.map(\.rawValue) }
}

/// A request with what the reply must echo.
public struct Envelope: Sendable, Equatable {
    public var action: String
    /// The client's `id`, copied into the direct reply.
    public var id: JSONValue?
    public var request: WireRequest
}

/// A request that cannot be served: the `[error]:CODE` reply, with the
/// request's `action` and `id` it echoes.
public struct ProtocolError: Error, Sendable {
    /// What went wrong, in the one error model.
    public var error: RuntimeError
    public var action: String?
    public var id: JSONValue?

    public init(_ error: RuntimeError, action: String? = nil, id: JSONValue? = nil) {
        self.error = error
        self.action = action
        self.id = id
    }

    public init(_ code: RuntimeError.Code, _ message: String, action: String? = nil, id: JSONValue? = nil) {
        self.init(RuntimeError(code, message), action: action, id: id)
    }

    public var code: RuntimeError.Code { error.code }
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
