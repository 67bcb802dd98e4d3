import Foundation
import Glibc
import RuntimeClient
import RuntimeCore
import RuntimeTestSupport
import Testing

/// Containment seen from outside: the real server binary, killed with
/// SIGKILL, and run as an unprivileged user.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ServerContainmentTests {
    private static let fiftyChildren = """
        import os, subprocess, time
        children = [subprocess.Popen(['sleep', '3011']) for _ in range(50)]
        print('started', os.getpid(), os.getuid(), flush=True)
        time.sleep(1000)
        """

    /// Runs the fifty-children program and waits until it has started them.
    private func startChildren(on server: ServerProcess) async throws -> (RuntimeConnection, String) {
        let client = try await server.connect()
        let reply = try await client.run(["main.py": Self.fiftyChildren])
        let session = try #require(reply["sessionId"]?.stringValue)
        let started = await client.nextEvent { $0.type == "[run]:OUTPUT" && $0["text"]?.stringValue?.hasPrefix("started") == true }
        #expect(started != nil)
        return (client, session)
    }

    /// With the fork server (forked workers) and without (spawned workers).
    @Test(arguments: [false, true])
    func nothingOutlivesAServerKilledWithSIGKILL(_ spawned: Bool) async throws {
        let server = try await ServerProcess.start(arguments: spawned ? ["--no-fork-server"] : [])
        let (client, _) = try await startChildren(on: server)
        let below = server.descendants()
        #expect(below.count >= (spawned ? 53 : 54), "the fork server, the supervisor, the init, the worker and 50 children")
        // The fork server is among them (or not): it must end with the server too.
        let forkServers = below.filter { ((try? String(contentsOfFile: "/proc/\($0)/cmdline", encoding: .utf8)) ?? "").contains("--zygote") }
        #expect(forkServers.isEmpty == spawned)
        server.kill()
        #expect(await Processes.waitUntil { below.allSatisfy { !Processes.isAlive($0) } },
                "left running: \(below.filter(Processes.isAlive))")
        await client.close()
    }

    @Test func aProgramCannotStopTheServer() async throws {
        let server = try await ServerProcess.start()
        let client = try await server.connect()
        let reply = try await client.run(["main.py": """
            import os, signal
            for target in (os.getppid(), 1):
                try:
                    os.kill(target, signal.SIGTERM)
                except OSError:
                    pass
            """])
        let session = try #require(reply["sessionId"]?.stringValue)
        let events = await client.eventsUntilEnd(of: session)
        #expect(events.last?.type == "[state]:EXECUTION_FINISHED")
        // Still serving.
        let status = try await client.request(["action": "status", "sessionId": .string(session)])
        #expect(status["status"] == "finished")
        await client.close()
        #expect(server.terminate() == 0)
    }

    /// Landlock binds only threads started after it; an unprivileged server
    /// (Landlock its only file barrier) runs no program beside an unbound one.
    @Test(arguments: [false, true])
    func numpyPreloadedLeavesNoThreadUnboundOrTheRunFails(_ forcePool: Bool) async throws {
        guard geteuid() == 0 else { return }
        let server = try await ServerProcess.start(
            user: 65534, arguments: ["--preload", "numpy"] + (forcePool ? ["--worker-env", "OPENBLAS_NUM_THREADS"] : []),
            environment: ["OPENBLAS_NUM_THREADS": "4"])
        let client = try await server.connect()
        let reply = try await client.run(["main.py": "import numpy\nprint(numpy.ones(3).sum())\n"])
        let session = try #require(reply["sessionId"]?.stringValue)
        let end = await client.eventsUntilEnd(of: session).last
        if forcePool {
            #expect(end?.type == "[state]:EXECUTION_FAILED")
            #expect(end?["error"]?["type"] == "ContainmentUnavailable", "\(String(describing: end))")
        } else {
            #expect(end?.type == "[state]:EXECUTION_FINISHED", "\(String(describing: end))")
        }
        await client.close()
        #expect(server.terminate() == 0)
    }

    @Test func anUnprivilegedServerContainsItsSessions() async throws {
        guard geteuid() == 0 else { return }  // needs root to become nobody; CI runs as root
        let server = try await ServerProcess.start(user: 65534)
        let client = try await server.connect()
        let reply = try await client.run(["main.py": """
            import os
            from runtimeBridge import save_placeholder
            def attempt(action):
                try:
                    action()
                    return 'allowed'
                except OSError as e:
                    return type(e).__name__
            save_placeholder('ids', [os.getpid(), os.getppid(), os.getuid()])
            save_placeholder('server', attempt(lambda: os.kill(\(server.pid), 0)))
            save_placeholder('tmp', attempt(lambda: os.listdir('/tmp')))
            save_placeholder('work', attempt(lambda: os.listdir(os.path.dirname(os.getcwd()))))
            save_placeholder('pids', sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))
            """])
        let session = try #require(reply["sessionId"]?.stringValue)
        let events = await client.eventsUntilEnd(of: session)
        #expect(events.last?.type == "[state]:EXECUTION_FINISHED", "\(events)")
        func value(_ name: String) async throws -> JSONValue? {
            try await client.request(["action": "get_placeholder", "placeholder": ["sessionId": .string(session), "name": .string(name)]])["value"]
        }
        #expect(try await value("ids") == [2, 1, 65534])
        #expect(try await value("server") == "ProcessLookupError")
        #expect(try await value("tmp") == "PermissionError")
        #expect(try await value("work") == "PermissionError")
        #expect(try await value("pids") == [1, 2])

        // And its sessions' processes end with it when it is killed.
        let (other, _) = try await startChildren(on: server)
        let below = server.descendants()
        #expect(below.count >= 53)
        server.kill()
        #expect(await Processes.waitUntil { below.allSatisfy { !Processes.isAlive($0) } })
        await client.close()
        await other.close()
    }
}
