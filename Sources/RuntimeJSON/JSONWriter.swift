/// Writes JSON text as UTF-8 bytes into one growing buffer.
///
/// Every write appends to the end of ``bytes`` (amortised O(1) per byte), so
/// encoding a value costs time linear in its text. The writer this replaces
/// appended through `String.unicodeScalars`, whose `append(contentsOf:)`
/// rebuilds the whole string: each string value copied all the text written
/// before it, which made a table with a text column quadratic to encode.
package struct JSONWriter {
    /// The text written so far.
    @usableFromInline package private(set) var bytes: [UInt8] = []

    package init(reservingCapacity capacity: Int = 64) {
        bytes.reserveCapacity(capacity)
    }

    /// Appends one byte of punctuation (`[`, `,`, ...).
    @inlinable package mutating func append(byte: UInt8) {
        bytes.append(byte)
    }

    /// Appends bytes that are already JSON text (or punctuation between values).
    package mutating func append(_ raw: [UInt8]) {
        bytes.append(contentsOf: raw)
    }

    /// Writes an object whose members are values to encode or fragments
    /// already encoded, in the order given.
    ///
    /// A fragment of `sharingFrom` bytes or more is not copied: the text
    /// written before it and the fragment's own bytes (shared, not copied)
    /// are returned as pieces, in order, and ``bytes`` goes on with the text
    /// after it. The object's text is the pieces followed by ``bytes``.
    @discardableResult
    package mutating func writeObject(_ members: [(String, JSONMember)], sharingFrom: Int = .max) -> [[UInt8]] {
        var pieces: [[UInt8]] = []
        bytes.append(UInt8(ascii: "{"))
        var first = true
        for (key, member) in members {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            writeString(key)
            bytes.append(UInt8(ascii: ":"))
            switch member {
            case .value(let value):
                write(value)
            case .fragment(let fragment) where fragment.bytes.count >= sharingFrom:
                pieces.append(bytes)
                pieces.append(fragment.bytes)
                bytes = []
                bytes.reserveCapacity(256)
            case .fragment(let fragment):
                write(fragment)
            }
        }
        bytes.append(UInt8(ascii: "}"))
        return pieces
    }

    package mutating func write(_ value: JSONValue) {
        switch value {
        case .null: writeASCII("null")
        case .bool(let b): writeASCII(b ? "true" : "false")
        case .int(let i): writeInteger(i)
        case .bigInt(let s): bytes.append(contentsOf: s.utf8)
        case .double(let d): writeDouble(d)
        case .string(let s): writeString(s)
        case .array(let items):
            bytes.append(UInt8(ascii: "["))
            var first = true
            for item in items {
                if !first { bytes.append(UInt8(ascii: ",")) }
                first = false
                write(item)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let pairs):
            bytes.append(UInt8(ascii: "{"))
            var first = true
            for (key, item) in pairs {
                if !first { bytes.append(UInt8(ascii: ",")) }
                first = false
                writeString(key)
                bytes.append(UInt8(ascii: ":"))
                write(item)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// Appends ASCII text known at compile time (punctuation, literals).
    @inlinable package mutating func writeASCII(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Decimal digits without an intermediate `String`, most significant
    /// first. (Only `append` touches the buffer: in debug builds it is
    /// pre-specialised for bytes, where `swapAt` or slices are generic calls.)
    @inlinable package mutating func writeInteger(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        // The magnitude as unsigned, so that Int64.min has one too.
        var magnitude = value.magnitude
        var divisor: UInt64 = 1
        while magnitude / divisor >= 10 { divisor *= 10 }
        repeat {
            bytes.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude / divisor))
            magnitude %= divisor
            divisor /= 10
        } while divisor > 0
    }

    /// Non-finite doubles, which JSON cannot carry, are written as `null`;
    /// integral doubles keep a fraction so that they read back as doubles,
    /// and `-0.0` keeps its sign (as Python's `json` writes it).
    @inlinable package mutating func writeDouble(_ d: Double) {
        guard d.isFinite else { writeASCII("null"); return }
        if d == d.rounded(), abs(d) < 1e16 {
            if d.sign == .minus && d == 0 { writeASCII("-") }
            writeInteger(Int64(d))
            writeASCII(".0")
        } else {
            var text = d.description
            text.withUTF8 { bytes.append(contentsOf: $0) }
        }
    }

    /// A JSON string: quotes, backslashes and control characters escaped, and
    /// U+2028/U+2029 too (JavaScript line terminators); runs of plain bytes
    /// are copied in one append.
    package mutating func writeString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = s
        text.withUTF8 { writeEscaped($0) }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func writeEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        var plainStart = 0
        var index = 0
        let count = utf8.count
        while index < count {
            let byte = utf8[index]
            var skip = 1
            let escape: StaticString?
            switch byte {
            case UInt8(ascii: "\""): escape = "\\\""
            case UInt8(ascii: "\\"): escape = "\\\\"
            case UInt8(ascii: "\n"): escape = "\\n"
            case UInt8(ascii: "\r"): escape = "\\r"
            case UInt8(ascii: "\t"): escape = "\\t"
            case 0..<0x20: escape = nil
            case 0xE2 where index + 2 < count && utf8[index + 1] == 0x80 && (utf8[index + 2] == 0xA8 || utf8[index + 2] == 0xA9):
                escape = utf8[index + 2] == 0xA8 ? "\\u2028" : "\\u2029"
                skip = 3
            default:
                index += 1
                continue
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[plainStart..<index]))
            if let escape {
                writeASCII(escape)
            } else {
                writeControlEscape(byte)
            }
            index += skip
            plainStart = index
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[plainStart..<count]))
    }

    /// `\u00XX` in lower-case hex, as the previous writer wrote it.
    private mutating func writeControlEscape(_ byte: UInt8) {
        func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10 }
        writeASCII("\\u00")
        bytes.append(hexDigit(byte >> 4))
        bytes.append(hexDigit(byte & 0x0F))
    }
}
