/// A strict JSON parser (RFC 8259) producing ``JSONValue``: integers keep their
/// exact value, object keys keep their order, and nesting is bounded.
///
/// Strict means nothing outside the grammar is accepted and nothing is repaired:
/// strings must be well-formed UTF-8, and a `\u` escape of a surrogate must be
/// one half of a pair; a number that overflows a `Double` is refused. It passes
/// JSONTestSuite (`Tests/RuntimeCoreTests/JSONTestSuiteTests.swift` lists what
/// it does with the implementation-defined cases).
public struct JSONParser {
    /// Why a text is not JSON, with the byte offset where reading stopped.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// What is wrong, e.g. `unexpected end of input`.
        public var message: String
        /// The byte offset in the text where reading stopped.
        public var offset: Int
        /// The message and the offset: `expected ':' at byte 7`.
        public var description: String { "\(message) at byte \(offset)" }
    }

    /// The deepest nesting of arrays and objects accepted.
    public static let maximumDepth = 512

    private let bytes: [UInt8]
    private var position = 0
    private var depth = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Parses one JSON value that fills the whole text (surrounding white space allowed).
    public static func parse(_ text: String) throws(Failure) -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// Parses one JSON value from UTF-8 bytes.
    public static func parse(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        var parser = JSONParser(bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        guard parser.position == parser.bytes.count else { throw parser.fail("unexpected text after the value") }
        return value
    }

    private func fail(_ message: String) -> Failure { Failure(message: message, offset: position) }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(Failure) -> JSONValue {
        guard position < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectWord("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw fail("unexpected character")
        }
    }

    private mutating func expectWord(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw fail("unexpected end of input") }
        let matches = word.withUTF8Buffer { buffer in
            (0..<count).allSatisfy { bytes[position + $0] == buffer[$0] }
        }
        guard matches else { throw fail("unexpected word") }
        position += count
    }

    private mutating func enter() throws(Failure) {
        depth += 1
        if depth > JSONParser.maximumDepth { throw fail("nesting deeper than \(JSONParser.maximumDepth)") }
    }

    private mutating func parseObject() throws(Failure) -> JSONValue {
        try enter()
        position += 1
        var pairs: [(String, JSONValue)] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1; depth -= 1
            return .object(pairs)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            position += 1
            skipWhitespace()
            pairs.append((key, try parseValue()))
            skipWhitespace()
            guard position < bytes.count else { throw fail("unexpected end of input") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "}") { position += 1; break }
            throw fail("expected ',' or '}'")
        }
        depth -= 1
        return .object(pairs)
    }

    private mutating func parseArray() throws(Failure) -> JSONValue {
        try enter()
        position += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1; depth -= 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue())
            skipWhitespace()
            guard position < bytes.count else { throw fail("unexpected end of input") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "]") { position += 1; break }
            throw fail("expected ',' or ']'")
        }
        depth -= 1
        return .array(items)
    }

    private mutating func parseNumber() throws(Failure) -> JSONValue {
        let start = position
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count, isDigit(bytes[position]) else { throw fail("invalid number") }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        var isInteger = true
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else { throw fail("invalid number") }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < bytes.count, isDigit(bytes[position]) else { throw fail("invalid number") }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if isInteger {
            if let value = Int64(text) { return .int(value) }
            return .bigInt(text)
        }
        guard let value = Double(text) else { throw fail("invalid number") }
        // A number beyond a double's range would silently become infinity
        // (and `null` when written again): refuse it rather than change data.
        guard value.isFinite else { throw fail("number out of range") }
        return .double(value)
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    /// Reads a string. Plain runs are copied as bytes into one buffer and
    /// decoded once at the end: time linear in the string's length, however
    /// many escapes it holds. (Appending to a `String.UnicodeScalarView` at
    /// each escape rebuilt the whole string, quadratic for long text with many
    /// `\n`.)
    ///
    /// The text must be well-formed UTF-8 (RFC 8259 §8.1): each byte from 0x80
    /// up starts a sequence that is checked where it stands, so an invalid one
    /// is refused at its offset, never replaced with U+FFFD. ASCII pays
    /// nothing more than one comparison. (`String(validating:)` at the end
    /// would check in the same pass that makes the `String`, but it is
    /// generic and about twice as slow as `String(decoding:)` here.)
    private mutating func parseString() throws(Failure) -> String {
        position += 1
        let start = position
        // Fast path: no escape before the closing quote.
        while position < bytes.count {
            let b = bytes[position]
            if b == UInt8(ascii: "\"") {
                position += 1
                return String(decoding: bytes[start..<(position - 1)], as: UTF8.self)
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw fail("control character in string") }
            position += b < 0x80 ? 1 : try utf8SequenceLength()
        }
        guard position < bytes.count else { throw fail("unterminated string") }
        var utf8: [UInt8] = []
        utf8.reserveCapacity(position - start + 16)
        utf8.append(contentsOf: bytes[start..<position])
        var runStart = position
        while true {
            guard position < bytes.count else { throw fail("unterminated string") }
            let b = bytes[position]
            if b == UInt8(ascii: "\"") {
                utf8.append(contentsOf: bytes[runStart..<position])
                position += 1
                break
            }
            if b < 0x20 { throw fail("control character in string") }
            if b == UInt8(ascii: "\\") {
                utf8.append(contentsOf: bytes[runStart..<position])
                position += 1
                guard position < bytes.count else { throw fail("unterminated string") }
                let e = bytes[position]
                position += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(e)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"): utf8.append(contentsOf: try parseUnicodeEscape().utf8)
                default: throw fail("invalid escape")
                }
                runStart = position
                continue
            }
            position += b < 0x80 ? 1 : try utf8SequenceLength()
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// The length of the well-formed UTF-8 sequence at `position`, or a failure there.
    private func utf8SequenceLength() throws(Failure) -> Int {
        guard let length = UTF8Sequence.length(in: bytes, at: position) else { throw fail("invalid UTF-8 in string") }
        return length
    }

    private mutating func parseHex4() throws(Failure) -> UInt32 {
        guard position + 4 <= bytes.count else { throw fail("invalid \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[position]
            let digit: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw fail("invalid \\u escape")
            }
            value = value * 16 + digit
            position += 1
        }
        return value
    }

    /// Reads the four hex digits of a `\u` escape and, after a high
    /// surrogate, the escaped low surrogate that must follow it.
    ///
    /// RFC 8259 §8.2 leaves unpaired surrogates to the implementation; this
    /// parser is strict and refuses them: a high surrogate (`\uD800`–`\uDBFF`)
    /// must be followed at once by an escaped low one (`\uDC00`–`\uDFFF`),
    /// and a low one must follow a high one. Such a string is not Unicode
    /// text: replacing or dropping the escape would change what the client
    /// sent without telling it.
    private mutating func parseUnicodeEscape() throws(Failure) -> Unicode.Scalar {
        let escapeStart = position - 2
        let first = try parseHex4()
        let value: UInt32
        switch first {
        case 0xD800..<0xDC00:
            guard position + 2 <= bytes.count, bytes[position] == UInt8(ascii: "\\"),
                bytes[position + 1] == UInt8(ascii: "u")
            else { throw Failure(message: "high surrogate escape without a low one", offset: escapeStart) }
            position += 2
            let second = try parseHex4()
            guard (0xDC00..<0xE000).contains(second) else {
                throw Failure(message: "high surrogate escape without a low one", offset: escapeStart)
            }
            value = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        case 0xDC00..<0xE000:
            throw Failure(message: "low surrogate escape without a high one", offset: escapeStart)
        default:
            value = first
        }
        // Always a scalar here (not a surrogate, at most U+10FFFF).
        guard let scalar = Unicode.Scalar(value) else { throw Failure(message: "invalid \\u escape", offset: escapeStart) }
        return scalar
    }
}
