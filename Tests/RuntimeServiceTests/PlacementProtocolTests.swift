import Foundation
import RuntimeClient
import RuntimeCore
import RuntimeTestSupport
import Testing

/// `run`'s `resources` and the `node` of `status` and `list_sessions`, over a
/// real socket: refused by a server whose workers are local, honoured by one
/// that places them remotely (here with workers started as local processes).
@Suite(.timeLimit(.minutes(2)))
struct PlacementProtocolTests {
    private static let program: JSONValue = ["mainfile": "main.py", "files": [["filename": "main.py", "content": "x = 1\n"]]]

    @Test func aLocalServerRefusesResourcesWithInvalidRequest() async throws {
        let server = try await TestServer.start { $0.runtime.placement = .local }
        let client = try await server.connect()
        let refused = try await client.request(["action": "run", "python": Self.program, "resources": ["cpus": 2]])
        #expect(refused.type == "[error]:INVALID_REQUEST")
        #expect(refused["error"]?["message"]?.stringValue?.contains("resources") == true)
        // Nothing was started; empty or null resources are accepted.
        let listed = try await client.request(["action": "list_sessions"])
        #expect(listed["sessions"] == [])
        for accepted: JSONValue in [.null, [:]] {
            let started = try await client.request(["action": "run", "python": Self.program, "resources": accepted])
            #expect(started.type == "[status]:EXECUTION_STARTED")
        }
        try await server.stop()
    }

    @Test func malformedResourcesAreRefusedWithTheField() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        let cases: [(JSONValue, String)] = [
            ("two", "resources must be an object"),
            (["cpus": 0], "resources.cpus must be a number above 0"),
            (["cpus": "1"], "resources.cpus must be a number above 0"),
            (["memory_mb": 1.5], "resources.memory_mb must be a whole number"),
            (["custom": ["gpu": -1]], "resources.custom.gpu must be a number above 0"),
            (["gpus": 1], "resources.gpus is not a resource"),
        ]
        for (resources, message) in cases {
            let refused = try await client.request(["action": "run", "python": Self.program, "resources": resources])
            #expect(refused.type == "[error]:INVALID_REQUEST", "\(resources)")
            #expect(refused["error"]?["message"]?.stringValue?.hasPrefix(message) == true, "\(resources): \(refused)")
        }
        try await server.stop()
    }

    @Test func aRemoteServerNamesTheNodeAndPassesTheResourcesOn() async throws {
        let launcher = ProcessLauncher(node: "node-7")
        let server = try await TestServer.start { configuration in
            let runtime = configuration.runtime
            configuration.runtime.placement = .remote(RemoteWorkers(
                launcher: launcher, workerExecutable: runtime.worker.executable,
                pythonExecutable: runtime.python.executable))
        }
        let client = try await server.connect()
        let started = try await client.request(["action": "run", "python": Self.program,
                                                "resources": ["memory_mb": 256, "custom": ["node_b": 1]]])
        let id = try #require(started["sessionId"]?.stringValue)
        _ = await client.eventsUntilEnd(of: id)
        let status = try await client.request(["action": "status", "sessionId": .string(id)])
        #expect(status["status"] == "finished")
        #expect(status["node"] == "node-7")
        let listed = try await client.request(["action": "list_sessions"])
        #expect(listed["sessions"]?.arrayValue?.first?["node"] == "node-7")
        #expect(launcher.launches.first?.resources == WorkerResources(cpus: 1, memoryMB: 256, custom: ["node_b": 1]))
        try await server.stop()
        #expect(launcher.jobs.allSatisfy { $0.hasEnded }, "a graceful stop leaves no job running")
    }
}
