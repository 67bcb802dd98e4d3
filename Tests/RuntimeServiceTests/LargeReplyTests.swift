import Foundation
import RuntimeJSON
import RuntimeTestSupport
import Testing

/// Replies too large to copy on a connection's event loop are written from
/// the global executor, whole, and the connection serves on.
@Suite(.timeLimit(.minutes(3)))
struct LargeReplyTests {
    @Test func aValueOverTheOnLoopBoundIsSentWholeAndKept() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        let started = try await client.run(["main.py": "import runtimeBridge\nruntimeBridge.save_placeholder('big', 'y' * 9_000_000)\n"])
        let id = try #require(started["sessionId"]?.stringValue)
        _ = await client.eventsUntilEnd(of: id)
        let read: JSONValue = ["action": "get_placeholder", "placeholder": ["sessionId": .string(id), "name": "big"]]
        for _ in 0..<2 {  // from the worker, then as kept by the server
            let reply = try await client.request(read)
            #expect(reply["value"]?.stringValue?.utf8.count == 9_000_000)
        }
        let status = try await client.request(["action": "status", "sessionId": .string(id)])
        #expect(status["status"] == "finished")
        await client.close()
        try await server.stop()
    }
}
