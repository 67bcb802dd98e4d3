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

    @Test func everyKindOfMessageMatchesTheServerMessageSchema() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        var messages: [JSONValue] = [try #require(await client.greeting)]
        let program = """
        import pandas as pd
        import runtimeBridge
        class Model:
            def predict(self, X):
                return [0] * len(X)
        print("hello")
        runtimeBridge.save_placeholder("df", pd.DataFrame({"x": [1.0, 2.0, 4.0], "s": ["a", "b", "a"]}))
        runtimeBridge.save_placeholder("model", Model())
        """
        let started = try await client.run(["main.py": program])
        let id = try #require(started["sessionId"]?.stringValue)
        messages.append(started)
        messages += await client.eventsUntilEnd(of: id)
        let failing = try await client.run(["main.py": "raise ValueError('boom')\n"])
        let failingId = try #require(failing["sessionId"]?.stringValue)
        messages += await client.eventsUntilEnd(of: failingId)
        messages.append(try await client.request(["action": "status", "sessionId": .string(failingId)]))
        messages.append(try await client.request(["action": "get_stats", "placeholder": ["sessionId": .string(id), "name": "df"]]))
        messages.append(try await client.request(["action": "run_model", "model": ["sessionId": .string(id), "name": "model", "data": [[1, 2]]]]))
        messages.append(try await client.request(["action": "get_placeholder", "placeholder": ["sessionId": .string(id), "name": "df"]]))
        messages.append(try await client.request(["action": "list_sessions"]))
        messages.append(try await client.request(["action": "subscribe", "sessionId": .string(id)]))

        let sleeper = try await client.run(["main.py": "import time\nprint('go', flush=True)\ntime.sleep(60)\n"])
        let sleeperId = try #require(sleeper["sessionId"]?.stringValue)
        messages.append(try #require(await client.nextEvent { $0.type == "[run]:OUTPUT" && $0["sessionId"]?.stringValue == sleeperId }))
        messages.append(try await client.request(["action": "stop", "sessionId": .string(sleeperId)]))
        messages += await client.eventsUntilEnd(of: sleeperId)
        messages.append(try await client.request(["action": "delete_session", "sessionId": .string(failingId)]))
        messages.append(try await client.request(["action": "status", "sessionId": .string(failingId)]))

        let kinds = Set(messages.compactMap(\.type))
        for kind in ["[users]:INFO", "[status]:EXECUTION_STARTED", "[run]:OUTPUT", "[placeholder]:READY", "[state]:EXECUTION_FINISHED",
                     "[state]:EXECUTION_FAILED", "[state]:EXECUTION_STOPPED", "[status]:STATUS", "[placeholder]:STATS",
                     "[model]:RESULT", "[placeholder]:VALUE", "[sessions]:LIST", "[status]:SUBSCRIBED",
                     "[status]:EXECUTION_STOPPED", "[status]:DELETED", "[error]:SESSION_NOT_FOUND"] {
            #expect(kinds.contains(kind), "\(kind) missing from \(kinds)")
        }
        let verdicts = try await validate(messages, against: "server-message.schema.json")
        for (message, verdict) in zip(messages, verdicts) where verdict != "ok" {
            Issue.record("\(verdict)\n\(message)")
        }
        #expect(verdicts.count == messages.count)
        await client.close()
        try await server.stop()
    }

    /// The request schema and the server agree: a request the schema refuses
    /// is refused for its shape, and one it accepts is not.
    @Test func theRequestSchemaAgreesWithTheServer() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        let nope: JSONValue = ["sessionId": "nope", "name": "x"]
        let requests: [JSONValue] = [
            ["action": "list_sessions", "id": 1],
            ["action": "status", "sessionId": "nope"],
            ["action": "status", "sessionId": 12],
            ["action": "stop", "sessionId": "nope"],
            ["action": "delete_session", "sessionId": "nope"],
            ["action": "subscribe", "sessionId": "nope", "since": 0],
            ["action": "get_placeholder", "placeholder": nope, "window": ["begin": 0, "size": 2], "exact": true, "format": "jsonpickle"],
            ["action": "get_placeholder", "placeholder": ["sessionId": "nope", "name": "x", "window": nil, "exact": nil, "format": "json"]],
            ["action": "get_stats", "placeholder": nope],
            ["action": "run_model", "model": ["sessionId": "nope", "name": "m", "is_data": true, "data": [[1]]]],
            ["action": "run_model", "model": ["sessionId": "nope", "name": "m", "is_data": false, "data": "x.csv", "method": "predict"]],
            ["action": "run", "python": ["number": 1, "mainfile": "m.py", "files": [["filename": "m.py", "content": "x = 1\n"]]]],
            ["action": 5],
            ["action": "fly"],
            ["id": 3],
            ["action": "status"],
            ["action": "status", "sessionId": true],
            ["action": "get_placeholder", "placeholder": nope, "exact": "yes"],
            ["action": "get_placeholder", "placeholder": ["sessionId": "nope", "name": "x", "format": "pickle"]],
            ["action": "get_placeholder", "placeholder": nope, "window": ["size": -1]],
            ["action": "get_placeholder", "placeholder": nope, "window": ["begin": 1]],
            ["action": "get_placeholder", "placeholder": ["sessionId": "nope", "name": 5]],
            ["action": "run_model", "model": ["sessionId": "nope", "name": "m", "is_data": false, "data": [1]]],
            ["action": "run_model", "model": ["sessionId": "nope", "name": "m"]],
            ["action": "run_model", "model": ["sessionId": "nope", "name": "m", "data": [1], "method": 5]],
            ["action": "run", "python": ["mainfile": "m.py", "files": "m.py"]],
            ["action": "run", "python": ["mainfile": "m.py", "files": []]],
            ["action": "run", "python": ["mainfile": "m.py", "files": [["filename": "m.py", "content": 1]]]],
            ["action": "subscribe", "sessionId": "nope", "since": -1],
        ]
        // (A non-scalar id cannot be sent through this client, which sets
        // ids of its own; the schema refuses it as the server does.)
        var refused: [Bool] = []
        for request in requests {
            let reply = try await client.request(request)
            refused.append(["INVALID_REQUEST", "UNKNOWN_ACTION", "INVALID_JSON"].contains(reply.errorCode ?? ""))
        }
        let verdicts = try await validate(requests, against: "client-request.schema.json")
        #expect(verdicts.count == requests.count)
        for (index, verdict) in verdicts.enumerated() where (verdict == "ok") == refused[index] {
            Issue.record("schema says \(verdict), the server \(refused[index] ? "refused" : "accepted"): \(requests[index])")
        }
        #expect(refused.filter { !$0 }.count == 12)
        await client.close()
        try await server.stop()
    }
}
