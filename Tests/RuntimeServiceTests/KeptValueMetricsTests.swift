import Foundation
import RuntimeJSON
import RuntimeTestSupport
import Testing

/// What the server keeps of values read after a run, as `/metrics` shows it.
@Suite(.timeLimit(.minutes(3)))
struct KeptValueMetricsTests {
    private func readTwice(cacheBytes: Int?) async throws -> String {
        let server = try await TestServer.start { configuration in
            if let cacheBytes { configuration.runtime.valueCacheBytes = cacheBytes }
        }
        let client = try await server.connect()
        let started = try await client.run(["main.py": "import runtimeBridge\nruntimeBridge.save_placeholder('answer', [42])\n"])
        let id = try #require(started["sessionId"]?.stringValue)
        _ = await client.eventsUntilEnd(of: id)
        let read: JSONValue = ["action": "get_placeholder", "placeholder": ["sessionId": .string(id), "name": "answer"]]
        for _ in 0..<2 { #expect(try await client.request(read)["value"] == [42]) }
        let metrics = try await server.get("/metrics").body
        await client.close()
        try await server.stop()
        return metrics
    }

    @Test func aValueReadAgainIsAHit() async throws {
        let metrics = try await readTwice(cacheBytes: nil)
        #expect(metrics.contains("runtime_kept_value_hits_total 1"), "\(metrics)")
        #expect(metrics.contains("runtime_kept_value_misses_total 1"), "\(metrics)")
        #expect(metrics.contains("runtime_kept_values 1"), "\(metrics)")
    }

    @Test func nothingIsKeptWithoutRoom() async throws {
        let metrics = try await readTwice(cacheBytes: 0)
        #expect(metrics.contains("runtime_kept_value_hits_total 0"), "\(metrics)")
        #expect(metrics.contains("runtime_kept_values 0"), "\(metrics)")
    }
}
