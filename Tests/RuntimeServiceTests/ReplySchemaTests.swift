import Foundation
import RuntimeClient
import RuntimeCore
import RuntimeTestSupport
import Testing

/// Real replies checked against the JSON Schemas under `Docs/schema/` (with
/// jsonschema from the project environment, through a small Python fixture).
@Suite(.timeLimit(.minutes(2)))
struct ReplySchemaTests {
    static let program = #"""
import decimal
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import runtimeBridge
save = runtimeBridge.save_placeholder
save("int", 7)
save("nan", float("nan"))
save("df", pd.DataFrame({"n": pd.array([1, None, 3], dtype="Int64"), "c": pd.Categorical(["u", "v", "u"])}))
save("rec", np.array([(1, 2.5)], dtype=[("id", "i4"), ("w", "f8")]))
save("long", list(range(1200)))
save("cat", pd.Series(pd.Categorical(["x"]), name="k"))
save("dec", decimal.Decimal("2.50"))
fig, ax = plt.subplots()
ax.bar([1, 2], [3, 4])
save("fig", fig)
"""#

    /// The fixture's verdict per message ("ok" or "invalid: ...").
    private func validate(_ messages: [JSONValue], against schema: String) async throws -> [String] {
        let directory = FileManager.default.currentDirectoryPath
        let result = try await ChildProcess.run(URL(fileURLWithPath: directory + "/.venv/bin/python"),
                                                ["Tests/RuntimeServiceTests/Fixtures/validate_replies.py", "Docs/schema/\(schema)"],
                                                input: messages.map(\.jsonString).joined(separator: "\n") + "\n")
        #expect(result.stderr.isEmpty, "\(result.stderr)")
        return result.stdout.split(separator: "\n").map(String.init)
    }

    @Test func placeholderRepliesAndErrorsMatchTheirSchemas() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        let id = try #require(try await client.run(["main.py": Self.program])["sessionId"]?.stringValue)
        _ = await client.eventsUntilEnd(of: id)
        func read(_ name: String, _ extra: [(String, JSONValue)] = []) async throws -> JSONValue {
            let placeholder: JSONValue = ["sessionId": .string(id), "name": .string(name)]
            return try await client.request(.object([("action", "get_placeholder"), ("placeholder", placeholder)] + extra))
        }
        var values: [JSONValue] = []
        for name in ["int", "nan", "df", "rec", "long", "cat", "dec", "fig"] { values.append(try await read(name)) }
        values.append(try await read("long", [("window", ["begin": 5, "size": 3])]))
        values.append(try await read("df", [("exact", true), ("format", "jsonpickle")]))
        values.append(try await read("nan", [("exact", true)]))
        #expect(values.allSatisfy { $0["type"] == "[placeholder]:VALUE" }, "\(values)")
        #expect(values.contains { $0["display"]?["image/png"] != nil } && values.contains { $0["truncated"] == true })
        #expect(try await validate(values, against: "placeholder-value.schema.json") == Array(repeating: "ok", count: values.count))

        let errors = [
            try await read("missing"),
            try await read("int", [("exact", 1)]),
            try await client.request(["action": "get_placeholder", "placeholder": ["sessionId": "nope", "name": "x"]]),
            try await client.request(["action": "fly"]),
        ]
        #expect(errors.allSatisfy { $0["error"] != nil }, "\(errors)")
        #expect(try await validate(errors, against: "error.schema.json") == Array(repeating: "ok", count: errors.count))

        // The schemas are not vacuous: replies missing what they must carry are refused.
        let broken: [JSONValue] = [
            ["type": "[placeholder]:VALUE", "sessionId": "s", "name": "x", "valueType": "int"],
            ["type": "[placeholder]:VALUE", "sessionId": "s", "name": "x", "valueType": "int", "value": 1, "display": ["image/png": "AA=="]],
            ["type": "[placeholder]:VALUE", "sessionId": "s", "name": "x", "valueType": "int", "value": 1, "surprise": true],
        ]
        #expect(try await validate(broken, against: "placeholder-value.schema.json").allSatisfy { $0.hasPrefix("invalid: ") })
        await client.close()
        try await server.stop()
    }
}
