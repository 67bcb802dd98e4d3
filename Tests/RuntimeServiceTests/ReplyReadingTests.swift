import Foundation
import RuntimeClient
import RuntimeCore
import RuntimeTestSupport
import Testing

/// A session's replies are read on one event loop at a time, which may
/// move as its clients change (which loop a connection gets is the
/// server's choice; `ReplyReadingMoveTests` makes the moves happen):
/// whatever the order, every request through the server gets its own reply,
/// whole.
@Suite(.timeLimit(.minutes(2)))
struct ReplyReadingTests {
    @Test func clientsTakingTurnsAndAtOnceEachGetTheirOwnReplies() async throws {
        let server = try await TestServer.start()
        let setup = try await server.connect()
        let session = try #require(try await setup.run(["main.py": """
            import runtimeBridge as rb
            rb.save_placeholder("echo", lambda rows: rows.tolist()[0])
            """])["sessionId"]?.stringValue)
        #expect(await setup.eventsUntilEnd(of: session).last?.type == "[state]:EXECUTION_FINISHED")

        func call(_ client: RuntimeConnection, _ value: Int) async throws -> Bool {
            let reply = try await client.request(["action": "run_model", "model": [
                "sessionId": .string(session), "name": "echo", "data": [.double(Double(value)), 0.5]]])
            return reply["predictions"]?.arrayValue?.compactMap(\.doubleValue) == [Double(value), 0.5]
        }
        // The reading starts on the set-up connection's loop.
        #expect(try await call(setup, 0))
        // Then three more connections (the server's loops take them in turn):
        // first one after another, each twice in a row so the reading may move,
        // then all at once.
        var clients: [RuntimeConnection] = []
        for _ in 0..<3 { clients.append(try await server.connect()) }
        var expected = 1
        for round in 0..<10 {
            for client in clients {
                #expect(try await call(client, expected), "round \(round)")
                #expect(try await call(client, expected + 1), "round \(round)")
                expected += 2
            }
        }
        let all = clients
        let wrong = try await withThrowingTaskGroup(of: Int.self) { group in
            for (index, client) in all.enumerated() {
                group.addTask {
                    var wrong = 0
                    for n in 0..<50 where try await !call(client, 10_000 * (index + 1) + n) { wrong += 1 }
                    return wrong
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(wrong == 0)
        #expect(try await call(setup, -1))
        for client in clients { await client.close() }
        await setup.close()
        try await server.stop()
    }
}
