import Foundation
import Testing
@testable import RuntimeCore

/// Nicolas Seriot's JSONTestSuite (nst/JSONTestSuite, `test_parsing/`), byte
/// for byte in `Fixtures/JSONTestSuite/` (see the README there):
///   - `y_*.json` must parse,
///   - `n_*.json` must be refused,
///   - `i_*.json` may go either way; ``implementationDefined`` pins what this
///     parser does with each, so that a change of behaviour is a decision.
///
/// Each file is read through `parse([UInt8])` and, when it is valid UTF-8,
/// through `parse(String)` too: both entry points must agree.
@Suite struct JSONTestSuiteTests {
    /// What the parser does with each `i_` case: `true` accepted, `false` refused.
    ///
    /// The rule behind it: the parser is strict. Numbers: a double that
    /// underflows reads as 0 (a rounding like any other); one that overflows is
    /// refused (it would become infinity, written back as `null`); an integer of
    /// any size is kept exactly (`.bigInt`). Text: only well-formed UTF-8 and
    /// escapes that denote Unicode scalars are accepted, so lone or reversed
    /// surrogate escapes, invalid UTF-8, UTF-16 input and a byte-order mark are
    /// refused (RFC 8259 §8.1, §8.2). Nesting up to ``JSONParser/maximumDepth``
    /// (512) is accepted.
    static let implementationDefined: [String: Bool] = [
        "i_number_double_huge_neg_exp.json": true,  // 123.456e-789 reads as 0.0
        "i_number_huge_exp.json": false,  // overflows a double
        "i_number_neg_int_huge_exp.json": false,  // -1e+9999 overflows
        "i_number_pos_double_huge_exp.json": false,  // 1.5e+9999 overflows
        "i_number_real_neg_overflow.json": false,  // -123123e100000 overflows
        "i_number_real_pos_overflow.json": false,  // 123123e100000 overflows
        "i_number_real_underflow.json": true,  // 123e-10000000 reads as 0.0
        "i_number_too_big_neg_int.json": true,  // .bigInt, exact
        "i_number_too_big_pos_int.json": true,  // .bigInt, exact
        "i_number_very_big_negative_int.json": true,  // .bigInt, exact
        "i_object_key_lone_2nd_surrogate.json": false,  // lone low surrogate escape
        "i_string_1st_surrogate_but_2nd_missing.json": false,  // lone high surrogate escape
        "i_string_1st_valid_surrogate_2nd_invalid.json": false,  // high surrogate, then \u1234
        "i_string_UTF-16LE_with_BOM.json": false,  // not UTF-8
        "i_string_UTF-8_invalid_sequence.json": false,  // invalid UTF-8
        "i_string_UTF8_surrogate_U+D800.json": false,  // a surrogate encoded in UTF-8 is invalid UTF-8
        "i_string_incomplete_surrogate_and_escape_valid.json": false,  // high surrogate, then \n
        "i_string_incomplete_surrogate_pair.json": false,  // lone low surrogate escape
        "i_string_incomplete_surrogates_escape_valid.json": false,  // two high surrogates
        "i_string_invalid_lonely_surrogate.json": false,  // lone high surrogate escape
        "i_string_invalid_surrogate.json": false,  // high surrogate, then plain text
        "i_string_invalid_utf-8.json": false,  // 0xFF
        "i_string_inverted_surrogates_U+1D11E.json": false,  // low before high
        "i_string_iso_latin_1.json": false,  // Latin-1 é is invalid UTF-8
        "i_string_lone_second_surrogate.json": false,  // lone low surrogate escape
        "i_string_lone_utf8_continuation_byte.json": false,  // invalid UTF-8
        "i_string_not_in_unicode_range.json": false,  // beyond U+10FFFF
        "i_string_overlong_sequence_2_bytes.json": false,  // overlong
        "i_string_overlong_sequence_6_bytes.json": false,  // overlong, 6 bytes
        "i_string_overlong_sequence_6_bytes_null.json": false,  // overlong NUL
        "i_string_truncated-utf-8.json": false,  // truncated sequence
        "i_string_utf16BE_no_BOM.json": false,  // not UTF-8
        "i_string_utf16LE_no_BOM.json": false,  // not UTF-8
        "i_structure_500_nested_arrays.json": true,  // within the depth limit
        "i_structure_UTF-8_BOM_empty_object.json": false,  // byte-order mark
    ]

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/JSONTestSuite")

    /// The fixture names starting with `prefix`, sorted (empty if the folder is
    /// missing: ``everyFixtureIsThere`` fails then).
    static func names(_ prefix: String) -> [String] {
        let all = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return all.filter { $0.hasPrefix(prefix) && $0.hasSuffix(".json") }.sorted()
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
    }

