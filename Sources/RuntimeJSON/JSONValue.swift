/// A JSON value that keeps what the wire contract needs exactly: integers of any
/// size (as their decimal digits) and the order of an object's keys.
///
/// Write values as literals (`["name": "x", "sizes": [1, 2.5, nil]]`), read
/// them with the subscripts and the typed accessors (``stringValue``,
/// ``intValue``, ``arrayValue``, ...), parse text with ``JSONParser`` and
/// write it with ``jsonString`` or ``jsonBytes``.
public enum JSONValue: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// An integer that fits in 64 bits.
    case int(Int64)
    /// An integer of any size, as its decimal digits (with an optional leading `-`).
    case bigInt(String)
    /// A number with a fraction or an exponent. Non-finite values cannot be
    /// written as JSON: they are written as `null`.
    case double(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object as ordered key/value pairs.
    case object([(String, JSONValue)])

    /// Whether two values are the same JSON: numbers compare by value (`1`
    /// equals `1.0`, NaN equals NaN), objects by their keys and values in order.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.bigInt(a), .bigInt(b)): return a == b
        case let (.double(a), .double(b)): return a == b || (a.isNaN && b.isNaN)
        case let (.int(a), .double(b)), let (.double(b), .int(a)): return Double(a) == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// Hashes the value so that values equal by ``==(_:_:)`` hash alike
    /// (an integer as the double it equals).
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let b): hasher.combine(b)
        case .int(let i): hasher.combine(Double(i))
        case .bigInt(let s): hasher.combine(s)
        case .double(let d): hasher.combine(d)
        case .string(let s): hasher.combine(s)
        case .array(let a): hasher.combine(a)
        case .object(let o):
            for (k, v) in o { hasher.combine(k); hasher.combine(v) }
        }
    }
}

extension JSONValue {
    /// The value of `key` when this is an object (the first one, if repeated).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.first(where: { $0.0 == key })?.1
    }

    /// The element at `index` when this is an array.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }

    /// The string, when this is one.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The boolean, when this is one.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The value as an `Int` when it is an integer (or a double with no fraction).
    public var intValue: Int? {
        switch self {
        case .int(let i): return Int(exactly: i)
        case .double(let d) where d.rounded() == d && abs(d) < 9.0e15: return Int(d)
        default: return nil
        }
    }

    /// The value as a `Double` when it is a number of any kind (a big
    /// integer rounded to the nearest double).
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .bigInt(let s): return Double(s)
        default: return nil
        }
    }

    /// The elements, when this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The key/value pairs in their order, when this is an object.
    public var objectValue: [(String, JSONValue)]? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// Whether this is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// A short name for the kind of value, used in error messages.
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .bigInt, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    /// A string literal: ``string(_:)``.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An integer literal: ``int(_:)``.
    public init(integerLiteral value: Int64) { self = .int(value) }
    /// A boolean literal: ``bool(_:)``.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// A floating-point literal: ``double(_:)``.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// An array literal: ``array(_:)``.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// A dictionary literal: ``object(_:)``, keys in the order written.
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(elements) }
    /// `nil`: ``null``.
    public init(nilLiteral: ()) { self = .null }
}
