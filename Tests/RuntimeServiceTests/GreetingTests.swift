import Foundation
import RuntimeClient
import RuntimeCore
import RuntimeTestSupport
import Testing

/// Every new connection is greeted first with `[users]:INFO`, as the original
/// server did, and only that connection.
@Suite(.timeLimit(.minutes(2)))
struct GreetingTests {
    @Test func clientsOfTheOriginalServerWaitForTheGreeting() async throws {
        let server = try await TestServer.start()
        let python = FileManager.default.currentDirectoryPath + "/.venv/bin/python"
        let result = try await ChildProcess.run(URL(fileURLWithPath: python),
                                                ["Tests/RuntimeServiceTests/Fixtures/greeting_client.py", server.url])
        #expect(result.status == 0, "\(result.stderr)")
        let seen = try JSONParser.parse(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        // Exactly these fields: no sessionId, no seq, no id.
        #expect(seen["first"] == ["type": "[users]:INFO", "count": 1])
        #expect(seen["second"] == ["type": "[users]:INFO", "count": 2])
        #expect(seen["aNext"]?["id"] == "after", "the first client received \(String(describing: seen["aNext"]))")
        #expect(seen["started"] == ["[status]:EXECUTION_STARTED", 1, "r"])
        try await server.stop()
    }

    @Test func theSwiftClientKeepsTheGreetingOutOfItsEvents() async throws {
        let server = try await TestServer.start()
        let first = try await server.connect()
        #expect(await first.greeting == ["type": "[users]:INFO", "count": 1])
        let second = try await server.connect()
        #expect(await second.greeting == ["type": "[users]:INFO", "count": 2])
        // The first message on `events` is the one this client provokes, not a greeting.
        second.send(["action": "list_sessions", "id": "marker"])
        let next = await second.nextEvent { _ in true }
        #expect(next?["id"] == "marker", "\(String(describing: next))")
        await first.close()
        await second.close()
        try await server.stop()
    }
}
