/// One JSON value kept as the UTF-8 text it was encoded to, so that it can be
/// passed on (spliced into a larger message) without being parsed and encoded
/// again.
///
/// A fragment is always one complete, valid JSON value: the initialisers
/// either encode a ``JSONValue`` or check the bytes with ``JSONValidator``.
public struct JSONFragment: Sendable, Hashable, CustomStringConvertible {
    /// The value's JSON text as UTF-8.
    public let bytes: [UInt8]

    /// Encodes `value` once.
    public init(_ value: JSONValue) {
        bytes = value.jsonBytes
    }

    /// Takes bytes that must hold exactly one JSON value (white space around
    /// it allowed); nil when they do not.
    public init?(validating bytes: [UInt8]) {
        guard JSONValidator.isValid(bytes) else { return nil }
        self.bytes = bytes
    }

    /// Takes bytes the caller has already checked (or encoded itself).
    package init(trusted bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// `null`.
    public static let null = JSONFragment(trusted: Array("null".utf8))

    /// The value, parsed. Use it where you need to look inside; passing a
    /// fragment on never needs it.
    public func decoded() throws(JSONParser.Failure) -> JSONValue {
        try JSONParser.parse(bytes)
    }

    /// The JSON text.
    public var description: String { String(decoding: bytes, as: UTF8.self) }
}

extension JSONWriter {
    /// Writes a fragment's bytes as they are.
    package mutating func write(_ fragment: JSONFragment) {
        append(fragment.bytes)
    }
}

/// A member of an object being written: a value to encode, or a fragment
/// whose bytes are copied as they are.
package enum JSONMember: Sendable {
    case value(JSONValue)
    case fragment(JSONFragment)
}

extension JSONFragment: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    /// A string literal, encoded: `"text"`.
    public init(stringLiteral value: String) { self.init(.string(value)) }
    /// An integer literal, encoded.
    public init(integerLiteral value: Int64) { self.init(.int(value)) }
    /// A boolean literal, encoded: `true` or `false`.
    public init(booleanLiteral value: Bool) { self.init(.bool(value)) }
    /// A floating-point literal, encoded.
    public init(floatLiteral value: Double) { self.init(.double(value)) }
    /// An array literal of ``JSONValue`` elements, encoded: `[[1.0, 2.0]]`.
    public init(arrayLiteral elements: JSONValue...) { self.init(.array(elements)) }
    /// A dictionary literal, encoded as an object with its keys in the order written.
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self.init(.object(elements)) }
    /// `nil`, encoded: `null`.
    public init(nilLiteral: ()) { self.init(.null) }
}
