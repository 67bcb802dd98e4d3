import Foundation
import RuntimeClient
import RuntimeCore
import RuntimeService
import RuntimeTestSupport
import Testing

/// A ``Session``, a ``StatsEngine`` and a ``ModelInvoker`` of the tests' own
/// (``MemorySession``), adopted into a real server and driven over a WebSocket.
@Suite(.timeLimit(.minutes(2)))
struct AdoptedSessionProtocolTests {
    static let startedAt = Date(timeIntervalSince1970: 1_800_000_000)
    static let finishedAt = Date(timeIntervalSince1970: 1_800_000_002.5)

    static func memorySession() -> MemorySession {
        MemorySession(values: [.init(name: "numbers", valueType: "list", value: [1.5, 2.5, 3.0, 4.0, 5.0]),
                               .init(name: "label", valueType: "str", value: "hello")],
                      startedAt: startedAt, finishedAt: finishedAt)
    }

    @Test func statusValuesAndEventsComeFromTheSession() async throws {
        let server = try await TestServer.start()
        let session = Self.memorySession()
        try await server.adopt(session)
        let client = try await server.connect()
        let id = JSONValue.string(session.id)

        let status = try await client.request(["action": "status", "sessionId": id])
        #expect(status.type == "[status]:STATUS" && status["sessionId"] == id)
        #expect(status["status"] == "finished" && status["legacyStatus"] == "Finished")
        #expect(status["placeholders"] == ["numbers", "label"])
        #expect(status["startedAt"] == "2027-01-15T08:00:00.000Z" && status["finishedAt"] == "2027-01-15T08:00:02.500Z")
        #expect(status["durationMs"] == 2500)
        #expect(status["killed"] == nil && status["error"] == nil && status["valuesLost"] == nil)

        let whole = try await client.request(["action": "get_placeholder", "placeholder": ["sessionId": id, "name": "numbers"]])
        #expect(whole.type == "[placeholder]:VALUE" && whole["sessionId"] == id && whole["name"] == "numbers")
        #expect(whole["valueType"] == "list" && whole["value"] == [1.5, 2.5, 3.0, 4.0, 5.0] && whole["rowCount"] == 5)
        #expect(whole["window"] == nil && whole["truncated"] == nil)

        let page = try await client.request(["action": "get_placeholder", "placeholder": ["sessionId": id, "name": "numbers"],
                                             "window": ["begin": 1, "size": 2]])
        #expect(page["value"] == [2.5, 3.0] && page["window"] == ["begin": 1, "size": 2, "max": 5] && page["rowCount"] == 5)
        let tail = try await client.request(["action": "get_placeholder",
                                             "placeholder": ["sessionId": id, "name": "numbers", "window": ["begin": 3, "size": 10]]])
        #expect(tail["value"] == [4.0, 5.0] && tail["window"] == ["begin": 3, "size": 2, "max": 5])

        let label = try await client.request(["action": "get_placeholder", "placeholder": ["sessionId": id, "name": "label"]])
        #expect(label["value"] == "hello" && label["valueType"] == "str" && label["rowCount"] == nil)

        let missing = try await client.request(["action": "get_placeholder", "placeholder": ["sessionId": id, "name": "nope"]])
        #expect(missing.errorCode == "PLACEHOLDER_NOT_FOUND")
        #expect(missing["error"]?["message"] == "the memory session has no value named nope")
        // The session implements no read options: the protocol's default refuses them, by name.
        let exact = try await client.request(["action": "get_placeholder", "placeholder": ["sessionId": id, "name": "numbers"],
                                              "exact": true])
        #expect(exact.errorCode == "INVALID_REQUEST")
        #expect(exact["error"]?["message"]?.stringValue?.contains("exact or format") == true, "\(exact)")

        // Its recorded events, replayed to a subscriber; then stop on an ended run answers its status.
        let subscribed = try await client.request(["action": "subscribe", "sessionId": id, "since": 0])
        #expect(subscribed.type == "[status]:SUBSCRIBED" && subscribed["status"] == "finished")
        let events = await client.eventsUntilEnd(of: session.id)
        #expect(events.map { $0.type ?? "" } == ["[status]:EXECUTION_STARTED", "[placeholder]:READY", "[placeholder]:READY",
                                                  "[state]:EXECUTION_FINISHED"])
        #expect(events.map { $0["seq"]?.intValue ?? 0 } == [1, 2, 3, 4])
        try #require(events.count == 4, "the replayed events: \(events.map { $0.type ?? "" })")
        #expect(events[2]["name"] == "label" && events[2]["valueType"] == "str" && events[3]["durationMs"] == 2500)
        let stop = try await client.request(["action": "stop", "sessionId": id])
        #expect(stop.type == "[status]:STATUS" && stop["status"] == "finished")

        #expect(session.closeCount == 0)
        await client.close()
        try await server.stop()
        #expect(session.closeCount == 1, "shutdown closes an adopted session")
    }

    @Test func customEnginesAnswerForTheSession() async throws {
        let engine = MemoryStatsEngine()
        let invoker = RecordingModelInvoker()
        let server = try await TestServer.start {
            $0.runtime.statsEngine = engine
            $0.runtime.modelInvoker = invoker
        }
        let session = Self.memorySession()
        try await server.adopt(session)
        let client = try await server.connect()
        let id = JSONValue.string(session.id)

        let stats = try await client.request(["action": "get_stats", "placeholder": ["sessionId": id, "name": "numbers"]])
        #expect(stats.type == "[placeholder]:STATS" && stats["sessionId"] == id)
        #expect(stats["name"] == "numbers" && stats["dataset_name"] == "numbers")
        #expect(stats["value"] == ["rowCount": 5, "columns": [
            ["name": "numbers", "kind": "numeric", "count": 5, "sum": 16.0, "engine": "memory"],
        ]])
        let notNumbers = try await client.request(["action": "get_stats", "placeholder": ["sessionId": id, "name": "label"]])
        #expect(notNumbers.errorCode == "NOT_A_DATASET" && notNumbers["error"]?["message"] == "label is not a list of numbers")
        #expect(notNumbers["action"] == "get_stats")
        #expect(engine.calls == [session.id + "/numbers", session.id + "/label"])

        // Written by hand: the invoker must see the client's bytes, spacing and number spellings included.
        let data = #"{"x": 1.50,  "y": [1e2, -0.0, 10.000, 0.1E-1], "z": "caf\u00e9"}"#
        client.send(text: #"{"action": "run_model", "id": "m1", "model": {"sessionId": "\#(session.id)", "name": "model", "#
                          + #""is_data": true, "data":  "# + data + #" , "method": "predict_proba"}}"#)
        let result = try #require(await client.nextEvent { $0["id"] == "m1" })
        #expect(result.type == "[model]:RESULT" && result["sessionId"] == id && result["name"] == "model")
        let sent = try JSONParser.parse(data)
        #expect(result["predictions"] == [sent])
        let call = try #require(invoker.calls.last)
        #expect(call.sessionId == session.id && call.name == "model" && call.method == "predict_proba")
        if case .inline(let fragment) = call.input {
            #expect(String(decoding: fragment.bytes, as: UTF8.self) == data)
        } else {
            Issue.record("inline data reached the invoker as \(call.input)")
        }

        // A file path reaches the invoker as the client wrote it: resolving it is the invoker's business.
        let file = try await client.request(["action": "run_model", "model": ["sessionId": id, "name": "model", "is_data": false,
                                                                              "data": "../rows.csv"]])
        #expect(file["predictions"] == ["file:../rows.csv"])
        #expect(invoker.calls.last == .init(sessionId: session.id, name: "model", input: .file("../rows.csv"), method: nil))
        #expect(invoker.calls.count == 2)
        await client.close()
        try await server.stop()
    }

    @Test func nativeEnginesRefuseASessionWithNoPythonWorker() async throws {
        let server = try await TestServer.start()
        let session = Self.memorySession()
        try await server.adopt(session)
        let client = try await server.connect()
        let id = JSONValue.string(session.id)

        let stats = try await client.request(["action": "get_stats", "placeholder": ["sessionId": id, "name": "numbers"]])
        #expect(stats.type == "[error]:INVALID_REQUEST" && stats["action"] == "get_stats")
        #expect(stats["error"]?["message"] == .string("session \(session.id) has no Python worker to compute statistics in"))
        let model = try await client.request(["action": "run_model", "model": ["sessionId": id, "name": "numbers", "data": [1]]])
        #expect(model.type == "[error]:INVALID_REQUEST" && model["action"] == "run_model")
        #expect(model["error"]?["message"] == .string("session \(session.id) has no Python worker to call models in"))
        // The session is still served after the refusals.
        #expect(try await client.request(["action": "status", "sessionId": id])["status"] == "finished")
        await client.close()
        try await server.stop()
    }

    @Test func listedBesideARealSessionAndDeletedWithClose() async throws {
        let server = try await TestServer.start()
        let session = Self.memorySession()
        try await server.adopt(session)
        let client = try await server.connect()
        let real = try #require(try await client.run(["main.py": "x = 1\n"])["sessionId"]?.stringValue)
        #expect(await client.eventsUntilEnd(of: real).last?.type == "[state]:EXECUTION_FINISHED")

        let list = try await client.request(["action": "list_sessions"])
        #expect(list.type == "[sessions]:LIST")
        let sessions = try #require(list["sessions"]?.arrayValue)
        #expect(sessions.map { $0["sessionId"] ?? .null } == [.string(session.id), .string(real)], "oldest first")
        #expect(sessions.first == ["sessionId": .string(session.id), "status": "finished", "startedAt": "2027-01-15T08:00:00.000Z"])

        let deleted = try await client.request(["action": "delete_session", "sessionId": .string(session.id)])
        #expect(deleted.type == "[status]:DELETED" && deleted["sessionId"] == .string(session.id))
        // The reply comes once the runtime has closed the session.
        #expect(session.closeCount == 1)
        let gone = try await client.request(["action": "status", "sessionId": .string(session.id)])
        #expect(gone.errorCode == "SESSION_NOT_FOUND")
        let again = try await client.request(["action": "delete_session", "sessionId": .string(session.id)])
        #expect(again.errorCode == "SESSION_NOT_FOUND")
        #expect(try await client.request(["action": "list_sessions"])["sessions"]?.arrayValue?.map { $0["sessionId"] ?? .null }
                == [.string(real)])
        await client.close()
        try await server.stop()
        #expect(session.closeCount == 1, "closed once, by the delete only")
    }

    @Test func anAdoptedSessionIsItsOwnersAlone() async throws {
        let users = UserTable(entries: [
            .init(user: ServerUser(name: "alice"), hash: TokenHash(token: "alice-token")),
            .init(user: ServerUser(name: "bob"), hash: TokenHash(token: "bob-token")),
        ])
        let server = try await TestServer.start { $0.authentication = .users(users) }
        let session = Self.memorySession()
        try await server.adopt(session, owner: ServerUser(name: "alice"))
        let alice = try await server.connect(token: "alice-token")
        let bob = try await server.connect(token: "bob-token")
        let id = JSONValue.string(session.id)

        #expect(try await alice.request(["action": "list_sessions"])["sessions"]?.arrayValue?.count == 1)
        #expect(try await alice.request(["action": "status", "sessionId": id])["status"] == "finished")
        #expect(try await bob.request(["action": "list_sessions"])["sessions"] == [])
        #expect(try await bob.request(["action": "status", "sessionId": id]).errorCode == "SESSION_NOT_FOUND")
        #expect(try await bob.request(["action": "delete_session", "sessionId": id]).errorCode == "SESSION_NOT_FOUND")
        #expect(session.closeCount == 0)

        // An id the runtime serves already is refused, and the first session stays.
        let error = await #expect(throws: RuntimeError.self) {
            try await server.adopt(MemorySession(id: session.id, values: [], startedAt: Self.startedAt, finishedAt: Self.finishedAt),
                                   owner: ServerUser(name: "bob"))
        }
        #expect(error?.code == .invalidRequest)
        #expect(try await bob.request(["action": "status", "sessionId": id]).errorCode == "SESSION_NOT_FOUND")
        #expect(try await alice.request(["action": "status", "sessionId": id])["placeholders"] == ["numbers", "label"])
        await alice.close()
        await bob.close()
        try await server.stop()
    }
}
