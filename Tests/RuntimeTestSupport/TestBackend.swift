import Foundation
import Logging
import RuntimeCore
import RuntimeRay

/// Where the test servers' workers run: locally, unless
/// `RUNTIME_TEST_BACKEND=ray` and `RUNTIME_RAY_ADDRESS` name a Ray cluster
/// (scripts/ray-tests.sh runs the protocol suites so, to show the contract
/// holds with the Ray backend too).
public enum TestBackend {
    public static var isRay: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["RUNTIME_TEST_BACKEND"] == "ray" && environment["RUNTIME_RAY_ADDRESS"] != nil
    }

    /// Ray placement for a test server's runtime, or nil for local workers.
    static func placement(for runtime: RuntimeConfiguration) throws -> WorkerPlacement? {
        guard isRay, let address = ProcessInfo.processInfo.environment["RUNTIME_RAY_ADDRESS"] else { return nil }
        let launcher = try RayWorkerLauncher(dashboard: address, server: "test-server-\(UUID().uuidString.prefix(8))",
                                             logger: Logger(label: "test-server-ray"))
        // A tenth of a CPU each, so that parallel suites' sessions fit on the cluster.
        return .remote(RemoteWorkers(launcher: launcher, workerExecutable: runtime.worker.executable,
                                     pythonExecutable: runtime.python.executable, defaultResources: WorkerResources(cpus: 0.1),
                                     connectTimeout: .seconds(90)))
    }
}
