import Foundation
import Glibc
import Logging
import Testing
import RuntimeTestSupport
@testable import RuntimeCore

/// Workers placed remotely: started by a launcher, connected back to the
/// runtime's worker port with a one-time ticket, spoken to over one socket.
/// ``ProcessLauncher`` starts them as local processes, so the transport is
/// tested whole without a cluster (the Ray suite does the same on Ray).
@Suite(.timeLimit(.minutes(3)))
struct RemoteWorkerTests {
    private func remoteRuntime(_ launcher: ProcessLauncher, warm: Int = 0,
                               _ customize: (inout RuntimeConfiguration) -> Void = { _ in }) -> Runtime {
        TestSupport.runtime { configuration in
            configuration.warmWorkers = warm
            configuration.placement = .remote(RemoteWorkers(
                launcher: launcher, workerExecutable: configuration.worker.executable,
                pythonExecutable: configuration.python.executable, connectTimeout: .seconds(60)))
            customize(&configuration)
        }
    }

    @Test func runsAProgramSentWithItsRunAndServesItsValues() async throws {
        let launcher = ProcessLauncher(node: "node-a")
        let runtime = remoteRuntime(launcher)
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, [
            "main.py": """
                import os, helper
                from runtimeBridge import save_placeholder
                print("printed", flush=True)
                os.write(1, b"raw stdout\\n")
                os.write(2, b"raw stderr\\n")
                save_placeholder("answer", helper.value())
                save_placeholder("cwd_is_remote", not os.getcwd().startswith(%r))
                save_placeholder("ray_free", not any(k.startswith("RAY_") or k == "RUNTIME_WORKER_TICKET" for k in os.environ))
                """.replacingOccurrences(of: "%r", with: "'\(runtime.workFolder.path)'"),
            "helper.py": "def value():\n    return {'x': [1, 2, 3]}\n",
        ])
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error))")
        #expect(snapshot.node == "node-a")
        #expect(try await session.value("answer") == ["x": [1, 2, 3]])
        #expect(try await session.value("cwd_is_remote") == true)
        #expect(try await session.value("ray_free") == true)
        let output = await session.allEvents().compactMap { event -> String? in
            if case .output(_, let text, _) = event.kind { return text }
            return nil
        }.joined()
        #expect(output.contains("printed"))
        #expect(output.contains("raw stdout"))
        #expect(output.contains("raw stderr"))
        let launch = try #require(launcher.launches.first)
        #expect(launch.arguments.contains("--connect"))
        #expect(!launch.arguments.joined(separator: " ").contains(launch.environment["RUNTIME_WORKER_TICKET"] ?? "-"),
                "the ticket stays off the command line")
        await runtime.shutdown()
        #expect(launcher.jobs.allSatisfy { $0.hasEnded }, "shutdown leaves no job running")
    }

    @Test func stopInterruptsARemoteRunAndEndsWhatItStarted() async throws {
        let launcher = ProcessLauncher()
        let runtime = remoteRuntime(launcher) { $0.stopGracePeriod = interruptingStopGrace }
        let session = try await runtime.run(TestSupport.program(["main.py": """
            import subprocess, time
            from runtimeBridge import save_placeholder
            child = subprocess.Popen(["sleep", "1000"])
            save_placeholder("child", child.pid)
            print("started", flush=True)
            time.sleep(1000)
            """]))
        #expect(await session.waitForOutput(containing: "started\n"))
        let stopped = await session.stop()
        #expect(stopped.status == .stopped)
        #expect(!stopped.killed, "a KeyboardInterrupt raised in the worker, not a kill")
        // The worker stays, and serves what was saved; its child is gone.
        // A SIGKILL lands a moment after it is sent: poll the child's state.
        let worker = try #require(session.pythonWorker)
        var state: JSONValue = .null
        let deadline = ContinuousClock.now + .seconds(20)
        repeat {
            state = try await worker.apply(function: """
                lambda pid: (open('/proc/%d/stat' % pid).read().rsplit(')', 1)[1].split()[0]
                             if __import__('os').path.exists('/proc/%d' % pid) else 'gone')
                """, to: "child").decoded()
        } while state != "Z" && state != "gone" && ContinuousClock.now < deadline
        #expect(state == "Z" || state == "gone", "the program's child was \(state) after the stop")
        let probe = try await runtime.run(TestSupport.program(["main.py": "print('ok')\n"]))
        _ = await probe.waitUntilEnded()
        await runtime.shutdown()
    }

    @Test func stopKillsARemoteRunThatIgnoresTheInterrupt() async throws {
        let launcher = ProcessLauncher()
        let runtime = remoteRuntime(launcher) { $0.stopGracePeriod = .milliseconds(500) }
        let session = try await runtime.run(TestSupport.program(["main.py": """
            import signal, time
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            print("started", flush=True)
            while True:
                time.sleep(0.01)
            """]))
        #expect(await session.waitForOutput(containing: "started\n"))
        let stopped = await session.stop()
        #expect(stopped.status == .stopped)
        #expect(stopped.killed)
        let job = try #require(launcher.jobs.first)
        _ = await job.ended()
        #expect(job.hasEnded, "a kill ends the remote job")
        await runtime.shutdown()
    }

    @Test func aLostJobFailsItsRunWithTheReason() async throws {
        let launcher = ProcessLauncher()
        let runtime = remoteRuntime(launcher)
        let session = try await runtime.run(TestSupport.program(["main.py": """
            import time
            print("started", flush=True)
            time.sleep(1000)
            """]))
        #expect(await session.waitForOutput(containing: "started\n"))
        try #require(launcher.jobs.first).crash()
        let ended = await session.waitUntilEnded()
        #expect(ended.status == .failed)
        #expect(ended.error?.type == "WorkerCrashed")
        #expect(ended.error?.message.contains("remotely") == true, "\(String(describing: ended.error))")
        // Another session goes on.
        let (_, other) = try await TestSupport.runToEnd(runtime, ["main.py": "print('still here')\n"])
        #expect(other.status == .finished)
        await runtime.shutdown()
    }

    @Test func aRemoteWorkerEndsItsSessionPastTheMemoryLimit() async throws {
        let launcher = ProcessLauncher()
        let runtime = remoteRuntime(launcher) { $0.memoryLimitBytes = 200 << 20 }
        let (_, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import time
            hog = bytearray(400 << 20)
            for i in range(0, len(hog), 4096):
                hog[i] = 1
            time.sleep(1000)
            """])
        #expect(snapshot.status == .failed)
        #expect(snapshot.error?.type == "WorkerCrashed")
        #expect(snapshot.error?.message.contains("passed its memory limit of 200 MiB") == true, "\(String(describing: snapshot.error))")
        await runtime.shutdown()
    }

    @Test func aRemoteWorkerResolvesDataFilesOnItsOwnNode() async throws {
        let launcher = ProcessLauncher()
        let runtime = remoteRuntime(launcher)
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import os
            from runtimeBridge import save_placeholder
            class Doubler:
                def predict(self, rows):
                    import numpy
                    return [2 * float(v) for v in numpy.asarray(rows).ravel()]
            save_placeholder("model", Doubler())
            os.makedirs("data", exist_ok=True)
            with open("data/rows.csv", "w") as f:
                f.write("x\\n1\\n2\\n")
            """])
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error))")
        // The file is in the worker's folder only, not in the server's.
        #expect(!FileManager.default.fileExists(atPath: runtime.workFolder.appendingPathComponent(snapshot.sessionId).appendingPathComponent("data/rows.csv").path))
        #expect(try await session.predict(model: "model", input: .file("data/rows.csv")).decoded() == [2.0, 4.0])
        for (path, code) in [("../../etc/passwd", RuntimeError.Code.pathNotAllowed), ("/etc/passwd", .pathNotAllowed),
                             ("data/none.csv", .invalidRequest), ("data", .invalidRequest)] {
            do {
                _ = try await session.predict(model: "model", input: .file(path))
                Issue.record("\(path) was read")
            } catch {
                #expect(error.code == code, "\(path): \(error)")
            }
        }
        await runtime.shutdown()
    }

    @Test func warmRemoteWorkersAreConnectedBeforeTheRun() async throws {
        let launcher = ProcessLauncher()
        let runtime = remoteRuntime(launcher, warm: 1)
        await runtime.warmUp()
        #expect(await runtime.readyWorkers() == 1)
        #expect(launcher.launches.count == 1)
        let (_, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": "x = 1\n"])
        #expect(snapshot.status == .finished)
        await runtime.shutdown()
        #expect(launcher.jobs.allSatisfy { $0.hasEnded })
        #expect(launcher.lifecycleCalls == (prepared: 1, shutDown: 1), "prepared once before two launches, shut down once")
    }

    @Test func aRunsResourcesGoToItsLaunch() async throws {
        let launcher = ProcessLauncher()
        let runtime = remoteRuntime(launcher)
        let asked = WorkerResources(memoryMB: 512, custom: ["node_b": 1])
        let session = try await runtime.run(TestSupport.program(["main.py": "x = 1\n"]), resources: asked)
        _ = await session.waitUntilEnded()
        #expect(launcher.launches.first?.resources == WorkerResources(cpus: 1, memoryMB: 512, custom: ["node_b": 1]))
        await runtime.shutdown()
    }

    @Test func localWorkersRefuseAResourcesRequest() async throws {
        let runtime = TestSupport.runtime()
        let program = try TestSupport.program(["main.py": "x = 1\n"])
        do {
            _ = try await runtime.run(program, resources: WorkerResources(cpus: 2))
            Issue.record("a local runtime accepted a run with resources")
        } catch {
            #expect(error.code == .invalidRequest)
        }
        await runtime.shutdown()
    }

    @Test func aWorkerThatCannotConnectInTimeFailsItsRunClearly() async throws {
        let launcher = ProcessLauncher()
        let runtime = TestSupport.runtime { configuration in
            // A worker that never connects: `true` exits at once.
            configuration.placement = .remote(RemoteWorkers(
                launcher: launcher, workerExecutable: "/bin/true",
                pythonExecutable: configuration.python.executable, connectTimeout: .seconds(30)))
        }
        let (_, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": "x = 1\n"])
        #expect(snapshot.status == .failed)
        #expect(snapshot.error?.message.contains("its job ended before the worker connected") == true,
                "\(String(describing: snapshot.error))")
        await runtime.shutdown()
    }

    /// Shutdown withdraws the tickets of workers still to connect before it
    /// waits for the pool's starts: a warm start and a run waiting for a
    /// worker end at once (the run stopped), not at the connect timeout.
    @Test func shutdownDoesNotWaitForWorkersStillToConnect() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("never-connects-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let worker = folder.appendingPathComponent("worker").path
        try "#!/bin/sh\nexec sleep 600\n".write(toFile: worker, atomically: true, encoding: .utf8)
        chmod(worker, 0o755)
        let launcher = ProcessLauncher()
        let runtime = TestSupport.runtime { configuration in
            configuration.warmWorkers = 1
            configuration.placement = .remote(RemoteWorkers(
                launcher: launcher, workerExecutable: worker,
                pythonExecutable: configuration.python.executable, connectTimeout: .seconds(120)))
        }
        // A warm start, then the run's own start, both waiting for a connection.
        let warming = Task { await runtime.warmUp() }
        let clock = ContinuousClock(), patience = clock.now + .seconds(30)
        while launcher.launches.isEmpty, clock.now < patience { try await Task.sleep(for: .milliseconds(10)) }
        let session = try await runtime.run(TestSupport.program(["main.py": "x = 1\n"]))
        while launcher.launches.count < 2, clock.now < patience { try await Task.sleep(for: .milliseconds(10)) }
        #expect(launcher.launches.count == 2)
        #expect(await session.snapshot().status == .running)
        let began = clock.now
        await runtime.shutdown()
        #expect(clock.now - began < .seconds(60), "shutdown waited for the connect timeout")
        #expect(await session.snapshot().status == .stopped)
        warming.cancel()
        for job in launcher.jobs { kill(job.pid, SIGKILL) }
    }
}

