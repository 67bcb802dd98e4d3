import Foundation
import RuntimeClient
import RuntimeCore
import RuntimeTestSupport
import Testing

/// Every bad request gets exactly one `[error]:CODE` reply and the connection stays open.
@Suite(.timeLimit(.minutes(2)))
struct ErrorReplyTests {
    /// Sends `text`, expects an error with `code`, then proves the connection still serves.
    private func expectError(_ client: RuntimeConnection, _ text: String, code: String, messageContains: String? = nil,
                             sourceLocation: SourceLocation = #_sourceLocation) async throws {
        client.send(text: text)
        let reply = await client.nextEvent { $0.type?.hasPrefix("[error]:") == true }
        #expect(reply?.type == "[error]:\(code)", "\(text) → \(String(describing: reply))", sourceLocation: sourceLocation)
        #expect(reply?.errorCode == code, sourceLocation: sourceLocation)
        #expect(reply?["error"]?["message"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
        if let messageContains {
            #expect(reply?["error"]?["message"]?.stringValue?.contains(messageContains) == true,
                    "\(String(describing: reply))", sourceLocation: sourceLocation)
        }
        let alive = try await client.request(["action": "list_sessions"])
        #expect(alive.type == "[sessions]:LIST", sourceLocation: sourceLocation)
    }

    @Test func malformedMessages() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        try await expectError(client, "not json", code: "INVALID_JSON")
        try await expectError(client, "[1, 2]", code: "INVALID_JSON")
        try await expectError(client, "\"text\"", code: "INVALID_JSON")
        try await expectError(client, "{action: 'run'}", code: "INVALID_JSON")
        try await expectError(client, #"{"id": 1}"#, code: "UNKNOWN_ACTION")
        try await expectError(client, #"{"action": "explode"}"#, code: "UNKNOWN_ACTION", messageContains: "explode")
        try await expectError(client, #"{"action": 5}"#, code: "UNKNOWN_ACTION")
        await client.close()
        try await server.stop()
    }

    @Test func missingAndMistypedFieldsNameTheField() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        let cases: [(String, String)] = [
            (#"{"action": "status"}"#, "sessionId"),
            (#"{"action": "status", "sessionId": [1]}"#, "sessionId"),
            (#"{"action": "run"}"#, "python"),
            (#"{"action": "run", "python": {"files": "x", "mainfile": "a.py"}}"#, "python.files"),
            (#"{"action": "run", "python": {"files": [{"filename": "a.py"}], "mainfile": "a.py"}}"#, "python.files[0].content"),
            (#"{"action": "run", "python": {"files": [{"filename": 1, "content": ""}], "mainfile": "a.py"}}"#, "python.files[0].filename"),
            (#"{"action": "run", "python": {"files": [{"filename": "a.py", "content": ""}]}}"#, "python.mainfile"),
            (#"{"action": "run", "python": {"number": "1", "files": [{"filename": "a.py", "content": ""}], "mainfile": "a.py"}}"#, "python.number"),
            (#"{"action": "run", "python": {"number": 2, "files": [{"filename": "a.py", "content": ""}], "mainfile": "a.py"}}"#, "number"),
            (#"{"action": "get_placeholder", "placeholder": {"sessionId": "s"}}"#, "placeholder.name"),
            (#"{"action": "get_placeholder", "placeholder": {"sessionId": "s", "name": "x"}, "window": {"begin": -1, "size": 2}}"#, "window.begin"),
            (#"{"action": "get_placeholder", "placeholder": {"sessionId": "s", "name": "x"}, "window": {"begin": 0}}"#, "window.size"),
            (#"{"action": "run_model", "model": {"sessionId": "s", "name": "m", "is_data": "yes", "data": []}}"#, "model.is_data"),
            (#"{"action": "run_model", "model": {"sessionId": "s", "name": "m", "is_data": false, "data": 3}}"#, "model.data"),
            (#"{"action": "get_stats", "placeholder": "x"}"#, "placeholder"),
            (#"{"action": "subscribe", "sessionId": "s", "since": "a"}"#, "since"),
            (#"{"action": "list_sessions", "id": {"nested": true}}"#, "id"),
        ]
        for (text, field) in cases {
            try await expectError(client, text, code: "INVALID_REQUEST", messageContains: field)
        }
        await client.close()
        try await server.stop()
    }

    @Test func shapeIsCheckedBeforeTheSessionIsLookedUp() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        try await expectError(client, #"{"action": "get_placeholder", "placeholder": {"sessionId": "nope", "name": 5}}"#,
                              code: "INVALID_REQUEST")
        try await expectError(client, #"{"action": "get_placeholder", "placeholder": {"sessionId": "nope", "name": "x"}}"#,
                              code: "SESSION_NOT_FOUND", messageContains: "Session not found")
        for action in ["status", "stop", "delete_session", "subscribe"] {
            try await expectError(client, #"{"action": "\#(action)", "sessionId": "nope"}"#, code: "SESSION_NOT_FOUND")
        }
        await client.close()
        try await server.stop()
    }

    @Test func refusedFilenamesWriteNothing() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        for name in ["/etc/passwd", "../x.py", "a/../../x.py", "a\\\\b.py", "nul\\u0000.py", ""] {
            try await expectError(client, #"{"action": "run", "python": {"files": [{"filename": "\#(name)", "content": ""}, {"filename": "main.py", "content": ""}], "mainfile": "main.py"}}"#,
                                  code: "INVALID_FILENAME")
        }
        try await expectError(client, #"{"action": "run", "python": {"files": [{"filename": "main.py", "content": ""}], "mainfile": "other.py"}}"#,
                              code: "INVALID_FILENAME")
        #expect(try await client.request(["action": "list_sessions"])["sessions"] == [])
        await client.close()
        try await server.stop()
    }

    @Test func unknownPlaceholder() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        let id = try #require(try await client.run(["main.py": "x = 1\n"])["sessionId"]?.stringValue)
        _ = await client.eventsUntilEnd(of: id)
        let reply = try await client.request(["action": "get_placeholder", "placeholder": ["sessionId": .string(id), "name": "nope"]])
        #expect(reply.type == "[error]:PLACEHOLDER_NOT_FOUND")
        #expect(reply["action"] == "get_placeholder" && reply["id"] != nil)
        await client.close()
        try await server.stop()
    }

    @Test func limits() async throws {
        let server = try await TestServer.start {
            $0.maximumMessageBytes = 4096
            $0.maximumSessions = 1
            $0.runtime.programLimits = ProgramLimits(maximumFiles: 2, maximumBytes: 1000)
        }
        let client = try await server.connect()
        try await expectError(client, #"{"action": "list_sessions", "pad": "\#(String(repeating: "x", count: 5000))"}"#,
                              code: "LIMIT_EXCEEDED", messageContains: "4096")
        try await expectError(client, #"{"action": "run", "python": {"files": [{"filename": "a.py", "content": ""}, {"filename": "b.py", "content": ""}, {"filename": "c.py", "content": ""}], "mainfile": "a.py"}}"#,
                              code: "LIMIT_EXCEEDED")
        try await expectError(client, #"{"action": "run", "python": {"files": [{"filename": "a.py", "content": "\#(String(repeating: "#", count: 1001))"}], "mainfile": "a.py"}}"#,
                              code: "LIMIT_EXCEEDED")
        let first = try await client.run(["main.py": "x = 1\n"])
        #expect(first.type == "[status]:EXECUTION_STARTED")
        let second = try await client.run(["main.py": "x = 1\n"])
        #expect(second.type == "[error]:LIMIT_EXCEEDED")
        await client.close()
        try await server.stop()
    }
}
