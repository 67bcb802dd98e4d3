import Foundation
import RuntimeClient
import RuntimeCore
import RuntimeTestSupport
import Testing

@Suite(.timeLimit(.minutes(2)))
struct SubscriptionTests {
    private static let gatedProgram = """
    import os, time, runtimeBridge
    runtimeBridge.save_placeholder("cwd", os.getcwd())
    print("waiting", flush=True)
    deadline = time.time() + 60
    while not os.path.exists("go") and time.time() < deadline:
        time.sleep(0.005)
    runtimeBridge.save_placeholder("b", 2)
    """

    @Test func eventsGoOnlyToTheStarterAndSubscribers() async throws {
        let server = try await TestServer.start()
        let starter = try await server.connect()
        let bystander = try await server.connect()
        let subscriber = try await server.connect()
        let id = try #require(try await starter.run(["main.py": Self.gatedProgram])["sessionId"]?.stringValue)
        _ = await starter.nextEvent { $0.type == "[run]:OUTPUT" }

        let subscribed = try await subscriber.request(["action": "subscribe", "sessionId": .string(id)])
        #expect(subscribed.type == "[status]:SUBSCRIBED" && subscribed["status"] == "running" && subscribed["sessionId"] == .string(id))
        // Let the program go on: a file in its working folder.
        let workFolder = try await sessionFolder(server: server, id: id, via: starter)
        _ = FileManager.default.createFile(atPath: workFolder + "/go", contents: Data())

        let starterEvents = await starter.eventsUntilEnd(of: id)
        #expect(starterEvents.map { $0.type ?? "" } == ["[placeholder]:READY", "[state]:EXECUTION_FINISHED"])
        #expect(starterEvents.first?["name"] == "b")
        let subscriberEvents = await subscriber.eventsUntilEnd(of: id)
        #expect(subscriberEvents.map { $0["seq"]?.intValue ?? 0 } == starterEvents.map { $0["seq"]?.intValue ?? 0 })

        // The bystander saw nothing: its next message is the reply to its own request.
        let own = try await bystander.request(["action": "list_sessions"])
        #expect(own.type == "[sessions]:LIST")
        bystander.send(["action": "list_sessions", "id": "marker"])
        let first = await bystander.nextEvent { _ in true }
        #expect(first?["id"] == "marker", "the bystander received \(String(describing: first))")
        for client in [starter, bystander, subscriber] { await client.close() }
        try await server.stop()
    }

    @Test func sessionsOutliveTheirClientAndReplayAfterReconnect() async throws {
        let server = try await TestServer.start()
        let first = try await server.connect()
        let id = try #require(try await first.run(["main.py": "import runtimeBridge\nfor i in range(3):\n    runtimeBridge.save_placeholder('p%d' % i, i)\n"])["sessionId"]?.stringValue)
        await first.close()

        let second = try await server.connect()
        // Wait for the end through status polling replaced by a subscription from the start.
        let replay = try await second.request(["action": "subscribe", "sessionId": .string(id), "since": 0])
        #expect(replay.type == "[status]:SUBSCRIBED")
        let events = await second.eventsUntilEnd(of: id)
        #expect(events.map { $0["seq"]?.intValue ?? 0 } == Array(1...events.count))
        #expect(events.first?.type == "[status]:EXECUTION_STARTED")
        #expect(events.last?.type == "[state]:EXECUTION_FINISHED")

        let third = try await server.connect()
        _ = try await third.request(["action": "subscribe", "sessionId": .string(id), "since": 3])
        let tail = await third.eventsUntilEnd(of: id)
        #expect(tail.map { $0["seq"]?.intValue ?? 0 } == Array(4...events.count))
        #expect(try await third.request(["action": "get_placeholder", "placeholder": ["sessionId": .string(id), "name": "p2"]])["value"] == 2)
        await second.close()
        await third.close()
        try await server.stop()
    }

    /// The session's working folder, as the program saved it.
    private func sessionFolder(server: TestServer, id: String, via client: RuntimeConnection) async throws -> String {
        let reply = try await client.request(["action": "get_placeholder", "placeholder": ["sessionId": .string(id), "name": "cwd"]])
        return try #require(reply["value"]?.stringValue)
    }
}
