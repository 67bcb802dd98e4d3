// libFuzzer target `json`: RuntimeJSON's parser, encoder, validator and
// fragments.
//
// Built by scripts/fuzz.sh with swiftc: the RuntimeJSON module (every file of
// Sources/RuntimeJSON, as Package.swift says) as a library, then this file.
// Only public API is used.
//
// For every input:
//   - `JSONParser.parse` returns or throws; it never traps;
//   - the bytes and the same bytes as a `String` (when they are UTF-8) parse alike;
//   - `JSONValidator.isValid` agrees with the parser: valid iff it parses; and
//     `JSONFragment(validating:)` likewise, keeping the bytes as they are and
//     decoding to the same value as the parser gives;
//   - a value that parses re-encodes (`jsonString`, `jsonBytes`) to a text
//     that the validator accepts and that parses again to the same value, kind
//     for kind and scalar for scalar, and encoding that value again gives the
//     same bytes (the encoding is stable);
//   - for a valid top-level object, `JSONValidator.range(ofMemberAt: [key], in:)`
//     cuts out bytes that parse to the value of the first member whose key
//     has those scalars; and when no key of the text is written with an
//     escape, it finds every key.
// Anything else stops the run with `fatalError`, which libFuzzer reports as a
// crash and saves the input.

import RuntimeJSON

@_cdecl("LLVMFuzzerTestOneInput")
public func jsonParserFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes: [UInt8] = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let parsed = try? JSONParser.parse(bytes)

    // The String entry point must agree with the bytes one on valid UTF-8.
    let text = String(validating: bytes, as: UTF8.self)
    if let text {
        let fromText = try? JSONParser.parse(text)
        switch (parsed, fromText) {
        case (nil, nil): break
        case let (a?, b?) where RoundTrip.identical(a, b): break
        default: fatalError("parse([UInt8]) and parse(String) disagree: \(parsed.map(RoundTrip.describe) ?? "failure") vs \(fromText.map(RoundTrip.describe) ?? "failure")")
        }
    }

    let valid = checkValidator(bytes, parsed: parsed)

    guard let value = parsed else { return 0 }
    let encodedText = value.jsonString
    let encoded = value.jsonBytes
    guard encoded == Array(encodedText.utf8) else { fatalError("jsonBytes differs from jsonString's UTF-8") }
    guard JSONValidator.isValid(encoded) else { fatalError("the validator refuses an encoding: \(encodedText)") }
    guard JSONFragment(value).bytes == encoded else { fatalError("JSONFragment(value) is not the value's encoding") }

    let reparsed: JSONValue
    do {
        reparsed = try JSONParser.parse(encoded)
    } catch {
        fatalError("the encoding of a parsed value does not parse: \(error); text: \(encodedText)")
    }
    guard RoundTrip.identical(reparsed, value), reparsed == value else {
        fatalError("round trip changed the value: \(RoundTrip.describe(value)) became \(RoundTrip.describe(reparsed))")
    }
    guard reparsed.jsonBytes == encoded else {
        fatalError("encoding is not stable: \(encodedText) then \(reparsed.jsonString)")
    }

    if valid, case .object(let members) = value { checkMembers(members, in: bytes) }
    return 0
}

/// The validator and fragments agree with the parser; whether the bytes are valid.
private func checkValidator(_ bytes: [UInt8], parsed: JSONValue?) -> Bool {
    let valid = JSONValidator.isValid(bytes)
    guard valid == (parsed != nil) else {
        fatalError(valid ? "the validator accepts what the parser refuses" : "the validator refuses what the parser reads as \(RoundTrip.describe(parsed!))")
    }
    let fragment = JSONFragment(validating: bytes)
    guard (fragment != nil) == valid else { fatalError("JSONFragment(validating:) and JSONValidator.isValid disagree") }
    guard let fragment else { return false }
    guard fragment.bytes == bytes else { fatalError("a fragment changed the bytes it validated") }
    guard let parsed, let decoded = try? fragment.decoded(), RoundTrip.identical(decoded, parsed) else {
        fatalError("a valid fragment does not decode to what the parser reads")
    }
    return true
}

/// `range(ofMemberAt:)` for each key of a top-level object.
private func checkMembers(_ members: [(String, JSONValue)], in bytes: [UInt8]) {
    let escaped = bytes.contains(UInt8(ascii: "\\"))
    for (key, _) in members {
        guard let range = JSONValidator.range(ofMemberAt: [key], in: bytes) else {
            if escaped { continue }
            fatalError("range(ofMemberAt:) misses the key \(RoundTrip.describe(.string(key))) of a text without escapes")
        }
        guard let first = members.first(where: { RoundTrip.sameScalars($0.0, key) })?.1 else { continue }
        let slice = Array(bytes[range])
        guard let member = try? JSONParser.parse(slice), RoundTrip.identical(member, first) else {
            fatalError("range(ofMemberAt: \(RoundTrip.describe(.string(key)))) cuts out \(String(decoding: slice, as: UTF8.self)), not the first member's value \(RoundTrip.describe(first))")
        }
    }
}

/// Comparisons stricter than `JSONValue.==`, which calls `1` and `1.0` equal and
/// compares strings by canonical equivalence (`"é"` == `"e\u{301}"`).
enum RoundTrip {
    static func identical(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.bigInt(x), .bigInt(y)): return sameScalars(x, y)
        // Numeric equality: -0.0 and 0.0 are the same number (the encoder writes both as 0.0).
        case let (.double(x), .double(y)): return x == y || (x.isNaN && y.isNaN)
        case let (.string(x), .string(y)): return sameScalars(x, y)
        case let (.array(x), .array(y)):
            return x.count == y.count && zip(x, y).allSatisfy { identical($0, $1) }
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { sameScalars($0.0, $1.0) && identical($0.1, $1.1) }
        default: return false
        }
    }

    /// The value with each number's kind shown (`int(1)`, `double(inf)`), for crash messages.
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return "\(b)"
        case .int(let i): return "int(\(i))"
        case .bigInt(let s): return "bigInt(\(s))"
        case .double(let d): return "double(\(d))"
        case .string(let s): return "string(\(s.unicodeScalars.map { "U+" + String($0.value, radix: 16) }.joined(separator: " ")))"
        case .array(let items): return "[" + items.map(describe).joined(separator: ", ") + "]"
        case .object(let pairs): return "{" + pairs.map { describe(.string($0.0)) + ": " + describe($0.1) }.joined(separator: ", ") + "}"
        }
    }

    static func sameScalars(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.elementsEqual(b.unicodeScalars)
    }
}
