import Foundation
import RuntimeClient
import RuntimeCore
import RuntimeTestSupport
import Testing

/// A frame far over the limit closes its connection (the client sees the
/// close), while a session started on it goes on and the server serves
/// others. That workers inherit no connection is proven where it can fail:
/// `ContainmentTests.aWorkerHoldsOnlyItsOwnDescriptors`.
@Suite(.timeLimit(.minutes(2)))
struct OversizedFrameCloseTests {
    @Test func theClientSeesItsConnectionClosed() async throws {
        let server = try await TestServer.start { $0.maximumMessageBytes = 1 << 20 }
        let client = try await server.connect()
        // Workers are started (and a run is going) while this connection is open.
        let reply = try await client.run(["main.py": "import time\nprint('started', flush=True)\ntime.sleep(60)\n"])
        let session = try #require(reply["sessionId"]?.stringValue)
        #expect(await client.nextEvent { $0.type == "[run]:OUTPUT" } != nil)
        client.send(binary: [UInt8](repeating: 0x20, count: 3 << 20))
        // The event stream ends when the connection does.
        for await _ in client.events {}
        // The server goes on serving others.
        let other = try await server.connect()
        let status = try await other.request(["action": "status", "sessionId": .string(session)])
        #expect(status["status"] == "running")
        await other.close()
        await client.close()
        try await server.stop()
    }
}
