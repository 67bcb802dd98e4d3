/// Checks that bytes hold exactly one JSON value (RFC 8259, strict: UTF-8
/// only, no lone surrogate escapes, nesting at most
/// ``JSONParser/maximumDepth``, no fraction or exponent beyond a `Double`'s
/// range) without building anything: it accepts what ``JSONParser`` reads.
///
/// This is how bytes from an untrusted source (a worker's encoded value) are
/// accepted as a ``JSONFragment``: one pass, no allocation, several times
/// faster than parsing them into a ``JSONValue``.
public enum JSONValidator {
    /// Whether `bytes` are one JSON value, white space around it allowed.
    public static func isValid(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            var scanner = Scanner(bytes: buffer)
            scanner.skipWhitespace()
            guard scanner.value(depth: 0) else { return false }
            scanner.skipWhitespace()
            return scanner.position == buffer.count
        }
    }

    /// Where the value at `path` (object keys from the top) lies in
    /// `bytes`, which must be valid JSON; nil when a key is missing, a step
    /// is not an object, or a key met on the way (the one sought, or one
    /// before it in its object) is written with escapes (the caller then
    /// encodes the parsed value instead). The first of duplicate keys wins,
    /// as in ``JSONValue``'s subscript.
    public static func range(ofMemberAt path: [String], in bytes: [UInt8]) -> Range<Int>? {
        bytes.withUnsafeBufferPointer { buffer -> Range<Int>? in
            var scanner = Scanner(bytes: buffer)
            scanner.skipWhitespace()
            for key in path {
                guard scanner.seekMember(Array(key.utf8)) else { return nil }
            }
            let start = scanner.position
            guard scanner.value(depth: 0) else { return nil }
            return start..<scanner.position
        }
    }

    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        var atEnd: Bool { position >= bytes.count }
        var current: UInt8 { bytes[position] }

        mutating func skipWhitespace() {
            while !atEnd, current == 0x20 || current == 0x0A || current == 0x0D || current == 0x09 { position += 1 }
        }

        mutating func value(depth: Int) -> Bool {
            guard !atEnd else { return false }
            switch current {
            case UInt8(ascii: "{"): return object(depth: depth + 1)
            case UInt8(ascii: "["): return array(depth: depth + 1)
            case UInt8(ascii: "\""): return string()
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            default: return number()
            }
        }

        /// At an object: moves to the value of the member `key`.
        mutating func seekMember(_ key: [UInt8]) -> Bool {
            guard !atEnd, current == UInt8(ascii: "{") else { return false }
            position += 1
            while true {
                skipWhitespace()
                guard !atEnd, current == UInt8(ascii: "\"") else { return false }
                let keyStart = position + 1
                guard string() else { return false }
                let raw = bytes[keyStart..<(position - 1)]
                // An escaped key may spell `key` and would then be the member
                // the parser's first-wins lookup picks: give up (the caller
                // encodes the parsed value) rather than find a later duplicate.
                guard !raw.contains(UInt8(ascii: "\\")) else { return false }
                skipWhitespace()
                guard !atEnd, current == UInt8(ascii: ":") else { return false }
                position += 1
                skipWhitespace()
                if raw.elementsEqual(key) { return true }
                guard value(depth: 1) else { return false }
                skipWhitespace()
                guard !atEnd, current == UInt8(ascii: ",") else { return false }
                position += 1
            }
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard bytes.count - position >= count else { return false }
            let matches = word.withUTF8Buffer { expected in
                (0..<count).allSatisfy { bytes[position + $0] == expected[$0] }
            }
            position += count
            return matches
        }

        mutating func object(depth: Int) -> Bool {
            guard depth <= JSONParser.maximumDepth else { return false }
            position += 1
            skipWhitespace()
            if !atEnd, current == UInt8(ascii: "}") { position += 1; return true }
            while true {
                skipWhitespace()
                guard !atEnd, current == UInt8(ascii: "\""), string() else { return false }
                skipWhitespace()
                guard !atEnd, current == UInt8(ascii: ":") else { return false }
                position += 1
                skipWhitespace()
                guard value(depth: depth) else { return false }
                skipWhitespace()
                guard !atEnd else { return false }
                if current == UInt8(ascii: ",") { position += 1; continue }
                if current == UInt8(ascii: "}") { position += 1; return true }
                return false
            }
        }

        mutating func array(depth: Int) -> Bool {
            guard depth <= JSONParser.maximumDepth else { return false }
            position += 1
            skipWhitespace()
            if !atEnd, current == UInt8(ascii: "]") { position += 1; return true }
            while true {
                skipWhitespace()
                guard value(depth: depth) else { return false }
                skipWhitespace()
                guard !atEnd else { return false }
                if current == UInt8(ascii: ",") { position += 1; continue }
                if current == UInt8(ascii: "]") { position += 1; return true }
                return false
            }
        }

        mutating func digits() -> Int {
            let start = position
            while !atEnd, current >= UInt8(ascii: "0"), current <= UInt8(ascii: "9") { position += 1 }
            return position - start
        }

        /// A number, refused (as ``JSONParser`` refuses it) when it is not an
        /// integer and is beyond a `Double`'s range: `1e400` would be infinity.
        mutating func number() -> Bool {
            let start = position
            if !atEnd, current == UInt8(ascii: "-") { position += 1 }
            guard !atEnd else { return false }
            var integerDigits = 1
            if current == UInt8(ascii: "0") {
                position += 1
            } else {
                integerDigits = digits()
                guard integerDigits > 0 else { return false }
            }
            var isInteger = true
            if !atEnd, current == UInt8(ascii: ".") {
                isInteger = false
                position += 1
                guard digits() > 0 else { return false }
            }
            var exponent = 0
            if !atEnd, current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                isInteger = false
                position += 1
                var sign = 1
                if !atEnd, current == UInt8(ascii: "+") || current == UInt8(ascii: "-") {
                    if current == UInt8(ascii: "-") { sign = -1 }
                    position += 1
                }
                let digitsStart = position
                guard digits() > 0 else { return false }
                for digit in bytes[digitsStart..<position] { exponent = min(exponent * 10 + Int(digit - UInt8(ascii: "0")), 1_000_000) }
                exponent *= sign
            }
            // Below 10^308 a double is finite; past that, read it (rare: no
            // allocation for the numbers of ordinary data).
            guard !isInteger, integerDigits + exponent > 308 else { return true }
            return Double(String(decoding: bytes[start..<position], as: UTF8.self))?.isFinite ?? false
        }

        mutating func hexQuad() -> UInt32? {
            guard bytes.count - position >= 4 else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = current
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
                position += 1
            }
            return value
        }

        mutating func string() -> Bool {
            position += 1
            while !atEnd {
                let byte = current
                switch byte {
                case UInt8(ascii: "\""):
                    position += 1
                    return true
                case UInt8(ascii: "\\"):
                    position += 1
                    guard !atEnd else { return false }
                    let escaped = current
                    position += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                         UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        continue
                    case UInt8(ascii: "u"):
                        guard let unit = hexQuad() else { return false }
                        if unit >= 0xDC00, unit <= 0xDFFF { return false }
                        if unit >= 0xD800, unit <= 0xDBFF {
                            guard bytes.count - position >= 6, bytes[position] == UInt8(ascii: "\\"),
                                  bytes[position + 1] == UInt8(ascii: "u") else { return false }
                            position += 2
                            guard let low = hexQuad(), low >= 0xDC00, low <= 0xDFFF else { return false }
                        }
                    default:
                        return false
                    }
                case 0..<0x20:
                    return false
                case 0..<0x80:
                    position += 1
                default:
                    guard utf8Sequence() else { return false }
                }
            }
            return false
        }

        /// One multi-byte UTF-8 sequence, well-formed by the Unicode standard.
        mutating func utf8Sequence() -> Bool {
            guard let length = UTF8Sequence.length(in: bytes, at: position) else { return false }
            position += length
            return true
        }
    }
}
