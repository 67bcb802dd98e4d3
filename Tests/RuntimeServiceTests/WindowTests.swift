import Foundation
import RuntimeClient
import RuntimeCore
import RuntimeTestSupport
import Testing

/// Windows at the edges of what the parser accepts.
@Suite(.timeLimit(.minutes(2)))
struct WindowTests {
    @Test func hugeButValidWindowsAreServedAndOverflowingOnesRefused() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        let id = try #require(try await client.run(["main.py": "import runtimeBridge\nruntimeBridge.save_placeholder('l', list(range(10)))\n"])["sessionId"]?.stringValue)
        _ = await client.eventsUntilEnd(of: id)
        func read(_ window: JSONValue) async throws -> JSONValue {
            try await client.request(["action": "get_placeholder", "placeholder": ["sessionId": .string(id), "name": "l"], "window": window])
        }
        let all = try await read(["begin": 0, "size": .int(Int64.max)])
        #expect(all["value"] == .array((0..<10).map { .int(Int64($0)) }), "\(all)")
        #expect(all["window"] == ["begin": 0, "size": 10, "max": 10])
        let past = try await read(["begin": 20, "size": 5])
        #expect(past["value"] == [] && past["window"]?["size"] == 0, "\(past)")
        // The request that once killed the worker: refused before it gets there.
        let overflowing = try await read(["begin": 1, "size": .int(Int64.max)])
        #expect(overflowing.errorCode == "INVALID_REQUEST")
        #expect(overflowing["error"]?["message"]?.stringValue?.contains("window.size") == true)
        // The session is intact.
        #expect(try await read(["begin": 8, "size": 5])["value"] == [8, 9])
        #expect(try await client.request(["action": "status", "sessionId": .string(id)])["status"] == "finished")
        await client.close()
        try await server.stop()
    }
}
