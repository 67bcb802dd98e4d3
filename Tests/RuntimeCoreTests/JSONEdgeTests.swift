import Testing
@testable import RuntimeCore

/// Cases the fuzzer found in the JSON parser.
@Suite struct JSONEdgeTests {
    @Test func aNumberBeyondADoubleIsRefusedNotTurnedIntoInfinity() {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse("[1e400]") }
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse("-1e999") }
        #expect((try? JSONParser.parse("1e308")) == .double(1e308))
    }

    /// A high surrogate escape followed by a `\u` escape that is not a low
    /// surrogate was once dropped silently (`"\uD800\u0041"` read as `"A"`),
    /// later replaced with U+FFFD. Strict: it is refused, where the pair starts.
    @Test func aHighSurrogateFollowedByAnotherEscapeIsRefused() {
        let failure = #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(#"["\uD800\u0041"]"#) }
        #expect(failure?.offset == 2)
        #expect(failure?.message.contains("surrogate") == true)
        for text in [#""\uD800\uD800""#, #""\uDBFF\u005C""#, #""\uD800\n""#, #""\uD800\"""#, #""\uD83D\uDE0""#] {
            #expect(throws: JSONParser.Failure.self, "\(text)") { try JSONParser.parse(text) }
        }
    }

    @Test func loneAndReversedSurrogateEscapesAreRefused() {
        for text in [#""\uD800""#, #""\uD800x""#, #""\udbff ""#, #""\uDC00""#, #""a\uDFFFb""#, #""\uDE00\uD83D""#, #"{"\uDFAA":0}"#] {
            #expect(throws: JSONParser.Failure.self, "\(text)") { try JSONParser.parse(text) }
        }
    }

    @Test func surrogatePairsStillDecode() throws {
        #expect(try JSONParser.parse(#""\uD83D\uDE00""#) == "\u{1F600}")
        #expect(try JSONParser.parse(#""\ud800\udc00\uDBFF\uDFFF""#) == "\u{10000}\u{10FFFF}")
        #expect(try JSONParser.parse(#"["x\uD834\uDD1Ey", "\uD7FF\uE000"]"#) == ["x\u{1D11E}y", "\u{D7FF}\u{E000}"])
    }

    /// Invalid UTF-8 inside a string was replaced with U+FFFD although the
    /// parser claims to be strict. It is refused, at the first invalid byte.
    @Test(arguments: [
        ([0x22, 0xFF, 0x22], 1),  // never valid in UTF-8
        ([0x22, 0x61, 0xE9, 0x22], 2),  // Latin-1 é
        ([0x22, 0x80, 0x22], 1),  // lone continuation byte
        ([0x22, 0xC0, 0xAF, 0x22], 1),  // overlong '/'
        ([0x22, 0xE0, 0x80, 0xAF, 0x22], 1),  // overlong, 3 bytes
        ([0x22, 0xED, 0xA0, 0x80, 0x22], 1),  // U+D800 encoded in UTF-8
        ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1),  // past U+10FFFF
        ([0x22, 0xE6, 0x97, 0x22], 1),  // truncated
        ([0x22, 0xC3, 0xA9, 0xE6, 0x97, 0xA5, 0xFA, 0x22], 6),  // after valid é and 日
        ([0x22, 0x5C, 0x6E, 0xC3, 0x22], 3),  // after an escape: the slow path
        ([0x22, 0x5C, 0x75, 0x30, 0x30, 0x65, 0x39, 0xA9, 0x22], 7),  // after a \u escape
        ([0x7B, 0x22, 0xB9, 0x22, 0x3A, 0x30, 0x7D], 2),  // in a key
    ] as [([UInt8], Int)])
    func invalidUTF8InAStringIsRefused(_ bytes: [UInt8], at offset: Int) {
        let failure = #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(bytes) }
        #expect(failure?.offset == offset)
        #expect(failure?.message == "invalid UTF-8 in string")
    }

    @Test func wellFormedUTF8StillDecodes() throws {
        let text = "é日😀\u{10FFFF}\u{FFFF}"
        #expect(try JSONParser.parse(Array("\"\(text)\"".utf8)) == .string(text))
        #expect(try JSONParser.parse(Array("[\"\(text)\\n\(text)\"]".utf8)) == [.string(text + "\n" + text)])
    }
}
