import Foundation
import RuntimeClient
import RuntimeCore
import RuntimeTestSupport
import Testing

/// One connection's requests are served side by side: a slow one holds up
/// neither the requests after it nor a stop, and the bound on requests in
/// progress never holds a stop up either.
@Suite(.timeLimit(.minutes(2)))
struct ConcurrentRequestTests {
    /// `slow` blocks its worker thread until `release` is called (`gate`).
    static let gated = """
        import threading, runtimeBridge as rb
        gate = threading.Event()
        def slow(data):
            gate.wait()
            return ["slow"]
        def release(data):
            gate.set()
            return ["released"]
        rb.save_placeholder("slow", slow)
        rb.save_placeholder("release", release)
        rb.save_placeholder("n", 7)
        """

    static func model(_ session: String, _ name: String, id: JSONValue? = nil) -> JSONValue {
        var fields: [(String, JSONValue)] = [("action", "run_model"),
                                             ("model", ["sessionId": .string(session), "name": .string(name), "data": [1]])]
        if let id { fields.append(("id", id)) }
        return .object(fields)
    }

    /// A finished session holding the gated functions, and a running one to stop.
    static func sessions(on client: RuntimeConnection) async throws -> (gated: String, sleeper: String) {
        let gated = try #require(try await client.run(["main.py": Self.gated])["sessionId"]?.stringValue)
        #expect(await client.eventsUntilEnd(of: gated).last?.type == "[state]:EXECUTION_FINISHED")
        let sleeper = try #require(try await client.run(["main.py": "import time\nprint('go', flush=True)\ntime.sleep(1000)\n"])["sessionId"]?.stringValue)
        _ = await client.nextEvent { $0.type == "[run]:OUTPUT" && $0["sessionId"] == .string(sleeper) }
        return (gated, sleeper)
    }

    @Test func aSlowRequestHoldsUpNothingBehindIt() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        let (gated, sleeper) = try await Self.sessions(on: client)

        // Sent first: it cannot be answered before `release` below has run.
        client.send(Self.model(gated, "slow", id: "slow"))
        let stopped = try await client.request(["action": "stop", "sessionId": .string(sleeper)])
        #expect(stopped.type == "[status]:EXECUTION_STOPPED" && stopped["status"] == "stopped")
        let status = try await client.request(["action": "status", "sessionId": .string(gated)])
        #expect(status["status"] == "finished")
        let read = try await client.request(["action": "get_placeholder", "placeholder": ["sessionId": .string(gated), "name": "n"]])
        #expect(read["value"] == 7)
        let released = try await client.request(Self.model(gated, "release"))
        #expect(released["predictions"] == ["released"])
        let slow = await client.nextEvent { $0["id"] == "slow" }
        #expect(slow?.type == "[model]:RESULT" && slow?["predictions"] == ["slow"])
        await client.close()
        try await server.stop()
    }

    @Test func aStopIsServedPastTheBoundOnRequestsInProgress() async throws {
        let server = try await TestServer.start { $0.maximumRequestsPerConnection = 1 }
        let client = try await server.connect()
        let (gated, sleeper) = try await Self.sessions(on: client)

        client.send(Self.model(gated, "slow", id: "slow"))
        // The one slot is the slow call's: the stop is served all the same.
        let stopped = try await client.request(["action": "stop", "sessionId": .string(sleeper)])
        #expect(stopped.type == "[status]:EXECUTION_STOPPED")
        // Another connection has slots of its own.
        let other = try await server.connect()
        #expect(try await other.request(Self.model(gated, "release"))["predictions"] == ["released"])
        let slow = await client.nextEvent { $0["id"] == "slow" }
        #expect(slow?["predictions"] == ["slow"])
        #expect(try await client.request(["action": "status", "sessionId": .string(gated)])["status"] == "finished")
        await other.close()
        await client.close()
        try await server.stop()
    }
}
