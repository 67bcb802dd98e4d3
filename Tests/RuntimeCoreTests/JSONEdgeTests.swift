import Testing
@testable import RuntimeCore

/// Cases the fuzzer found in the JSON parser.
@Suite struct JSONEdgeTests {
    @Test func aNumberBeyondADoubleIsRefusedNotTurnedIntoInfinity() {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse("[1e400]") }
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse("-1e999") }
        #expect((try? JSONParser.parse("1e308")) == .double(1e308))
    }

    @Test func aLoneHighSurrogateKeepsTheEscapeAfterIt() throws {
        #expect(try JSONParser.parse(#"["\uD800\u0041"]"#) == ["\u{FFFD}A"])
        #expect(try JSONParser.parse(#""\uD83D\uDE00""#) == "\u{1F600}")
        #expect(try JSONParser.parse(#""\uD800x""#) == "\u{FFFD}x")
    }
}
