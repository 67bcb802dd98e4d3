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

/// How a `get_placeholder` read encodes its value (`Docs/Protocol.md`, "Values").
public struct ValueReadOptions: Sendable, Equatable {
    /// The value's encoding.
    public enum Format: String, Sendable, Equatable, CaseIterable {
        /// The contract's encoding (the default).
        case json
        /// The original server's: `jsonpickle.pickler.Pickler().flatten(value)`
        /// with jsonpickle's numpy and pandas handlers; no window or row cap.
        case jsonpickle
    }

    /// Non-finite floats as `"NaN"`, `"Infinity"`, `"-Infinity"` everywhere.
    public var exact: Bool
    /// The value's encoding: the contract's (default) or jsonpickle's.
    public var format: Format

    /// The default options: the contract's encoding, non-finite floats as it has them.
    public init(exact: Bool = false, format: Format = .json) {
        self.exact = exact
        self.format = format
    }
}

extension Session {
    /// The default: a session that cannot encode with options serves the
    /// default ones only (a non-default one is `INVALID_REQUEST`).
    public func readPlaceholder(named name: String, window: RowWindow?,
                                options: ValueReadOptions) async throws(RuntimeError) -> PlaceholderValue {
        guard options == ValueReadOptions() else {
            throw RuntimeError(.invalidRequest, "this session cannot encode values with exact or format options")
        }
        return try await readPlaceholder(named: name, window: window)
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
    /// A DataFrame's or structured array's dtypes (column → dtype name), or a
    /// Series' or array's dtype name; nil for other values.
    public var dtypes: JSONValue? = nil
    /// The categories of categorical columns (column → list) or of a
    /// categorical Series (a list); nil when nothing is categorical.
    public var categories: JSONValue? = nil
    /// MIME type → content for values with a display form, with `truncated`
    /// listing what the size cap left out; nil for none.
    public var display: JSONValue? = nil
    /// `"jsonpickle"` when the value is in that format; nil for the default.
    public var format: String? = nil

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
