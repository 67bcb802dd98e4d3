import Foundation
import RuntimeClient
import RuntimeCore
import RuntimeService
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
            // Windows: whole numbers ≥ 0 whose sum fits (the worker once died of begin + size overflowing).
            (#"{"action": "get_placeholder", "placeholder": {"sessionId": "s", "name": "x"}, "window": {"begin": 0, "size": -5}}"#, "window.size"),
            (#"{"action": "get_placeholder", "placeholder": {"sessionId": "s", "name": "x"}, "window": {"begin": 1.5, "size": 2}}"#, "window.begin"),
            (#"{"action": "get_placeholder", "placeholder": {"sessionId": "s", "name": "x"}, "window": {"begin": 0, "size": "10"}}"#, "window.size"),
            (#"{"action": "get_placeholder", "placeholder": {"sessionId": "s", "name": "x"}, "window": {"begin": 0, "size": 1e300}}"#, "window.size"),
            (#"{"action": "get_placeholder", "placeholder": {"sessionId": "s", "name": "x"}, "window": {"begin": 0, "size": 99999999999999999999999}}"#, "window.size"),
            (#"{"action": "get_placeholder", "placeholder": {"sessionId": "s", "name": "x"}, "window": {"begin": 1, "size": 9223372036854775807}}"#, "window.size"),
            (#"{"action": "get_placeholder", "placeholder": {"sessionId": "s", "name": "x", "window": {"begin": 9223372036854775807, "size": 1}}}"#, "window.size"),
            (#"{"action": "get_placeholder", "placeholder": {"sessionId": "s", "name": "x"}, "window": [0, 5]}"#, "window"),
        ]
        for (text, field) in cases {
            try await expectError(client, text, code: "INVALID_REQUEST", messageContains: field)
        }
        await client.close()
        try await server.stop()
    }

    /// A reply's `id` is a scalar: an array or object sent as `id` is refused
    /// and not copied into the error.
    @Test func nonScalarIdIsNotEchoed() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        for id in [#"[1]"#, #"{"a": 1}"#] {
            client.send(text: #"{"action": "list_sessions", "id": \#(id)}"#)
            let reply = await client.nextEvent { $0.type?.hasPrefix("[error]:") == true }
            #expect(reply?.errorCode == "INVALID_REQUEST", "\(String(describing: reply))")
            #expect(reply?["id"] == nil, "\(String(describing: reply))")
            #expect(reply?["action"]?.stringValue == "list_sessions")
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
        // Too long (a 5,000-character name once answered INTERNAL), and control characters (a newline once split the log line).
        let long = String(repeating: "a", count: 5000) + ".py"
        let longSegment = String(repeating: "b", count: 256) + "/x.py"
        let longPath = Array(repeating: "d", count: 600).joined(separator: "/") + "/x.py"
        for name in [long, longSegment, longPath, #"new\nline.py"#, #"tab\t.py"#, #"bell\u0007.py"#, #"del\u007f.py"#, #"esc\u001b[31m.py"#, #"c1\u0085.py"#] {
            try await expectError(client, #"{"action": "run", "python": {"files": [{"filename": "\#(name)", "content": ""}, {"filename": "main.py", "content": ""}], "mainfile": "main.py"}}"#,
                                  code: "INVALID_FILENAME", messageContains: "python.files")
        }
        try await expectError(client, #"{"action": "run", "python": {"files": [{"filename": "main.py", "content": ""}], "mainfile": "ma\nin.py"}}"#,
                              code: "INVALID_FILENAME", messageContains: "mainfile")
        // The refusal quotes a long name shortened and a control character escaped, never raw.
        client.send(text: #"{"action": "run", "python": {"files": [{"filename": "\#(long)", "content": ""}], "mainfile": "\#(long)"}}"#)
        let refusal = try #require(await client.nextEvent { $0.type?.hasPrefix("[error]:") == true })
        let message = try #require(refusal["error"]?["message"]?.stringValue)
        #expect(message.count < 400 && message.contains("5003 bytes"), "\(message)")
        client.send(text: #"{"action": "run", "python": {"files": [{"filename": "a\nb.py", "content": ""}], "mainfile": "a\nb.py"}}"#)
        let escaped = try #require(await client.nextEvent { $0.type?.hasPrefix("[error]:") == true })
        #expect(escaped["error"]?["message"]?.stringValue?.contains("\n") == false)
        #expect(escaped["error"]?["message"]?.stringValue?.contains(#"a\u{a}b.py"#) == true, "\(escaped)")
        // The longest names allowed still run.
        let longest = String(repeating: "c", count: 252) + ".py"
        let accepted = try await client.run([longest: "x = 1\n"])
        #expect(accepted.type == "[status]:EXECUTION_STARTED", "\(accepted)")
        let acceptedId = try #require(accepted["sessionId"]?.stringValue)
        _ = await client.eventsUntilEnd(of: acceptedId)
        _ = try await client.request(["action": "delete_session", "sessionId": .string(acceptedId)])
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
    /// With a uid per session (a root server), a range smaller than
    /// `maximumSessions` bounds the sessions: the run past it is refused at
    /// once, where it used to be accepted and then fail for want of a uid.
    @Test(.enabled(if: geteuid() == 0 && !TestBackend.isRay, "uids are switched only by a root server, for local workers"))
    func aSmallUidRangeBoundsTheSessions() async throws {
        let server = try await TestServer.start {
            $0.runtime.containment.identity = .uidRange(299_101...299_103)
            $0.runtime.warmWorkers = 1
        }
        var configuration = ServerConfiguration(runtime: RuntimeConfiguration(warmWorkers: 1))
        configuration.runtime.containment.identity = .uidRange(299_101...299_103)
        #expect(configuration.sessionLimit == 2)
        let client = try await server.connect()
        for _ in 0..<2 {
            let started = try await client.run(["main.py": "x = 1\n"])
            #expect(started.type == "[status]:EXECUTION_STARTED")
        }
        let refused = try await client.run(["main.py": "x = 1\n"])
        #expect(refused.errorCode == "LIMIT_EXCEEDED")
        let message = refused["error"]?["message"]?.stringValue ?? ""
        #expect(message.contains("maximum of 2 sessions") && message.contains("--worker-uids"), "\(refused)")
        await client.close()
        try await server.stop()
    }
}
