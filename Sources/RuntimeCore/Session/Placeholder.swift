/// A value a program saved with `runtimeBridge.save_placeholder(name, value)`.
/// The live Python object stays in the session's worker; reading it encodes it.
public protocol Placeholder: Sendable {
    var sessionId: String { get }
    var name: String { get }
    /// `type(value).__name__` when it was saved.
    var valueType: String { get }

    /// Encodes the current value; `window` pages tables and arrays.
    func read(window: RowWindow?) async throws(RuntimeError) -> PlaceholderValue
}

/// Rows `begin ..< begin + size` of a table or array.
public struct RowWindow: Sendable, Equatable {
    public var begin: Int
    public var size: Int

    public init(begin: Int, size: Int) {
        self.begin = begin
        self.size = size
    }
}

/// An encoded placeholder value, as the `get_placeholder` reply carries it.
public struct PlaceholderValue: Sendable, Equatable {
    public var name: String
    /// `type(value).__name__`: `int`, `DataFrame`, `ndarray`, ...
    public var valueType: String
    /// The value by the contract's encoding rules.
    public var value: JSONValue
    /// For a windowed read: the window actually sent and the total row count.
    public var window: Window?
    /// Whether rows were left out because no window was asked for and the
    /// value has more rows than the configured cap.
    public var truncated: Bool
    /// The total row count of a table or array, when it is one.
    public var rowCount: Int?

    public struct Window: Sendable, Equatable {
        public var begin: Int
        public var size: Int
        /// The total number of rows.
        public var max: Int
    }
}

/// The default ``Placeholder``: a name in a session.
struct SessionPlaceholder: Placeholder {
    let session: any Session
    let name: String
    let valueType: String

    var sessionId: String { session.id }

    func read(window: RowWindow?) async throws(RuntimeError) -> PlaceholderValue {
        try await session.readPlaceholder(named: name, window: window)
    }
}