    /// The outcome of both entry points; records an issue when they disagree.
    static func parse(_ name: String) throws -> JSONValue? {
        let bytes = try bytes(name)
        let fromBytes = try? JSONParser.parse(bytes)
        if let text = String(validating: bytes, as: UTF8.self) {
            let fromText = try? JSONParser.parse(text)
            #expect(fromText == fromBytes, "\(name): parse(String) and parse([UInt8]) disagree")
        }
        return fromBytes
    }

    @Test func everyFixtureIsThere() {
        // 2023's test_parsing (318 files) and the five number and escape cases
        // added since; a missing folder or a lost file shows here.
        #expect(Self.names("y_").count == 95)
        #expect(Self.names("n_").count == 193)
        #expect(Set(Self.names("i_")) == Set(Self.implementationDefined.keys))
    }

    @Test(arguments: JSONTestSuiteTests.names("y_"))
    func mustAccept(_ name: String) throws {
        let bytes = try Self.bytes(name)
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            Issue.record("\(name) was refused: \(error)")
            return
        }
        _ = try Self.parse(name)
        // What it reads as is written again as JSON that reads back the same.
        #expect(try JSONParser.parse(value.jsonBytes) == value, "\(name)")
    }

    @Test(arguments: JSONTestSuiteTests.names("n_"))
    func mustReject(_ name: String) throws {
        let value = try Self.parse(name)
        #expect(value == nil, "\(name) was accepted as \(value.map { "\($0)" } ?? "")")
    }

    @Test(arguments: JSONTestSuiteTests.names("i_"))
    func implementationDefined(_ name: String) throws {
        let accepted = try Self.parse(name) != nil
        #expect(accepted == Self.implementationDefined[name], "\(name): accepted \(accepted)")
    }

    /// Accepting is not enough: these decode to the expected scalars and numbers.
    @Test(arguments: [
        ("y_string_accepted_surrogate_pair.json", ["\u{10437}"]),
        ("y_string_accepted_surrogate_pairs.json", ["\u{1F639}\u{1F48D}"]),
        ("y_string_last_surrogates_1_and_2.json", ["\u{10FFFF}"]),
        ("y_string_surrogates_U+1D11E_MUSICAL_SYMBOL_G_CLEF.json", ["\u{1D11E}"]),
        ("y_string_unicode_U+1FFFE_nonchar.json", ["\u{1FFFE}"]),
        ("y_string_nonCharacterInUTF-8_U+10FFFF.json", ["\u{10FFFF}"]),
        ("y_string_utf8.json", ["€\u{1D11E}"]),
        ("y_string_null_escape.json", ["\u{0}"]),
        ("y_string_allowed_escapes.json", ["\"\\/\u{8}\u{C}\n\r\t"]),
        ("y_string_backslash_and_u_escaped_zero.json", ["\\u0000"]),
        ("y_object_escaped_null_in_key.json", ["foo\u{0}bar": 42]),
        ("y_number_minus_zero.json", [0]),
        ("y_number_real_capital_e_neg_exp.json", [0.01]),
        ("y_number_double_close_to_zero.json", [-1e-78]),
        ("i_number_too_big_pos_int.json", [.bigInt("100000000000000000000")]),
        ("i_number_real_underflow.json", [0.0]),
        ("i_structure_500_nested_arrays.json", JSONValue.nested(500)),
    ] as [(String, JSONValue)])
    func decodesTo(_ name: String, _ expected: JSONValue) throws {
        let value = try JSONParser.parse(try Self.bytes(name))
        #expect(RoundTripCheck.identical(value, expected), "\(name): \(value)")
    }
}

extension JSONValue {
    /// `depth` arrays, each the only element of the one around it: `[[...[]...]]`.
    fileprivate static func nested(_ depth: Int) -> JSONValue {
        (1..<depth).reduce(JSONValue.array([])) { inner, _ in .array([inner]) }
    }
}

/// `JSONValue.==` compares strings by canonical equivalence and `1 == 1.0`:
/// here strings must have the same scalars and numbers the same kind.
private enum RoundTripCheck {
    static func identical(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.bigInt(x), .bigInt(y)): return x == y
        case let (.double(x), .double(y)): return x == y
        case let (.string(x), .string(y)): return x.unicodeScalars.elementsEqual(y.unicodeScalars)
        case let (.array(x), .array(y)): return x.count == y.count && zip(x, y).allSatisfy { identical($0, $1) }
        case let (.object(x), .object(y)):
            return x.count == y.count
                && zip(x, y).allSatisfy { $0.0.unicodeScalars.elementsEqual($1.0.unicodeScalars) && identical($0.1, $1.1) }
        default: return false
        }
    }
}
