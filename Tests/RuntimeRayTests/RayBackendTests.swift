import Foundation
import Glibc
import Logging
import RuntimeClient
import RuntimeCore
import RuntimeService
import RuntimeTestSupport
import WorkerTLS
import Synchronization
import Testing
@testable import RuntimeRay

/// The server with `--backend ray` against a real two-node cluster
/// (`scripts/ray-cluster.sh`: the head has `node_a`, node B has `node_b`),
/// over a real socket: placement, parallel sessions on both nodes, stop,
/// the contract's reads, shutdown, a server killed, tickets.
@Suite(.enabled(if: RayBackend.address != nil, "needs a Ray cluster: set RUNTIME_RAY_ADDRESS"), .serialized,
       .timeLimit(.minutes(4)))
struct RayBackendTests {
    @Test func aRunPlacedByACustomResourceLandsOnNodeBAndIsServedAsALocalOne() async throws {
        let (server, launcher) = try await RayBackend.server()
        let client = try await server.connect()
        let started = try await client.request(["action": "run", "python": RayBackend.python("""
            import pandas as pd, runtimeBridge as rb
            df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "label": ["a", "b", "a", "a"]})
            rb.save_placeholder("df", df)
            class Doubler:
                def predict(self, rows):
                    import numpy
                    return [2 * float(v) for v in numpy.asarray(rows).ravel()]
            rb.save_placeholder("model", Doubler())
            df[["x"]].to_csv("rows.csv", index=False)
            print("hello from node B", flush=True)
            """), "resources": ["custom": ["node_b": 1]]])
        let id = try #require(started["sessionId"]?.stringValue, "\(started)")
        let events = await client.eventsUntilEnd(of: id)
        #expect(events.last?.type == "[state]:EXECUTION_FINISHED", "\(events)")
        #expect(events.contains { $0["text"]?.stringValue?.contains("hello from node B") == true })

        let status = try await client.request(["action": "status", "sessionId": .string(id)])
        let node = try #require(status["node"]?.stringValue, "\(status)")
        #expect(try await RayBackend.nodeB(launcher).nodeID == node, "placed on node B, as Ray's API says")
        let listed = try await client.request(["action": "list_sessions"])
        #expect(listed["sessions"]?.arrayValue?.first { $0["sessionId"] == .string(id) }?["node"] == .string(node))

        let session = JSONValue.string(id)
        let window = try await client.request(["action": "get_placeholder", "placeholder": ["sessionId": session, "name": "df"],
                                               "window": ["begin": 1, "size": 2]])
        #expect(window["value"]?["data"] == [[2.0, "b"], [3.0, "a"]], "\(window)")
        #expect(window["rowCount"] == 4)
        let stats = try await client.request(["action": "get_stats", "placeholder": ["sessionId": session, "name": "df"]])
        #expect(stats["value"]?["rowCount"] == 4, "\(stats)")
        let inline = try await client.request(["action": "run_model", "model": ["sessionId": session, "name": "model", "data": [[5.0]]]])
        #expect(inline["predictions"] == [10.0], "\(inline)")
        let fromFile = try await client.request(["action": "run_model", "model": ["sessionId": session, "name": "model",
                                                                                  "is_data": false, "data": "rows.csv"]])
        #expect(fromFile["predictions"] == [2.0, 4.0, 6.0, 8.0], "the file the program wrote on node B: \(fromFile)")
        let outside = try await client.request(["action": "run_model", "model": ["sessionId": session, "name": "model",
                                                                                 "is_data": false, "data": "/etc/passwd"]])
        #expect(outside.type == "[error]:PATH_NOT_ALLOWED")

        await client.close()
        try await server.stop()
        #expect(try await RayBackend.running(launcher).isEmpty, "a graceful stop leaves no job running")
    }

