import Foundation
import RuntimeClient
import RuntimeCore
import RuntimeTestSupport
import Testing

@Suite(.timeLimit(.minutes(2)))
struct ServerLifecycleTests {
    @Test func tokenIsRequiredWhenConfigured() async throws {
        let server = try await TestServer.start { $0.token = "s3cret" }
        await #expect { try await server.connect() } throws: {
            ($0 as? RuntimeConnection.Failure)?.reason == .unauthorized
        }
        await #expect { try await server.connect(token: "wrong") } throws: {
            ($0 as? RuntimeConnection.Failure)?.reason == .unauthorized
        }
        let byHeader = try await server.connect(token: "s3cret")
        #expect(try await byHeader.request(["action": "list_sessions"]).type == "[sessions]:LIST")
        let byQuery = try await server.connect(path: "/?token=s3cret")
        #expect(try await byQuery.request(["action": "list_sessions"]).type == "[sessions]:LIST")
        // The upgrade is refused with 401 and the contract's error body.
        let refused = try await server.get("/", headers: ["Connection": "Upgrade", "Upgrade": "websocket",
                                                          "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="])
        #expect(refused.status == 401)
        #expect(refused.body.contains("UNAUTHORIZED"))
        // Plain HTTP stays open.
        #expect(try await server.get("/healthz").status == 200)
        await byHeader.close()
        await byQuery.close()
        try await server.stop()
    }

    @Test func httpEndpoints() async throws {
        let server = try await TestServer.start()
        let page = try await server.get("/")
        #expect(page.status == 200)
        #expect(page.contentType.hasPrefix("text/html"))
        #expect(page.body.contains("<title>Runtime server"))
        // Nothing is loaded from elsewhere (the one http:// is the SVG namespace name).
        #expect(page.body.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").range(of: "https?://", options: .regularExpression) == nil)
        let health = try await server.get("/healthz")
        #expect(health.status == 200 && health.body == "ok")

        let client = try await server.connect()
        let id = try #require(try await client.run(["main.py": "x = 1\n"])["sessionId"]?.stringValue)
        _ = await client.eventsUntilEnd(of: id)
        client.send(text: "nonsense")
        _ = await client.nextEvent { $0.type == "[error]:INVALID_JSON" }
        let metrics = try await server.get("/metrics")
        #expect(metrics.status == 200 && metrics.contentType.hasPrefix("text/plain"))
        #expect(metrics.body.contains("runtime_runs_total 1"))
        #expect(metrics.body.contains(#"runtime_sessions{status="finished"} 1"#))
        #expect(metrics.body.contains(#"runtime_requests_total{action="run"} 1"#))
        #expect(metrics.body.contains(#"runtime_errors_total{code="INVALID_JSON"} 1"#))
        #expect(metrics.body.contains("runtime_request_duration_seconds_bucket"))
        await client.close()
        try await server.stop()
    }

    @Test func demoPageInDocsIsTheServedOne() throws {
        let docs = try String(contentsOfFile: "Docs/client.html", encoding: .utf8)
        let served = try String(contentsOfFile: "Sources/RuntimeService/Resources/client.html", encoding: .utf8)
        #expect(docs == served)
    }

    @Test func gracefulShutdownEndsRunsAndWorkers() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        // The session's pids are its namespace's own; find its processes from
        // outside by their working folder, which is the session's.
        let id = try #require(try await client.run(["main.py": "import os, runtimeBridge\nruntimeBridge.save_placeholder('cwd', os.getcwd())\nwhile True: pass\n"])["sessionId"]?.stringValue)
        let ready = await client.nextEvent { $0.type == "[placeholder]:READY" }
        #expect(ready != nil)
        let folder = try #require(try await client.request(["action": "get_placeholder", "placeholder": ["sessionId": .string(id), "name": "cwd"]])["value"]?.stringValue)
        let workers = processes(workingIn: folder)
        #expect(!workers.isEmpty)
        try await server.stop()
        #expect(workers.allSatisfy { !Processes.isAlive($0) }, "the worker outlived the server")
        // The client sees its session stopped, then the connection ends.
        var sawStop = false
        for await event in client.events where event.type == "[state]:EXECUTION_STOPPED" { sawStop = true }
        #expect(sawStop)
        await client.close()
    }

    /// A run still queued at shutdown ends stopped, like the running one
    /// (it used to fail: the pool was closed before the runs were stopped).
    @Test func aQueuedRunIsStoppedAtShutdown() async throws {
        let server = try await TestServer.start { $0.runtime.maximumParallelRuns = 1 }
        let client = try await server.connect()
        let program: KeyValuePairs<String, String> = ["main.py": "import runtimeBridge\nruntimeBridge.save_placeholder('up', 1)\nwhile True: pass\n"]
        let running = try #require(try await client.run(program)["sessionId"]?.stringValue)
        #expect(await client.nextEvent { $0.type == "[placeholder]:READY" && $0["sessionId"]?.stringValue == running } != nil)
        let queued = try #require(try await client.run(program)["sessionId"]?.stringValue)
        let status = try await client.request(["action": "status", "sessionId": .string(queued)])
        #expect(status["status"]?.stringValue == "queued")
        try await server.stop()
        var ends: [String: String] = [:]
        for await event in client.events where event.type?.hasPrefix("[state]:") == true {
            if let id = event["sessionId"]?.stringValue { ends[id] = event.type }
        }
        #expect(ends[running] == "[state]:EXECUTION_STOPPED")
        #expect(ends[queued] == "[state]:EXECUTION_STOPPED")
        await client.close()
    }

    /// A request still being answered keeps its session: a read longer than
    /// the idle time used to find the worker killed under it. The read is
    /// under way before the run ends (the value's repr prints that it began,
    /// and the test ends the run only then), so however late the machine
    /// runs the test, the session ends with a request in flight.
    @Test func aSessionIsNotFreedUnderARequest() async throws {
        let server = try await TestServer.start { $0.idleSessionLifetime = .milliseconds(200) }
        let client = try await server.connect()
        let end = FileManager.default.temporaryDirectory.appendingPathComponent("reaper-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: end) }
        let id = try #require(try await client.run(["main.py": """
            import os, time
            from runtimeBridge import save_placeholder
            def wait_for(path):
                deadline = time.time() + 60
                while not os.path.exists(path) and time.time() < deadline:
                    time.sleep(0.01)
            class Slow:
                def __repr__(self):
                    print("reading", flush=True)
                    wait_for(\(JSONValue.string(end.path).jsonString))
                    time.sleep(1.5)
                    return "slow"
            save_placeholder("slow", Slow())
            wait_for(\(JSONValue.string(end.path).jsonString))
            """])["sessionId"]?.stringValue)
        _ = await client.nextEvent { $0.type == "[placeholder]:READY" || $0["type"]?.stringValue?.hasPrefix("[state]:") == true }
        async let reply = client.request(["action": "get_placeholder", "placeholder": ["sessionId": .string(id), "name": "slow"]])
        #expect(await client.nextEvent { $0.type == "[run]:OUTPUT" && $0["text"] == "reading\n" } != nil)
        _ = FileManager.default.createFile(atPath: end.path, contents: Data())
        let answered = try await reply
        #expect(answered["type"] == "[placeholder]:VALUE", "\(answered)")
        #expect(answered["value"] == "slow")
        await client.close()
        try await server.stop()
    }

    @Test func idleEndedSessionsAreFreed() async throws {
        let server = try await TestServer.start { $0.idleSessionLifetime = .milliseconds(200) }
        let client = try await server.connect()
        let id = try #require(try await client.run(["main.py": "x = 1\n"])["sessionId"]?.stringValue)
        _ = await client.eventsUntilEnd(of: id)
        // Poll the server's own answer; the reaper runs every 50 ms here.
        var gone = false
        for _ in 0..<400 where !gone {
            let reply = try await client.request(["action": "list_sessions"])
            gone = reply["sessions"] == []
            if !gone { try await Task.sleep(for: .milliseconds(25)) }
        }
        #expect(gone)
        await client.close()
        try await server.stop()
    }
}
