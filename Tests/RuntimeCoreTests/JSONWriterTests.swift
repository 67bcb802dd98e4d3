import RuntimeTestSupport
import Testing
@testable import RuntimeCore

/// The byte writer writes exactly what the previous `String` writer wrote
/// (kept here as the oracle), in time linear in the text.
@Suite struct JSONWriterTests {
    /// The previous writer's string escaping, verbatim in behaviour.
    static func oracle(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where c.value < 0x20 || c.value == 0x2028 || c.value == 0x2029:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }

    @Test func stringsAreEscapedAsBefore() throws {
        let samples = ["", "plain", "q\"b\\s", "\n\r\t", "\u{0}\u{1}\u{1f}\u{7f}", "é😀\u{2028}x\u{2029}", "\u{2027}\u{202a}",
                       "tail\u{2028}", "\u{e2}\u{80}", String(repeating: "a\"", count: 100)]
        for sample in samples {
            #expect(JSONValue.string(sample).jsonString == Self.oracle(sample), "\(sample.debugDescription)")
        }
        // Every scalar of the first 0x3000, and a seeded random mix.
        var generator = SplitMix(seed: 42)
        var all = ""
        for value in 0..<0x3000 { if let scalar = Unicode.Scalar(value) { all.unicodeScalars.append(scalar) } }
        #expect(JSONValue.string(all).jsonString == Self.oracle(all))
        for _ in 0..<200 {
            var text = ""
            for _ in 0..<Int(generator.next() % 40) {
                let pick = [0x0A, 0x22, 0x5C, 0x01, 0x41, 0xE9, 0x2028, 0x2029, 0x1F600, 0x7F][Int(generator.next() % 10)]
                if let scalar = Unicode.Scalar(UInt32(pick)) { text.unicodeScalars.append(scalar) }
            }
            #expect(JSONValue.string(text).jsonString == Self.oracle(text))
            #expect(try JSONParser.parse(JSONValue.string(text).jsonString) == .string(text))
        }
    }

    @Test func numbersAreWrittenAsBefore() {
        let value: JSONValue = [.int(0), .int(-1), .int(Int64.max), .int(Int64.min), .bigInt("-123456789012345678901"),
                                .double(0), .double(-0.0), .double(2.0), .double(-2.5), .double(0.1), .double(1e16),
                                .double(1e300), .double(-1e-7), .double(.nan), .double(-.infinity)]
        #expect(value.jsonString == "[0,-1,9223372036854775807,-9223372036854775808,-123456789012345678901,"
            + "0.0,-0.0,2.0,-2.5,0.1,\(1e16),\(1e300),\(-1e-7),null,null]")
    }

    /// `-0.0` keeps its sign on the wire, as Python's `json.dumps` writes it.
    @Test func negativeZeroKeepsItsSign() throws {
        var writer = JSONWriter()
        writer.writeDouble(-0.0)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "-0.0")
        guard case .double(let read) = try JSONParser.parse("-0.0") else {
            Issue.record("-0.0 did not parse as a double")
            return
        }
        #expect(read == 0 && read.sign == .minus)
    }

    @Test func writeToAStringAppends() {
        var out = "x="
        JSONValue.object([("k", [1, "v"])]).write(to: &out)
        #expect(out == #"x={"k":[1,"v"]}"#)
    }

    /// A table of many strings, and one long string with many escapes (both
    /// quadratic before), encode and parse back whole.
    @Test func largeTextRoundTrips() throws {
        let rows: JSONValue = .array((0..<200_000).map { .array([.int(Int64($0)), .string("row \($0) text")]) })
        let text = rows.jsonString
        #expect(text.utf8.count > 3_000_000)
        #expect(try JSONParser.parse(text) == rows)

        let lines: JSONValue = .string(String(repeating: "line \"quoted\"\n", count: 200_000))
        #expect(try JSONParser.parse(lines.jsonBytes) == lines)
    }

    /// Doubles are written exactly as `description` formats them (the
    /// shortest text that reads back).
    @Test func doublesAreWrittenAsTheirDescription() {
        var generator = SplitMix(seed: 7)
        for _ in 0..<20_000 {
            let d = Double(bitPattern: generator.next())
            guard d.isFinite, d != d.rounded() || abs(d) >= 1e16 else { continue }
            var writer = JSONWriter()
            writer.writeDouble(d)
            #expect(String(decoding: writer.bytes, as: UTF8.self) == d.description)
        }
        for d in [0.1, 1.0 / 3.0, -2.5e-300, Double.leastNonzeroMagnitude, 1.7976931348623157e308, 123456.789] {
            var writer = JSONWriter()
            writer.writeDouble(d)
            #expect(String(decoding: writer.bytes, as: UTF8.self) == d.description)
        }
    }
}
