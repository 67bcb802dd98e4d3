import Foundation
import RuntimeClient
import RuntimeCore
import RuntimeService
import RuntimeTestSupport
import Testing

/// A client that does not read is bounded by bytes, cut off (1008) past the
/// bound, and never slows anyone else down.
@Suite(.timeLimit(.minutes(2)))
struct BackPressureTests {
    @Test func theBoundCountsBytesNotMessages() {
        let connection = Connection(id: 1, byteLimit: 1000)
        connection.send(.string(String(repeating: "a", count: 600)))   // 602 bytes of JSON
        connection.send(.string(String(repeating: "b", count: 300)))   // 904
        #expect(!connection.overflowed && connection.queuedBytes == 904)
        connection.send(.string(String(repeating: "c", count: 200)))   // would be 1106
        #expect(connection.overflowed && connection.isClosed)
        #expect(connection.queuedBytes == 904)

        // A reply larger than the bound still goes to a client that reads...
        let big = Connection(id: 2, byteLimit: 1000)
        big.send(.string(String(repeating: "x", count: 5000)))
        #expect(!big.overflowed)
        // ...but nothing may pile up behind it.
        big.send(.string("y"))
        #expect(big.overflowed)

        // Many small messages are fine (the old bound was 10,000 messages).
        let chatty = Connection(id: 3, byteLimit: 1 << 20)
        for i in 0..<20_000 { chatty.send(.int(Int64(i % 10))) }
        #expect(!chatty.overflowed && chatty.queuedBytes == 20_000)
    }

    @Test func aClientThatNeverReadsIsCutOffWhileOthersAreServed() async throws {
        let logs = LogCapture()
        let limit = 1 << 20
        let server = try await TestServer.start(logger: logs.logger(level: .info)) { $0.maximumQueuedBytes = limit }
        let reader = try await server.connect()
        let started = try await reader.run(["main.py": "import runtimeBridge\nruntimeBridge.save_placeholder('big', 'x' * 1_000_000)\n"])
        let id = try #require(started["sessionId"]?.stringValue)
        _ = await reader.eventsUntilEnd(of: id)
        let read: JSONValue = ["action": "get_placeholder", "placeholder": ["sessionId": .string(id), "name": "big"]]

        // 64 replies of 1 MB asked for, none read: 64 MB if nothing bounded it.
        let silent = try await SilentWebSocketClient.connect(port: server.port)
        let request = #"{"action": "get_placeholder", "placeholder": {"sessionId": "\#(id)", "name": "big"}}"#
        for _ in 0..<64 {
            // The server may cut the client off before it has sent them all
            // (a loaded machine sends slowly): its socket is then reset.
            do { try await silent.send(request) } catch { break }
        }

        // Meanwhile the other client keeps being served, whole replies.
        for _ in 0..<5 {
            #expect(try await reader.request(read)["value"]?.stringValue?.utf8.count == 1_000_000)
        }

        // The server cuts the silent client off and says so, naming the connection.
        let line = try #require(await waitForLine(in: logs, containing: "client is not reading"))
        #expect(line.contains("connection=") && line.contains("user=anonymous"), "\(line)")
        // What it held for that client never went past the bound.
        let queued = try #require(line.split(separator: " ").first { $0.hasPrefix("queuedBytes=") }
            .flatMap { Int($0.dropFirst("queuedBytes=".count)) })
        #expect(queued <= limit, "\(line)")

        // The silent client's connection ends; it received far less than was asked for.
        let received = await silent.readUntilClosed()
        #expect(received < 32_000_000, "received \(received) bytes")

        // The server lets go of the connection: a newcomer is greeted as one of two (the reader and itself).
        var count: JSONValue?
        let deadline = ContinuousClock.now + .seconds(30)
        while count != 2, ContinuousClock.now < deadline {
            let probe = try await server.connect()
            count = await probe.greeting?["count"]
            await probe.close()
            if count != 2 { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(count == 2)

        // The other client is still served, and the metrics count the cut-off.
        #expect(try await reader.request(read)["value"]?.stringValue?.utf8.count == 1_000_000)
        let metrics = try await server.get("/metrics")
        #expect(metrics.body.contains(#"runtime_slow_clients_closed_total{user="anonymous"} 1"#), "\(metrics.body)")
        await reader.close()
        try await server.stop()
    }

    @Test func aClientThatReadsLateReceivesTheCloseCode1008() async throws {
        let logs = LogCapture()
        let server = try await TestServer.start(logger: logs.logger(level: .warning)) {
            $0.maximumQueuedBytes = 1 << 20
            // Long enough that the close frame waits for this client to read, however loaded the machine
            // (the server stops when the test disconnects, not after this).
            $0.slowClientCloseGrace = .seconds(60)
        }
        let reader = try await server.connect()
        let id = try #require(try await reader.run(["main.py": "import runtimeBridge\nruntimeBridge.save_placeholder('big', 'x' * 1_000_000)\n"])["sessionId"]?.stringValue)
        _ = await reader.eventsUntilEnd(of: id)
        let silent = try await SilentWebSocketClient.connect(port: server.port)
        let request = #"{"action": "get_placeholder", "placeholder": {"sessionId": "\#(id)", "name": "big"}}"#
        for _ in 0..<32 { try await silent.send(request) }
        _ = try #require(await waitForLine(in: logs, containing: "client is not reading"))
        // Reading now, the client gets what was already on its way, then the close frame.
        #expect(await silent.readUntilCloseFrame() == 1008)
        silent.disconnect()
        await reader.close()
        try await server.stop()
    }

    /// The first captured line containing `text`, waiting for it to be logged.
    private func waitForLine(in logs: LogCapture, containing text: String) async -> String? {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let line = logs.all.first(where: { $0.contains(text) }) { return line }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }
}
