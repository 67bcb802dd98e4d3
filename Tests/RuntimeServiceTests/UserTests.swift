import Foundation
import RuntimeClient
import RuntimeCore
import RuntimeService
import RuntimeTestSupport
import Testing

/// Several users, each with a token: a session is its starter's alone.
@Suite(.timeLimit(.minutes(2)))
struct UserTests {
    private static let users = UserTable(entries: [
        .init(user: ServerUser(name: "alice"), hash: TokenHash(token: "alice-token")),
        .init(user: ServerUser(name: "bob"), hash: TokenHash(token: "bob-token")),
    ])

    private static let program = """
    import runtimeBridge
    class Model:
        def predict(self, rows):
            return [1 for _ in range(len(rows))]
    runtimeBridge.save_placeholder('model', Model())
    runtimeBridge.save_placeholder('data', [1.0, 2.0, 3.0])
    """

    /// Every action that names a session, for `id`.
    private static func requests(naming id: String) -> [JSONValue] {
        let session = JSONValue.string(id)
        return [
            ["action": "get_placeholder", "placeholder": ["sessionId": session, "name": "data"]],
            ["action": "run_model", "model": ["sessionId": session, "name": "model", "is_data": true, "data": [[1.0]]]],
            ["action": "get_stats", "placeholder": ["sessionId": session, "name": "data"]],
            ["action": "status", "sessionId": session],
            ["action": "stop", "sessionId": session],
            ["action": "subscribe", "sessionId": session, "since": 0],
            ["action": "delete_session", "sessionId": session],
        ]
    }

    /// A reply without its `id`, to compare two replies' substance.
    private func withoutID(_ reply: JSONValue) -> JSONValue {
        guard case .object(let fields) = reply else { return reply }
        return .object(fields.filter { $0.0 != "id" })
    }

    @Test func anotherUsersSessionDoesNotExistForYou() async throws {
        let server = try await TestServer.start { $0.authentication = .users(Self.users) }
        let alice = try await server.connect(token: "alice-token")
        let bob = try await server.connect(token: "bob-token")
        let id = try #require(try await alice.run(["main.py": Self.program])["sessionId"]?.stringValue)
        _ = await alice.eventsUntilEnd(of: id)

        // Bob gets exactly what a session that does not exist gets, for every action.
        let missing = UUID().uuidString.lowercased()
        for (theirs, nowhere) in zip(Self.requests(naming: id), Self.requests(naming: missing)) {
            let refused = try await bob.request(theirs)
            let absent = try await bob.request(nowhere)
            #expect(refused.errorCode == "SESSION_NOT_FOUND", "\(theirs) → \(refused)")
            #expect(withoutID(refused) == withoutID(absent), "\(refused) vs \(absent)")
        }
        #expect(try await bob.request(["action": "list_sessions"])["sessions"] == [])

        // Nothing bob asked touched it: alice still reads, lists and owns it.
        #expect(try await alice.request(Self.requests(naming: id)[0])["value"] == [1.0, 2.0, 3.0])
        let listed = try await alice.request(["action": "list_sessions"])["sessions"]?.arrayValue ?? []
        #expect(listed.map { $0["sessionId"] } == [.string(id)])
        // Alice on another connection is the same user.
        let aliceAgain = try await server.connect(token: "alice-token")
        #expect(try await aliceAgain.request(["action": "status", "sessionId": .string(id)])["status"] == "finished")
        // Bob's own session is his alone.
        let bobsId = try #require(try await bob.run(["main.py": "x = 1\n"])["sessionId"]?.stringValue)
        _ = await bob.eventsUntilEnd(of: bobsId)
        #expect(try await alice.request(["action": "status", "sessionId": .string(bobsId)]).errorCode == "SESSION_NOT_FOUND")
        #expect((try await bob.request(["action": "list_sessions"])["sessions"]?.arrayValue ?? []).map { $0["sessionId"] } == [.string(bobsId)])
        // Alice can delete hers.
        #expect(try await aliceAgain.request(["action": "delete_session", "sessionId": .string(id)]).type == "[status]:DELETED")

        // Metrics name users, never tokens.
        let metrics = try await server.get("/metrics").body
        #expect(metrics.contains(#"runtime_user_runs_total{user="alice"} 1"#), "\(metrics)")
        #expect(metrics.contains(#"runtime_user_runs_total{user="bob"} 1"#))
        #expect(!metrics.contains("alice-token") && !metrics.contains("bob-token"))
        for client in [alice, bob, aliceAgain] { await client.close() }
        try await server.stop()
    }

    @Test func unknownTokensAreRefusedWith401() async throws {
        let server = try await TestServer.start { $0.authentication = .users(Self.users) }
        for token in [nil, "carol-token", "alice-tokenx", "ALICE-TOKEN", ""] as [String?] {
            await #expect("\(String(describing: token))") { try await server.connect(token: token) } throws: {
                ($0 as? RuntimeConnection.Failure)?.reason == .unauthorized
            }
        }
        await #expect { _ = try await SilentWebSocketClient.connect(port: server.port, path: "/?token=nobody") } throws: {
            "\($0)".contains("401")
        }
        let byQuery = try await server.connect(path: "/?token=bob-token")
        #expect(try await byQuery.request(["action": "list_sessions"]).type == "[sessions]:LIST")
        await byQuery.close()
        try await server.stop()
    }

    @Test func aSingleTokenIsOneUser() async throws {
        let server = try await TestServer.start { $0.token = "shared" }
        let first = try await server.connect(token: "shared")
        let second = try await server.connect(path: "/?token=shared")
        let id = try #require(try await first.run(["main.py": "x = 1\n"])["sessionId"]?.stringValue)
        _ = await first.eventsUntilEnd(of: id)
        #expect(try await second.request(["action": "status", "sessionId": .string(id)])["status"] == "finished")
        #expect((try await second.request(["action": "list_sessions"])["sessions"]?.arrayValue ?? []).count == 1)
        await first.close()
        await second.close()
        try await server.stop()
    }
}
