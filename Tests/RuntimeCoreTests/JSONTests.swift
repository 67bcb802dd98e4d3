import Testing
@testable import RuntimeCore

@Suite struct JSONTests {
    @Test func parsesAndEncodesEveryKind() throws {
        let text = #"{"a":1,"b":-2.5,"c":"x\"y\n\u00e9\ud83d\ude00","d":[true,false,null],"e":{}}"#
        let value = try JSONParser.parse(text)
        #expect(value["a"] == .int(1))
        #expect(value["b"] == .double(-2.5))
        #expect(value["c"] == .string("x\"y\né😀"))
        #expect(value["d"] == [true, false, nil])
        #expect(try JSONParser.parse(value.jsonString) == value)
    }

    @Test func keepsKeyOrder() throws {
        let value = try JSONParser.parse(#"{"z":1,"a":2,"m":3}"#)
        #expect(value.objectValue?.map(\.0) == ["z", "a", "m"])
        #expect(value.jsonString == #"{"z":1,"a":2,"m":3}"#)
    }

    @Test func integersBeyond64BitsStayExact() throws {
        let digits = "123456789012345678901234567890"
        let value = try JSONParser.parse("[\(digits), -\(digits), 9223372036854775807]")
        #expect(value[0] == .bigInt(digits))
        #expect(value[1] == .bigInt("-" + digits))
        #expect(value[2] == .int(Int64.max))
        #expect(value.jsonString == "[\(digits),-\(digits),9223372036854775807]")
    }

    @Test(arguments: ["", "{", "[1,]", "{'a':1}", "{a:1}", "01", "1.", "tru", "\"\u{01}\"", "[1] x", "NaN", "{\"a\" 1}"])
    func refusesWhatIsNotStrictJSON(_ text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(text) }
    }

    @Test func boundsNesting() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(deep) }
    }

    @Test func nonFiniteDoublesEncodeAsNull() {
        let value: JSONValue = [.double(.nan), .double(.infinity), 1.5, 2.0]
        #expect(value.jsonString == "[null,null,1.5,2.0]")
    }

    @Test func escapesControlCharacters() {
        #expect(JSONValue.string("a\u{01}b\tc").jsonString == #""a\u0001b\tc""#)
    }
}
