import Foundation
import Logging
import RuntimeCore
import Testing
@testable import RuntimeRay

/// A `Runtime` whose session workers are Ray jobs, end to end: the worker
/// runs on the node the run asks for, connects back, and is served as a
/// local one. Enabled only when `RUNTIME_RAY_ADDRESS` names a cluster's
/// dashboard (`scripts/ray-cluster.sh`, whose node B has `node_b`).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["RUNTIME_RAY_ADDRESS"] != nil,
                "needs a Ray cluster: set RUNTIME_RAY_ADDRESS"),
       .serialized, .timeLimit(.minutes(3)))
struct RayRuntimeTests {
    @Test func aRunAskingForNodeBRunsThereAndItsValuesAreServed() async throws {
        let (runtime, launcher) = try Self.runtime()
        let started = ContinuousClock.now
        let session = try await runtime.run(Self.program("""
            from runtimeBridge import save_placeholder
            print("hello from Ray", flush=True)
            save_placeholder("answer", {"x": [1, 2, 3]})
            """), resources: WorkerResources(custom: ["node_b": 1]))
        let snapshot = await session.waitUntilEnded()
        print("run on Ray, start to end: \(ContinuousClock.now - started)")
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error))")
        let node = try #require(try await launcher.client.nodes().first { $0.nodeID == snapshot.node })
        #expect(node.resources["node_b"] == 1)
        #expect(try await session.readPlaceholder(named: "answer", window: nil).value == ["x": [1, 2, 3]])

        await runtime.shutdown()
        let checker = try RayWorkerLauncher(dashboard: launcher.client.address, server: launcher.server)
        let left = try await checker.client.list().filter {
            $0.metadata[RayWorkerLauncher.serverMetadataKey] == launcher.server
        }
        await checker.shutdown()
        #expect(left.isEmpty, "shutdown leaves no job of the server in Ray: \(left)")
    }

    @Test func aWorkerThatCannotStartFailsTheRunWithRaysReason() async throws {
        let (runtime, _) = try Self.runtime(workerExecutable: "/nonexistent/runtime-worker")
        let session = try await runtime.run(Self.program("print('never')"))
        let snapshot = await session.waitUntilEnded()
        let error = snapshot.error?.message ?? ""
        #expect(snapshot.status == .failed)
        #expect(error.contains("FAILED") && error.contains("exit code 127") && error.contains("not found"), "\(error)")
        await runtime.shutdown()
    }

    // MARK: - Helpers

    private static func runtime(workerExecutable: String? = nil) throws -> (Runtime, RayWorkerLauncher) {
        let launcher = try RayWorkerLauncher(dashboard: ProcessInfo.processInfo.environment["RUNTIME_RAY_ADDRESS"] ?? "",
                                             server: "runtime-test-\(UUID().uuidString)", logger: Logger(label: "ray-runtime-test"))
        var configuration = RuntimeConfiguration(warmWorkers: 0)
        configuration.placement = .remote(RemoteWorkers(
            launcher: launcher, workerExecutable: workerExecutable ?? configuration.worker.executable,
            pythonExecutable: configuration.python.executable, connectTimeout: .seconds(60)))
        return (Runtime(configuration: configuration), launcher)
    }

    private static func program(_ main: String) throws -> Program {
        try Program(files: [SourceFile(filename: "main.py", content: main)], mainFile: "main.py")
    }
}
