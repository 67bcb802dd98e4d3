import RuntimeCore
import RuntimeProtocol
import Testing

/// `RequestParser.parse(bytes:)` hands a `run_model`'s inline `model.data` on
/// as the bytes the client sent (white space, number spellings, escapes), cut
/// from the message; where it cannot find them unescaped it re-encodes the
/// parsed value, which is always the value `JSONValue`'s subscript reads (the
/// first of duplicate keys).
@Suite
struct RequestParserModelDataTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        /// The whole message.
        var message: String
        /// `model.data` exactly as it stands in the message.
        var data: String
        var testDescription: String { label }
    }

    /// The input of a parsed `run_model`, or nil (recorded) when it is not one.
    private func inlineData(_ message: String) -> JSONFragment? {
        switch RequestParser.parse(bytes: Array(message.utf8)) {
        case .failure(let error):
            Issue.record("refused: \(error.code) \(error.message)")
        case .success(let envelope):
            if case .runModel(_, _, .inline(let data), _) = envelope.request { return data }
            Issue.record("not inline model data: \(envelope.request)")
        }
        return nil
    }

    static let verbatim: [Case] = [
        Case(label: "spacing and number spellings",
             message: #"{"action": "run_model", "model": {"sessionId": "s", "name": "m", "data": {"x": 1.50,  "y" : [ 1e2,-0.0 ,10.000, 0.1E-1 ] }}}"#,
             data: #"{"x": 1.50,  "y" : [ 1e2,-0.0 ,10.000, 0.1E-1 ] }"#),
        Case(label: "a scalar",
             message: #"{"action":"run_model","model":{"sessionId":"s","name":"m","data":1.50}}"#, data: "1.50"),
        Case(label: "an integer past 64 bits and an exponent",
             message: #"{"action":"run_model","model":{"sessionId":"s","name":"m","data":[123456789012345678901234567890, 1E+300]}}"#,
             data: "[123456789012345678901234567890, 1E+300]"),
        Case(label: "escapes inside the data stay escapes",
             message: #"{"action":"run_model","model":{"sessionId":"s","name":"m","data":{"caf\u00e9": "a\/b\n\ud83d\ude00", "k": "é"}}}"#,
             data: #"{"caf\u00e9": "a\/b\n\ud83d\ude00", "k": "é"}"#),
        Case(label: "new lines and tabs inside, white space around",
             message: "{\"action\":\"run_model\",\"model\":{\"sessionId\":\"s\",\"name\":\"m\",\"data\":\n\t[\n\t\t1.0,\r\n\t\t2\n\t]\n\t}}",
             data: "[\n\t\t1.0,\r\n\t\t2\n\t]"),
        Case(label: "data first, model first, id and is_data around it",
             message: #"{"model": {"data": {"dataframe_split": {"columns": ["a"], "data": [[1.50]]}}, "is_data": true, "name": "m", "sessionId": 7}, "id": "r1", "action": "run_model"}"#,
             data: #"{"dataframe_split": {"columns": ["a"], "data": [[1.50]]}}"#),
        Case(label: "decoy data keys elsewhere",
             message: #"{"data": 0, "action": "run_model", "extra": {"model": {"data": 1}}, "model": {"meta": {"data": [9], "d\u0061ta": [8]}, "datum": 2, "sessionId": "s", "name": "m", "data": [1.50, 2.50]}}"#,
             data: "[1.50, 2.50]"),
        Case(label: "duplicate data: the first",
             message: #"{"action":"run_model","model":{"sessionId":"s","name":"m","data":[1.50],"data":[2.50]}}"#, data: "[1.50]"),
        Case(label: "duplicate model: the first one's data",
             message: #"{"action":"run_model","model":{"sessionId":"s","name":"m","data":[1.50]},"model":{"sessionId":"t","name":"n","data":[2.50]}}"#,
             data: "[1.50]"),
    ]

    @Test(arguments: verbatim)
    func inlineDataIsTheClientsBytes(_ test: Case) throws {
        let data = try #require(inlineData(test.message))
        #expect(String(decoding: data.bytes, as: UTF8.self) == test.data)
        // The bytes are also the value the rest of the request was checked against.
        #expect(try data.decoded() == JSONParser.parse(test.message)["model"]?["data"])
    }

    static let reencoded: [Case] = [
        Case(label: "escaped data key",
             message: #"{"action":"run_model","model":{"sessionId":"s","name":"m","d\u0061ta":[1.50, 1e2]}}"#, data: "[1.50, 1e2]"),
        Case(label: "escaped model key",
             message: #"{"action":"run_model","mod\u0065l":{"sessionId":"s","name":"m","data":{"x": 1.50}}}"#, data: #"{"x": 1.50}"#),
        Case(label: "escaped data key first, plain duplicate after it",
             message: #"{"action":"run_model","model":{"sessionId":"s","name":"m","d\u0061ta":[1.50],"data":[2.50]}}"#, data: "[1.50]"),
        Case(label: "escaped model key first, plain duplicate after it",
             message: #"{"action":"run_model","mod\u0065l":{"sessionId":"s","name":"m","data":[1.50]},"model":{"sessionId":"t","name":"n","data":[2.50]}}"#,
             data: "[1.50]"),
    ]

    /// Keys written with escapes: the parsed value, encoded again (so `1.50`
    /// may come out as `1.5`); never the bytes of another member.
    @Test(arguments: reencoded)
    func escapedKeysFallBackToTheParsedValue(_ test: Case) throws {
        let data = try #require(inlineData(test.message))
        let parsed = try JSONParser.parse(test.data)
        #expect(try JSONParser.parse(test.message)["model"]?["data"] == parsed, "the subscript reads the first key")
        #expect(try data.decoded() == parsed, "got \(data)")
        #expect(data == JSONFragment(parsed), "re-encoded from the parsed value")
    }

    @Test func theRestOfTheRequestComesFromTheSameMember() throws {
        let message = #"{"action":"run_model","model":{"sessionId":"s","name":"m","data":[1.50],"method":"predict_proba"},"model":{"sessionId":"t","name":"n","data":[2.50]}}"#
        guard case .success(let envelope) = RequestParser.parse(bytes: Array(message.utf8)) else {
            Issue.record("refused")
            return
        }
        #expect(envelope.request == .runModel(sessionId: "s", name: "m",
                                              input: .inline(JSONFragment(validating: Array("[1.50]".utf8))!),
                                              method: "predict_proba"))
    }
}