    @Test func sessionsOnBothNodesRunInParallelAndStopRemotely() async throws {
        let (server, launcher) = try await RayBackend.server()
        let client = try await server.connect()
        let onA = try #require(try await client.request(["action": "run", "python": RayBackend.python("""
            import time, runtimeBridge as rb
            rb.save_placeholder("kept", "from A")
            print("started", flush=True)
            time.sleep(1000)
            """), "resources": ["custom": ["node_a": 0.5]]])["sessionId"]?.stringValue)
        let onB = try #require(try await client.request(["action": "run", "python": RayBackend.python("""
            import signal, time
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            print("started", flush=True)
            while True:
                time.sleep(0.01)
            """), "resources": ["custom": ["node_b": 0.5]]])["sessionId"]?.stringValue)
        // Both are running at once, each on its node.
        var waiting: Set<String> = [onA, onB]
        for await event in client.events where event["text"] == "started\n" {
            if let id = event["sessionId"]?.stringValue { waiting.remove(id) }
            if waiting.isEmpty { break }
        }
        #expect(waiting.isEmpty)
        let statusA = try await client.request(["action": "status", "sessionId": .string(onA)])
        let statusB = try await client.request(["action": "status", "sessionId": .string(onB)])
        #expect(statusA["status"] == "running" && statusB["status"] == "running")
        #expect(statusA["node"] != nil && statusA["node"] != statusB["node"])
        #expect(statusB["node"]?.stringValue == (try await RayBackend.nodeB(launcher)).nodeID)

        // Interrupted on A (its values stay), killed on B after the grace period.
        let stoppedA = try await client.request(["action": "stop", "sessionId": .string(onA)])
        #expect(stoppedA["status"] == "stopped" && stoppedA["killed"] == false, "\(stoppedA)")
        let kept = try await client.request(["action": "get_placeholder", "placeholder": ["sessionId": .string(onA), "name": "kept"]])
        #expect(kept["value"] == "from A")
        let stoppedB = try await client.request(["action": "stop", "sessionId": .string(onB)])
        #expect(stoppedB["status"] == "stopped" && stoppedB["killed"] == true, "\(stoppedB)")

        let deleted = try await client.request(["action": "delete_session", "sessionId": .string(onA)])
        #expect(deleted.type == "[status]:DELETED")
        await client.close()
        try await server.stop()
        #expect(try await RayBackend.running(launcher).isEmpty, "a graceful stop leaves no job running")
    }

    @Test func aWorkerOnNodeBConnectsWithTLS() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ray-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let certificate = folder.appendingPathComponent("server.pem").path, key = folder.appendingPathComponent("server.key").path
        let openssl = try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/openssl"), [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=runtime-server",
        ])
        try #require(openssl.status == 0, "\(openssl.stderr)")
        let launcher = try RayBackend.launcher()
        var configuration = RayBackend.runtimeConfiguration(launcher)
        if var remote = configuration.placement.remote {
            remote.security = try WorkerTLSServer(certificateFile: certificate, privateKeyFile: key)
            configuration.placement = .remote(remote)
        }
        let runtime = Runtime(configuration: configuration)
        let session = try await runtime.run(Program(files: [SourceFile(filename: "main.py", content: """
            from runtimeBridge import save_placeholder
            save_placeholder("rows", list(range(50000)))
            """)], mainFile: "main.py"), resources: WorkerResources(custom: ["node_b": 0.5]))
        let snapshot = await session.waitUntilEnded()
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error))")
        let value = try await session.readPlaceholder(named: "rows", window: RowWindow(begin: 49_990, size: 10))
        #expect(value.value.arrayValue?.first == 49_990)
        await runtime.shutdown()
        #expect(try await RayBackend.running(launcher).isEmpty)
    }

    @Test func warmRemoteWorkersAreConnectedBeforeTheRun() async throws {
        let launcher = try RayBackend.launcher()
        var configuration = RayBackend.runtimeConfiguration(launcher)
        configuration.warmWorkers = 1
        let runtime = Runtime(configuration: configuration)
        await runtime.warmUp()
        #expect(await runtime.readyWorkers() == 1)
        let warmJobs = try await RayBackend.running(launcher)
        #expect(warmJobs.count == 1, "one job per warm worker")
        let session = try await runtime.run(Program(files: [SourceFile(filename: "main.py", content: "x = 1\n")], mainFile: "main.py"))
        let snapshot = await session.waitUntilEnded()
        #expect(snapshot.status == .finished)
        #expect(snapshot.node == warmJobs.first?.driverNodeID, "the run took the warm worker")
        await runtime.shutdown()
        #expect(try await RayBackend.running(launcher).isEmpty)
    }

    @Test func theWorkerPortRefusesAForgedAndAReusedTicket() async throws {
        let recorder = RecordingLauncher(try RayBackend.launcher())
        var configuration = RayBackend.runtimeConfiguration(recorder.inner)
        configuration.placement = .remote(RemoteWorkers(
            launcher: recorder, workerExecutable: configuration.worker.executable,
            pythonExecutable: configuration.python.executable, defaultResources: WorkerResources(cpus: 0.1),
            connectTimeout: .seconds(90)))
        let runtime = Runtime(configuration: configuration)
        let session = try await runtime.run(Program(files: [SourceFile(filename: "main.py", content: "x = 1\n")], mainFile: "main.py"))
        #expect(await session.waitUntilEnded().status == .finished)
        let address = try #require(runtime.workerAddress)
        let used = try #require(recorder.launches.first?.environment["RUNTIME_WORKER_TICKET"])
        #expect(try RayBackend.present(used, to: address) == "an unknown or used ticket")
        #expect(try RayBackend.present(String(repeating: "f", count: 64), to: address) == "an unknown or used ticket")
        await runtime.shutdown()
    }

    @Test func aServerKilledLeavesNoJobRunning() async throws {
        let address = try #require(RayBackend.address)
        let name = "killed-\(UUID().uuidString.prefix(8))"
        // Its jobs carry the server's name: host and port, as the command names it.
        let server = try await ServerProcess.start(arguments: [
            "--backend", "ray", "--ray-address", address, "--worker-listen", "127.0.0.1:0", "--worker-cpus", "0.1",
            "--server-name", name,
        ])
        let client = try await server.connect()
        let id = try #require(try await client.request(["action": "run", "python": RayBackend.python("""
            import time
            print("started", flush=True)
            time.sleep(1000)
            """)])["sessionId"]?.stringValue)
        #expect(await client.nextEvent { $0["sessionId"] == .string(id) && $0["text"] == "started\n" } != nil)
        let launcher = try RayBackend.launcher(server: name)
        #expect(try await RayBackend.running(launcher).count == 1)
        server.kill()
        await client.close()
        // The worker reads the end of its channel and exits: its job ends by itself.
        let deadline = ContinuousClock.now + .seconds(60)
        var running = try await RayBackend.running(launcher)
        while !running.isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(250))
            running = try await RayBackend.running(launcher)
        }
        #expect(running.isEmpty, "jobs still running after the server was killed: \(running.map(\.submissionID))")
        try await launcher.stopAll()
        await launcher.shutdown()
    }
}

/// A node lost under a running session. Run on its own, last: it kills node B.
@Suite(.enabled(if: RayBackend.address != nil && ProcessInfo.processInfo.environment["RUNTIME_RAY_KILL_NODE_B"] == "1",
                "needs a Ray cluster whose node B it may kill: RUNTIME_RAY_KILL_NODE_B=1"),
       .timeLimit(.minutes(3)))
struct RayNodeLossTests {
    @Test func aSessionWhoseNodeDiesFailsCleanlyWhileTheOtherNodesGoesOn() async throws {
        let (server, launcher) = try await RayBackend.server()
        let client = try await server.connect()
        let program = RayBackend.python("""
            import time, runtimeBridge as rb
            rb.save_placeholder("kept", 1)
            print("started", flush=True)
            time.sleep(1000)
            """)
        let onA = try #require(try await client.request(["action": "run", "python": program,
                                                         "resources": ["custom": ["node_a": 0.5]]])["sessionId"]?.stringValue)
        let onB = try #require(try await client.request(["action": "run", "python": program,
                                                         "resources": ["custom": ["node_b": 0.5]]])["sessionId"]?.stringValue)
        var waiting: Set<String> = [onA, onB]
        for await event in client.events where event["text"] == "started\n" {
            if let id = event["sessionId"]?.stringValue { waiting.remove(id) }
            if waiting.isEmpty { break }
        }
        // Node B's raylet dies, as when its machine is lost.
        let raylet = try RayBackend.nodeBRaylet()
        _ = kill(raylet, SIGKILL)
        let ended = await client.nextEvent { $0["sessionId"] == .string(onB) && ($0.type ?? "").hasPrefix("[state]:") }
        #expect(ended?.type == "[state]:EXECUTION_FAILED", "\(String(describing: ended))")
        #expect(ended?["error"]?["type"] == "WorkerCrashed")
        let message = ended?["error"]?["message"]?.stringValue ?? ""
        #expect(message.contains("ended remotely"), "\(message)")
        print("node B lost: \(message)")
        // The other node's session goes on.
        let statusA = try await client.request(["action": "status", "sessionId": .string(onA)])
        #expect(statusA["status"] == "running")
        let kept = try await client.request(["action": "get_placeholder", "placeholder": ["sessionId": .string(onA), "name": "kept"]])
        #expect(kept["value"] == 1)
        let stopped = try await client.request(["action": "stop", "sessionId": .string(onA)])
        #expect(stopped["status"] == "stopped")
        await client.close()
        try await server.stop()
        #expect(try await RayBackend.running(launcher).isEmpty)
    }
}

/// A launcher that records what it was asked to launch.
final class RecordingLauncher: RemoteWorkerLauncher {
    let inner: RayWorkerLauncher
    private let recorded = Mutex<[RemoteWorkerLaunch]>([])
    var name: String { inner.name }
    var launches: [RemoteWorkerLaunch] { recorded.withLock { $0 } }

    init(_ inner: RayWorkerLauncher) { self.inner = inner }

    func launch(_ launch: RemoteWorkerLaunch) async throws(RuntimeError) -> any RemoteWorkerJob {
        recorded.withLock { $0.append(launch) }
        return try await inner.launch(launch)
    }

    func prepare() async throws(RuntimeError) { try await inner.prepare() }
    func shutdown() async { await inner.shutdown() }
}

/// The cluster the tests run against, and helpers on it.
enum RayBackend {
    static let address = ProcessInfo.processInfo.environment["RUNTIME_RAY_ADDRESS"]

    static func launcher(server: String = "ray-backend-test-\(UUID().uuidString.prefix(8))") throws -> RayWorkerLauncher {
        try RayWorkerLauncher(dashboard: address ?? "", server: server, logger: Logger(label: "ray-backend-test"))
    }

    /// Workers asking for a tenth of a CPU, so the tests' sessions fit on the cluster at once.
    static func runtimeConfiguration(_ launcher: RayWorkerLauncher) -> RuntimeConfiguration {
        var configuration = RuntimeConfiguration(warmWorkers: 0)
        configuration.placement = .remote(RemoteWorkers(
            launcher: launcher, workerExecutable: configuration.worker.executable,
            pythonExecutable: configuration.python.executable, defaultResources: WorkerResources(cpus: 0.1),
            connectTimeout: .seconds(90)))
        return configuration
    }

    static func server() async throws -> (TestServer, RayWorkerLauncher) {
        let launcher = try launcher()
        let server = try await TestServer.start { $0.runtime = runtimeConfiguration(launcher) }
        return (server, launcher)
    }

    static func python(_ main: String) -> JSONValue {
        ["mainfile": "main.py", "files": [["filename": "main.py", "content": .string(main)]]]
    }

    static func nodeB(_ launcher: RayWorkerLauncher) async throws -> RayNode {
        try #require(try await launcher.client.nodes().first { $0.isAlive && $0.resources["node_b"] != nil })
    }

    /// The launcher's server's jobs in Ray.
    static func jobs(_ launcher: RayWorkerLauncher) async throws -> [RayJobInfo] {
        try await launcher.client.list().filter { $0.metadata[RayWorkerLauncher.serverMetadataKey] == launcher.server }
    }

    /// Those of them not ended, asked through a launcher of its own (the
    /// runtime shuts its launcher down with it).
    static func running(_ launcher: RayWorkerLauncher) async throws -> [RayJobInfo] {
        let checker = try RayBackend.launcher(server: launcher.server)
        let jobs = try await jobs(checker).filter { !$0.status.isTerminal }
        await checker.shutdown()
        return jobs
    }

    /// The pid of node B's raylet.
    static func nodeBRaylet() throws -> pid_t {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for name in names {
            guard let pid = pid_t(name),
                  let command = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))
            else { continue }
            let text = String(decoding: command, as: UTF8.self)
            if text.contains("raylet"), text.contains("--static_resource_list=node_b") { return pid }
        }
        throw RuntimeError(.internalError, "no raylet of node B")
    }

    /// Presents a ticket on a worker port; returns the refusal, or nil when kept.
    static func present(_ ticket: String, to address: String) throws -> String? {
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else { return nil }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = port.bigEndian
        target.sin_addr.s_addr = inet_addr(String(address[..<colon]))
        let connected = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw RuntimeError(.internalError, "cannot connect to \(address)") }
        try FrameIO.write(bytes: FrameIO.frames(header: .object([("ticket", .string(ticket)),
                                                                 ("protocol", .int(Int64(FrameProtocol.version)))])), to: fd)
        var wait = timeval(tv_sec: 5, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        return (try? FrameIO.readMessage(from: fd, maximumSize: 4096))??.header["refused"]?.stringValue
    }
}