/// The worker port's tickets: single use, expiring, nothing else accepted.
@Suite(.timeLimit(.minutes(3)))
struct WorkerTicketTests {
    private func connect(_ listener: WorkerListener) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(listener.port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        return fd
    }

    /// Presents `ticket`; returns the refusal the listener sent, or nil when
    /// it kept the connection.
    private func present(_ ticket: String, to listener: WorkerListener, version: Int = FrameProtocol.version) throws -> String? {
        let fd = try connect(listener)
        defer { close(fd) }
        try FrameIO.write(bytes: FrameIO.frames(header: .object([("ticket", .string(ticket)), ("protocol", .int(Int64(version)))])), to: fd)
        var wait = timeval(tv_sec: 2, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        guard let (header, _) = try? FrameIO.readMessage(from: fd, maximumSize: 4096) else { return nil }
        return header["refused"]?.stringValue
    }

    @Test func aForgedTicketIsRefused() throws {
        let listener = try WorkerListener(host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
        defer { listener.close() }
        _ = listener.issueTicket(lifetime: .seconds(30))
        #expect(try present(String(repeating: "0", count: 64), to: listener) == "an unknown or used ticket")
        #expect(listener.refusedCount == 1)
    }

    @Test func aTicketIsGoodForOneConnection() async throws {
        let listener = try WorkerListener(host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
        defer { listener.close() }
        let (ticket, arrival) = listener.issueTicket(lifetime: .seconds(30))
        let first = try connect(listener)
        defer { close(first) }
        try FrameIO.write(bytes: FrameIO.frames(header: .object([("ticket", .string(ticket)), ("protocol", .int(Int64(FrameProtocol.version)))])), to: first)
        guard case .success(let accepted) = await arrival.value else {
            Issue.record("the ticket's connection was not handed over")
            return
        }
        close(accepted)
        #expect(try present(ticket, to: listener) == "an unknown or used ticket")
    }

    @Test func anExpiredTicketIsRefused() async throws {
        let listener = try WorkerListener(host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
        defer { listener.close() }
        let (ticket, arrival) = listener.issueTicket(lifetime: .zero)
        #expect(try present(ticket, to: listener) == "an expired ticket")
        guard case .failure(let refusal) = await arrival.value else {
            Issue.record("an expired ticket's connection was handed over")
            return
        }
        #expect(refusal.description.contains("expired"))
    }

    @Test func aWorkerOfAnotherFrameProtocolIsRefusedByName() throws {
        let listener = try WorkerListener(host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
        defer { listener.close() }
        let (ticket, _) = listener.issueTicket(lifetime: .seconds(30))
        #expect(try present(ticket, to: listener, version: 1)?.contains("frame protocol 1") == true)
    }

    @Test func aConnectionThatSendsGarbageIsClosed() throws {
        let listener = try WorkerListener(host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
        defer { listener.close() }
        let fd = try connect(listener)
        defer { close(fd) }
        // A length far over the ticket frame's limit: refused before any allocation.
        try FrameIO.write(bytes: [0x7F, 0xFF, 0xFF, 0xFF], to: fd)
        var wait = timeval(tv_sec: 5, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        let reply = try? FrameIO.readMessage(from: fd, maximumSize: 4096)
        #expect(reply?.header["refused"]?.stringValue?.contains("over the limit") == true)
    }
}

/// A connected worker whose runtime goes away ends, keeper and all.
@Suite(.timeLimit(.minutes(3)))
struct OrphanedRemoteWorkerTests {
    @Test func aWorkerWhoseRuntimeVanishesExits() async throws {
        let listener = try WorkerListener(host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
        defer { listener.close() }
        let (ticket, arrival) = listener.issueTicket(lifetime: .seconds(60))
        let configuration = RuntimeConfiguration()
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: configuration.worker.executable)
        process.arguments = ["--connect", listener.address, "--python", configuration.python.executable]
        process.environment = ["RUNTIME_WORKER_TICKET": ticket, "PATH": "/usr/bin:/bin"]
        let ended = Promise<Int32>()
        process.terminationHandler = { ended.fulfil($0.terminationStatus) }
        try process.run()
        guard case .success(let connection) = await arrival.value else {
            Issue.record("the worker did not connect")
            return
        }
        // The hello shows the worker is up; then the runtime's end goes, as
        // when the kernel closes a killed server's sockets.
        let hello = try FrameIO.readMessage(from: connection)
        #expect(hello?.header["ev"] == "hello")
        close(connection)
        #expect(await ended.value == 0, "the worker's keeper exits cleanly once its worker has gone")
    }
}
