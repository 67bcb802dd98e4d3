import Foundation
import RuntimeClient
import RuntimeCore
import RuntimeTestSupport
import Testing

/// Every action and reply shape of the contract, over a real socket.
@Suite(.timeLimit(.minutes(2)))
struct RunProtocolTests {
    @Test func runStreamsEventsAndServesStatusAndPlaceholders() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        let started = try await client.run([
            "main.py": "import helper, runtimeBridge\nprint('hello')\nruntimeBridge.save_placeholder('answer', helper.ANSWER)\nrows = list(range(30))\n",
            "helper.py": "ANSWER = 42\n",
        ])
        #expect(started.type == "[status]:EXECUTION_STARTED")
        #expect(started["message"] == "Execution started")
        #expect(started["seq"] == 1)
        #expect(started["id"] != nil)
        let id = try #require(started["sessionId"]?.stringValue)

        let events = await client.eventsUntilEnd(of: id)
        #expect(events.map { $0.type ?? "" } == ["[run]:OUTPUT", "[placeholder]:READY", "[state]:EXECUTION_FINISHED"])
        #expect(events.map { $0["seq"]?.intValue ?? 0 } == [2, 3, 4])
        try #require(events.count == 3, "the run's events: \(events.map { $0.type ?? "" })")
        #expect(events[0]["stream"] == "stdout" && events[0]["text"] == "hello\n")
        #expect(events[1]["name"] == "answer" && events[1]["valueType"] == "int")
        #expect(events[2]["status"] == "finished" && events[2]["durationMs"]?.intValue != nil)

        let status = try await client.request(["action": "status", "sessionId": .string(id)])
        #expect(status.type == "[status]:STATUS")
        #expect(status["status"] == "finished" && status["legacyStatus"] == "Finished")
        #expect(status["placeholders"] == ["answer"])
        #expect(status["startedAt"]?.stringValue?.hasSuffix("Z") == true)
        #expect(status["finishedAt"]?.stringValue != nil && status["durationMs"]?.intValue != nil)

        let value = try await client.request(["action": "get_placeholder", "placeholder": ["sessionId": .string(id), "name": "answer"]])
        #expect(value.type == "[placeholder]:VALUE")
        #expect(value["value"] == 42 && value["valueType"] == "int" && value["name"] == "answer" && value["sessionId"] == .string(id))

        let page = try await client.request(["action": "get_placeholder", "placeholder": ["sessionId": .string(id), "name": "rows"],
                                             "window": ["begin": 28, "size": 5]])
        #expect(page["value"] == [28, 29])
        #expect(page["window"] == ["begin": 28, "size": 2, "max": 30])
        let inside = try await client.request(["action": "get_placeholder",
                                               "placeholder": ["sessionId": .string(id), "name": "rows", "window": ["begin": 0, "size": 1]]])
        #expect(inside["value"] == [0])
        await client.close()
        try await server.stop()
    }

    @Test func idIsEchoedVerbatimAndSessionIdMayBeANumber() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        for id: JSONValue in ["abc", 7, 2.5, true, nil] {
            client.send(["action": "list_sessions", "id": id])
            let reply = await client.nextEvent { $0.type == "[sessions]:LIST" }
            #expect(reply?["id"] == id)
        }
        let missing = try await client.request(["action": "status", "sessionId": 12345])
        #expect(missing.type == "[error]:SESSION_NOT_FOUND")
        #expect(missing["error"]?["message"] == "Session not found")
        #expect(missing["action"] == "status")
        await client.close()
        try await server.stop()
    }

    @Test func failedRunCarriesTheErrorObject() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        let started = try await client.run(["gen_hello.py": "def main():\n    raise ValueError('boom')\nmain()\n"])
        let id = try #require(started["sessionId"]?.stringValue)
        let failed = await client.eventsUntilEnd(of: id).last
        #expect(failed?.type == "[state]:EXECUTION_FAILED")
        #expect(failed?["status"] == "failed")
        let error = try #require(failed?["error"])
        #expect(error["type"] == "ValueError" && error["message"] == "boom")
        #expect(error["traceback"] == [["file": "gen_hello.py", "line": 3, "function": "<module>"],
                                       ["file": "gen_hello.py", "line": 2, "function": "main"]])
        #expect(error["text"]?.stringValue?.contains("ValueError: boom") == true)
        let status = try await client.request(["action": "status", "sessionId": .string(id)])
        #expect(status["status"] == "failed" && status["error"]?["type"] == "ValueError")
        await client.close()
        try await server.stop()
    }

    @Test func stopRunningAndStopEnded() async throws {
        let server = try await TestServer.start { $0.runtime.stopGracePeriod = interruptingStopGrace }
        let client = try await server.connect()
        let started = try await client.run(["main.py": "import time\nprint('go', flush=True)\ntime.sleep(1000)\n"])
        let id = try #require(started["sessionId"]?.stringValue)
        _ = await client.nextEvent { $0.type == "[run]:OUTPUT" }
        let running = try await client.request(["action": "status", "sessionId": .string(id)])
        #expect(running["status"] == "running" && running["legacyStatus"] == "Alive")
        let stopped = try await client.request(["action": "stop", "sessionId": .string(id)])
        #expect(stopped.type == "[status]:EXECUTION_STOPPED")
        #expect(stopped["status"] == "stopped" && stopped["killed"] == false)
        let event = await client.nextEvent { $0.type == "[state]:EXECUTION_STOPPED" }
        #expect(event?["killed"] == false && event?["sessionId"] == .string(id))
        let again = try await client.request(["action": "stop", "sessionId": .string(id)])
        #expect(again.type == "[status]:STATUS" && again["status"] == "stopped")
        await client.close()
        try await server.stop()
    }

    @Test func listAndDeleteSessions() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        let a = try #require(try await client.run(["main.py": "x = 1\n"])["sessionId"]?.stringValue)
        _ = await client.eventsUntilEnd(of: a)
        let list = try await client.request(["action": "list_sessions"])
        #expect(list.type == "[sessions]:LIST")
        let sessions = try #require(list["sessions"]?.arrayValue)
        #expect(sessions.count == 1)
        #expect(sessions[0]["sessionId"] == .string(a) && sessions[0]["status"] == "finished")
        #expect(sessions[0]["startedAt"]?.stringValue != nil)
        let deleted = try await client.request(["action": "delete_session", "sessionId": .string(a)])
        #expect(deleted.type == "[status]:DELETED" && deleted["sessionId"] == .string(a))
        let gone = try await client.request(["action": "status", "sessionId": .string(a)])
        #expect(gone.type == "[error]:SESSION_NOT_FOUND")
        #expect(try await client.request(["action": "list_sessions"])["sessions"] == [])
        await client.close()
        try await server.stop()
    }

    @Test func binaryFramesAreReadAsJSON() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        client.send(binary: Array(#"{"action":"list_sessions","id":"bin"}"#.utf8))
        let reply = await client.nextEvent { $0["id"] == "bin" }
        #expect(reply?.type == "[sessions]:LIST")
        await client.close()
        try await server.stop()
    }
}
