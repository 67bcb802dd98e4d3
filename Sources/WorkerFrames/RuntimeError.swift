import RuntimeJSON

/// The one error model of the runtime: every failure the worker, the library
/// and the server report carries a ``Code`` that is one of the wire
/// contract's error codes, a human message, and optionally the Python error
/// (``programError``) and the underlying cause.
///
/// The worker sends it in its reply frames, `RuntimeCore` throws it from the
/// `Session` APIs, and the server turns it into the `[error]:CODE` reply.
/// Its APIs use typed throws (`throws(RuntimeError)`), so a `catch` block
/// reads ``code`` without a cast.
public struct RuntimeError: Error, Sendable, CustomStringConvertible {
    /// An error code of the wire contract. A struct over a private enum, so
    /// new codes can be added without breaking anyone's `switch`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, CaseIterable {
            case invalidJSON = "INVALID_JSON"
            case unknownAction = "UNKNOWN_ACTION"
            case invalidRequest = "INVALID_REQUEST"
            case invalidFilename = "INVALID_FILENAME"
            case sessionNotFound = "SESSION_NOT_FOUND"
            case placeholderNotFound = "PLACEHOLDER_NOT_FOUND"
            case notAModel = "NOT_A_MODEL"
            case notADataset = "NOT_A_DATASET"
            case modelError = "MODEL_ERROR"
            case pathNotAllowed = "PATH_NOT_ALLOWED"
            case limitExceeded = "LIMIT_EXCEEDED"
            case unauthorized = "UNAUTHORIZED"
            case internalError = "INTERNAL"
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The wire name, e.g. `SESSION_NOT_FOUND`.
        public var rawValue: String { value.rawValue }
        /// The wire name (``rawValue``).
        public var description: String { rawValue }

        /// The message is not JSON, or not a JSON object (wire only).
        public static let invalidJSON = Code(.invalidJSON)
        /// The `action` is missing, not a string, or not one the server knows (wire only).
        public static let unknownAction = Code(.unknownAction)
        /// A field is missing, of the wrong type, or out of range.
        public static let invalidRequest = Code(.invalidRequest)
        /// A file name of a `run` is not a plain relative `.py` path.
        public static let invalidFilename = Code(.invalidFilename)
        /// No session with that id (or not one of the caller's).
        public static let sessionNotFound = Code(.sessionNotFound)
        /// No placeholder or global with that name, or the session's values are lost.
        public static let placeholderNotFound = Code(.placeholderNotFound)
        /// The value has no `predict` (or the named method) and is not callable.
        public static let notAModel = Code(.notAModel)
        /// The value is not a table, series or array.
        public static let notADataset = Code(.notADataset)
        /// The model raised; ``RuntimeError/programError`` holds the Python error.
        public static let modelError = Code(.modelError)
        /// A data file outside the session's folder and the allowed folders.
        public static let pathNotAllowed = Code(.pathNotAllowed)
        /// A size, count or time limit was reached, or the request was cancelled.
        public static let limitExceeded = Code(.limitExceeded)
        /// The WebSocket upgrade carried no valid token (HTTP 401; wire only).
        public static let unauthorized = Code(.unauthorized)
        /// The runtime failed; the message says how.
        public static let internalError = Code(.internalError)

        /// Every code, in the contract's order.
        public static var allCodes: [Code] { Value.allCases.map(Code.init) }

        /// The code with this wire name, if there is one.
        public init?(rawValue: String) {
            guard let value = Value(rawValue: rawValue) else { return nil }
            self.value = value
        }
    }

    /// The wire contract's error code.
    public var code: Code
    /// What went wrong, for people: the server sends it as the error's `message`.
    public var message: String
    /// The Python error behind it, for ``Code/modelError`` (and a function
    /// that raised in `apply(function:to:)`).
    public var programError: ProgramError?
    /// What went wrong underneath (a system call, a parser), for logs and callers;
    /// never sent on the wire.
    public var cause: (any Error)?

    /// An error with `code` and `message`; `programError` and `cause` as above.
    public init(_ code: Code, _ message: String, programError: ProgramError? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.programError = programError
        self.cause = cause
    }

    /// `CODE: message`.
    public var description: String { "\(code): \(message)" }

    /// The seed's wording for an unknown session.
    public static func sessionNotFound(_ id: String) -> RuntimeError {
        RuntimeError(.sessionNotFound, "Session not found")
    }

    /// The error as worker reply frames carry it: `{"code", "message", "error"?}`,
    /// cut to the limits the server checks (a message may quote a client's
    /// long name, a program error a huge exception), divided by `divisor`.
    package func frameJSON(dividedBy divisor: Int = 1) -> JSONValue {
        let cut = message.cut(toBytes: ProgramError.maximumMessageBytes / divisor)
        var fields: [(String, JSONValue)] = [("code", .string(code.rawValue)), ("message", .string(cut))]
        if let programError { fields.append(("error", programError.cutToLimits(dividedBy: divisor).json)) }
        return .object(fields)
    }

    /// Reads the error of a worker's reply, which nothing vouches for: nil when
    /// its message or program error is not a string and an error object
    /// within ``ProgramError``'s limits. An unknown code is `INTERNAL`.
    package init?(checkedFrameJSON json: JSONValue?) {
        guard let json, case .object = json, let message = json["message"]?.stringValue,
              message.utf8.count <= ProgramError.maximumMessageBytes
        else { return nil }
        var programError: ProgramError?
        if let error = json["error"] {
            guard let checked = ProgramError(checkedJSON: error) else { return nil }
            programError = checked
        }
        self.init(Code(rawValue: json["code"]?.stringValue ?? "") ?? .internalError, message, programError: programError)
    }
}
