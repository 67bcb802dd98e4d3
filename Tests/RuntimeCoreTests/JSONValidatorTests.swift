import Foundation
import Testing
import RuntimeJSON

/// The validator accepts a worker's encoded values without parsing them: it
/// must agree with the strict parser on what is JSON.
@Suite struct JSONValidatorTests {
    @Test(arguments: [
        "0", "-0.5e+3", "\"a\\u00e9\\ud83d\\ude00\"", "[]", "{}", " [1, {\"a\": [true, false, null]}] ",
        "\"é\"", "1E2", "[[[]]]",
    ])
    func acceptsJSON(_ text: String) {
        #expect(JSONValidator.isValid(Array(text.utf8)))
        #expect((try? JSONParser.parse(text)) != nil)
    }

    @Test(arguments: [
        "", " ", "01", "1.", ".5", "-", "+1", "1e", "[1,]", "{\"a\":1,}", "{\"a\"}", "{1:2}", "[1 2]", "tru", "nul",
        "\"\\x\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"a\nb\"", "[", "]", "1 2", "NaN", "\"abc",
    ])
    func refusesWhatIsNotJSON(_ text: String) {
        #expect(!JSONValidator.isValid(Array(text.utf8)), "\(text)")
    }

    @Test func refusesInvalidUTF8AndDeepNesting() {
        #expect(!JSONValidator.isValid([0x22, 0xFF, 0x22]))                 // not UTF-8
        #expect(!JSONValidator.isValid([0x22, 0xC0, 0xAF, 0x22]))           // overlong
        #expect(!JSONValidator.isValid([0x22, 0xED, 0xA0, 0x80, 0x22]))     // an encoded surrogate
        #expect(!JSONValidator.isValid([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22])) // past U+10FFFF
        #expect(JSONValidator.isValid([0x22, 0xF0, 0x9F, 0x98, 0x80, 0x22]))  // 😀
        let deep = String(repeating: "[", count: JSONParser.maximumDepth + 1) + String(repeating: "]", count: JSONParser.maximumDepth + 1)
        #expect(!JSONValidator.isValid(Array(deep.utf8)))
        let fine = String(repeating: "[", count: JSONParser.maximumDepth) + String(repeating: "]", count: JSONParser.maximumDepth)
        #expect(JSONValidator.isValid(Array(fine.utf8)))
    }

    /// Found by the fuzzer (Fuzz/JSONParserFuzz.swift): the validator took
    /// `[1e400]`, which the parser refuses (it would be infinity), so a
    /// worker's reply part could reach a client that cannot read it.
    @Test func refusesNumbersBeyondADoubleAsTheParserDoes() {
        let tooLarge = ["1e400", "[1e400]", "-1e999", "0.5e309", "{\"a\": 2E+308}", String(repeating: "9", count: 400) + ".0",
                        "1e99999999999999999999"]
        for text in tooLarge {
            #expect(!JSONValidator.isValid(Array(text.utf8)), "\(text)")
            #expect((try? JSONParser.parse(text)) == nil, "\(text)")
            #expect(JSONFragment(validating: Array(text.utf8)) == nil, "\(text)")
        }
        // Integers of any length are kept exactly; tiny numbers become 0.
        let fine = ["1e308", "1.7976931348623157e308", "-1e308", "1e-400", "0e999999", String(repeating: "9", count: 400),
                    "[0.000001, 1E+2, -2.5e-3]", "123456789012345678901234567890e-30"]
        for text in fine {
            #expect(JSONValidator.isValid(Array(text.utf8)), "\(text)")
            #expect((try? JSONParser.parse(text)) != nil, "\(text)")
        }
    }

    @Test func findsAMemberAsItWasWritten() throws {
        let text = #"{"action": "run_model", "model": {"name": "m", "data" : [1.50, 2e0 ], "data": 7}, "id": 3}"#
        let bytes = Array(text.utf8)
        let range = try #require(JSONValidator.range(ofMemberAt: ["model", "data"], in: bytes))
        #expect(String(decoding: bytes[range], as: UTF8.self) == "[1.50, 2e0 ]")
        #expect(JSONValidator.range(ofMemberAt: ["model", "missing"], in: bytes) == nil)
        #expect(JSONValidator.range(ofMemberAt: ["action", "data"], in: bytes) == nil)
        let fragment = try #require(JSONFragment(validating: Array(bytes[range])))
        #expect(try fragment.decoded() == [1.5, 2.0])
    }
}

/// The validator and the parser agree on every JSONTestSuite case.
@Suite struct JSONValidatorSuiteTests {
    @Test func agreesWithTheParserOnTheWholeSuite() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/JSONTestSuite")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }
        #expect(names.count > 300)
        for name in names {
            let bytes = try [UInt8](Data(contentsOf: folder.appendingPathComponent(name)))
            let parses = (try? JSONParser.parse(bytes)) != nil
            #expect(JSONValidator.isValid(bytes) == parses, "\(name): the parser says \(parses)")
        }
    }
}
