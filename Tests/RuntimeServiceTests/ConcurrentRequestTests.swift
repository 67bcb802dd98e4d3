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

    /// At the bound, the next request is refused at once rather than waited
    /// for: the reading goes on, and a stop behind it is served.
    @Test func pastTheBoundARequestIsRefusedAndAStopStillServed() async throws {
        let server = try await TestServer.start { $0.maximumRequestsPerConnection = 1 }
        let client = try await server.connect()
        let (gated, sleeper) = try await Self.sessions(on: client)

        client.send(Self.model(gated, "slow", id: "slow"))
        // The one slot is the slow call's: a second one is refused, naming the bound.
        let refused = try await client.request(Self.model(gated, "slow"))
        #expect(refused.type == "[error]:LIMIT_EXCEEDED" && refused["action"] == "run_model", "\(refused)")
        #expect(refused["error"]?["message"]?.stringValue?.contains("requests in progress") == true, "\(refused)")
        let stopped = try await client.request(["action": "stop", "sessionId": .string(sleeper)])
        #expect(stopped.type == "[status]:EXECUTION_STOPPED")
        // Another connection has slots of its own.
        let other = try await server.connect()
        #expect(try await other.request(Self.model(gated, "release"))["predictions"] == ["released"])
        let slow = await client.nextEvent { $0["id"] == "slow" }
        #expect(slow?["predictions"] == ["slow"])
        // The slot is free again.
        #expect(try await client.request(["action": "status", "sessionId": .string(gated)])["status"] == "finished")
        await other.close()
        await client.close()
        try await server.stop()
    }

    /// A client that closes its connection while a read is being encoded:
    /// the read is cancelled, and stops in the worker, instead of running on
    /// for nobody.
    @Test func aCloseFrameCancelsTheRequestsInProgress() async throws {
        let logs = LogCapture()
        let server = try await TestServer.start(logger: logs.logger(level: .info)) { $0.runtime.readTimeLimit = nil }
        let client = try await server.connect()
        let big = try #require(try await client.run(["main.py": "import runtimeBridge as rb\nrb.save_placeholder('big', list(range(20_000_000)))\n"])["sessionId"]?.stringValue)
        #expect(await client.eventsUntilEnd(of: big).last?.type == "[state]:EXECUTION_FINISHED")
        client.send(["action": "get_placeholder", "id": "big", "placeholder": ["sessionId": .string(big), "name": "big"],
                     "window": ["begin": 0, "size": 20_000_000]])
        // Read after the big read, so that read's task exists when this is answered.
        _ = try await client.request(["action": "status", "sessionId": .string(big)])
        await client.close()
        #expect(await Processes.waitUntil { logs.all.contains { $0.contains("request stopped: its client went away") && $0.contains("get_placeholder") } },
                "\(logs.all.filter { $0.contains("request") })")
        try await server.stop()
    }
}
