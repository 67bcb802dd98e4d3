import RuntimeJSON
import WorkerFrames
/// A value a program saved with `runtimeBridge.save_placeholder(name, value)`.
/// The live Python object stays in the session's worker; reading it encodes it.
public protocol Placeholder: Sendable {
    /// The id of the session holding the value.
    var sessionId: String { get }
    /// The name the program saved it under.
    var name: String { get }
    /// `type(value).__name__` when it was saved.
    var valueType: String { get }

    /// Encodes the current value; `window` pages tables and arrays.
    func read(window: RowWindow?) async throws(RuntimeError) -> PlaceholderValue

    /// The session the value lives in.
    var session: any Session { get }
}

extension Placeholder {
    /// The value's statistics (it must be a dataset), by `engine`.
    public func statistics(using engine: any StatsEngine = NativeStatsEngine()) async throws(RuntimeError) -> JSONFragment {
        try await session.statistics(of: name, using: engine)
    }

    /// Calls the value (it must be a model) on `input`, by `invoker`.
    public func predict(_ input: ModelInput, method: String? = nil,
                        using invoker: any ModelInvoker = PythonModelInvoker()) async throws(RuntimeError) -> JSONFragment {
        try await session.predict(model: name, input: input, method: method, using: invoker)
    }
}

/// Rows `begin ..< begin + size` of a table or array.
///
/// A window that starts past the end is empty; one that reaches past it is
/// cut at the last row (``PlaceholderValue/window`` says what was sent).
public struct RowWindow: Sendable, Equatable {
    /// The first row, from 0.
    public var begin: Int
    /// How many rows, at most.
    public var size: Int

    /// Rows `begin ..< begin + size`.
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
///
/// The worker encodes a value once; the parts the server passes on (the
/// value, dtypes, categories, display bundle) stay JSON text
/// (``/RuntimeJSON/JSONFragment``) and are spliced into the reply unparsed. The
/// `value`, `dtypes`, `categories` and `display` properties parse them for
/// callers that look inside.
public struct PlaceholderValue: Sendable, Equatable {
    /// The name that was read.
    public var name: String
    /// `type(value).__name__`: `int`, `DataFrame`, `ndarray`, ...
    public var valueType: String
    /// The value by the contract's encoding rules, as JSON text.
    public var encodedValue: JSONFragment
    /// For a windowed read: the window actually sent and the total row count.
    public var window: Window?
    /// Whether rows were left out because no window was asked for and the
    /// value has more rows than the configured cap.
    public var truncated: Bool
    /// The total row count of a table or array, when it is one.
    public var rowCount: Int?
    /// A DataFrame's or structured array's dtypes (column → dtype name), or a
    /// Series' or array's dtype name; nil for other values.
    public var encodedDtypes: JSONFragment?
    /// The categories of categorical columns (column → list) or of a
    /// categorical Series (a list); nil when nothing is categorical.
    public var encodedCategories: JSONFragment?
    /// MIME type → content for values with a display form, with `truncated`
    /// listing what the size cap left out; nil for none.
    public var encodedDisplay: JSONFragment?
    /// `"jsonpickle"` when the value is in that format; nil for the default.
    public var format: String?

    /// The rows a windowed read sent.
    public struct Window: Sendable, Equatable {
        /// The first row sent.
        public var begin: Int
        /// The rows sent: fewer than asked for when the window reached past the end.
        public var size: Int
        /// The total number of rows.
        public var max: Int

        /// Rows `begin ..< begin + size` of `max`.
        public init(begin: Int, size: Int, max: Int) {
            self.begin = begin
            self.size = size
            self.max = max
        }
    }

    /// A value already encoded (what a ``Session`` of your own returns when
    /// its values come as JSON text).
    public init(name: String, valueType: String, encodedValue: JSONFragment, window: Window? = nil, truncated: Bool = false,
                rowCount: Int? = nil, encodedDtypes: JSONFragment? = nil, encodedCategories: JSONFragment? = nil,
                encodedDisplay: JSONFragment? = nil, format: String? = nil) {
        self.name = name
        self.valueType = valueType
        self.encodedValue = encodedValue
        self.window = window
        self.truncated = truncated
        self.rowCount = rowCount
        self.encodedDtypes = encodedDtypes
        self.encodedCategories = encodedCategories
        self.encodedDisplay = encodedDisplay
        self.format = format
    }

    /// A value given as a ``/RuntimeJSON/JSONValue`` (encoded here, once).
    public init(name: String, valueType: String, value: JSONValue, window: Window? = nil, truncated: Bool = false,
                rowCount: Int? = nil, dtypes: JSONValue? = nil, categories: JSONValue? = nil, display: JSONValue? = nil,
                format: String? = nil) {
        self.init(name: name, valueType: valueType, encodedValue: JSONFragment(value), window: window, truncated: truncated,
                  rowCount: rowCount, encodedDtypes: dtypes.map(JSONFragment.init),
                  encodedCategories: categories.map(JSONFragment.init), encodedDisplay: display.map(JSONFragment.init),
                  format: format)
    }

    /// What a worker's reply carried.
    init(name: String, encoded: EncodedValue) {
        self.init(name: name, valueType: encoded.valueType, encodedValue: encoded.value,
                  window: encoded.window.map { Window(begin: $0.begin, size: $0.size, max: $0.max) },
                  truncated: encoded.truncated, rowCount: encoded.rowCount, encodedDtypes: encoded.dtypes,
                  encodedCategories: encoded.categories, encodedDisplay: encoded.display, format: encoded.format)
    }

    /// The value, parsed (`null` if its text were not JSON, which a fragment never is).
    public var value: JSONValue { (try? encodedValue.decoded()) ?? .null }
    /// The dtypes, parsed.
    public var dtypes: JSONValue? { encodedDtypes.flatMap { try? $0.decoded() } }
    /// The categories, parsed.
    public var categories: JSONValue? { encodedCategories.flatMap { try? $0.decoded() } }
    /// The display bundle, parsed.
    public var display: JSONValue? { encodedDisplay.flatMap { try? $0.decoded() } }
}

/// The default ``Placeholder``: a name in a session, read through the
/// session's ``Session/readPlaceholder(named:window:)``. A ``Session`` of
/// your own returns these from ``Session/placeholders()``.
public struct SessionPlaceholder: Placeholder {
    /// The session the value lives in.
    public let session: any Session
    /// The name the program saved it under.
    public let name: String
    /// `type(value).__name__` when it was saved.
    public let valueType: String

    /// A placeholder called `name` in `session`.
    public init(session: any Session, name: String, valueType: String) {
        self.session = session
        self.name = name
        self.valueType = valueType
    }

    /// The session's id.
    public var sessionId: String { session.id }

    /// Reads the value through the session.
    public func read(window: RowWindow?) async throws(RuntimeError) -> PlaceholderValue {
        try await session.readPlaceholder(named: name, window: window)
    }
}
