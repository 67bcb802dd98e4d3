/// An error from the runtime, with a stable ``Code`` that maps one to one onto
/// the wire contract's error codes, a human message, and an optional cause.
public struct RuntimeError: Error, Sendable, CustomStringConvertible {
    /// A runtime error code. A struct over a private enum, so new codes can be
    /// added without breaking anyone's `switch`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case invalidRequest = "INVALID_REQUEST"
            case invalidFilename = "INVALID_FILENAME"
            case sessionNotFound = "SESSION_NOT_FOUND"
            case placeholderNotFound = "PLACEHOLDER_NOT_FOUND"
            case notAModel = "NOT_A_MODEL"
            case notADataset = "NOT_A_DATASET"
            case modelError = "MODEL_ERROR"
            case pathNotAllowed = "PATH_NOT_ALLOWED"
            case limitExceeded = "LIMIT_EXCEEDED"
            case internalError = "INTERNAL"
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The wire name, e.g. `SESSION_NOT_FOUND`.
        public var rawValue: String { value.rawValue }
        public var description: String { rawValue }

        public static let invalidRequest = Code(.invalidRequest)
        public static let invalidFilename = Code(.invalidFilename)
        public static let sessionNotFound = Code(.sessionNotFound)
        public static let placeholderNotFound = Code(.placeholderNotFound)
        public static let notAModel = Code(.notAModel)
        public static let notADataset = Code(.notADataset)
        public static let modelError = Code(.modelError)
        public static let pathNotAllowed = Code(.pathNotAllowed)
        public static let limitExceeded = Code(.limitExceeded)
        public static let internalError = Code(.internalError)

        /// The code with this wire name, if there is one.
        public init?(rawValue: String) {
            guard let value = Value(rawValue: rawValue) else { return nil }
            self.value = value
        }
    }

    public var code: Code
    public var message: String
    /// The Python error behind it, for ``Code/modelError``.
    public var programError: ProgramError?

    public init(_ code: Code, _ message: String, programError: ProgramError? = nil) {
        self.code = code
        self.message = message
        self.programError = programError
    }

    public var description: String { "\(code): \(message)" }

    /// The seed's wording for an unknown session.
    public static func sessionNotFound(_ id: String) -> RuntimeError {
        RuntimeError(.sessionNotFound, "Session not found")
    }
}
