import Foundation
import RuntimeCore
import RuntimeTestSupport
import Testing

/// Ctrl-C while runtimectl follows a run, and `attach`, against a live server.
@Suite(.timeLimit(.minutes(2)))
struct InterruptAndAttachTests {
    static let programs = [
        "slow.py": "import time\nprint('up', flush=True)\ntime.sleep(1000)\n",
        // Takes the stop's KeyboardInterrupt and goes on: only the kill after the grace period ends it.
        "stubborn.py": "import time\nprint('up', flush=True)\nwhile True:\n    try:\n        time.sleep(1000)\n    except KeyboardInterrupt:\n        print('not now', flush=True)\n",
        "app/main.py": "import runtimeBridge\nprint('working')\nruntimeBridge.save_placeholder('n', 7)\n",
    ]

    private func sessionStatus(of id: String, on server: TestServer) async throws -> JSONValue {
        let connection = try await server.connect()
        let reply = try await connection.request(["action": "status", "sessionId": .string(id)])
        await connection.close()
        return reply
    }

    @Test func ctrlCDuringFollowStopsTheRun() async throws {
        let server = try await TestServer.start { $0.runtime.stopGracePeriod = interruptingStopGrace }
        let folder = try CLI.folder(Self.programs)
        defer { try? FileManager.default.removeItem(at: folder) }
        let cli = try RunningCLI.start(["run", "--follow", "slow.py", "--server", server.url], in: folder)
        #expect(await cli.waitFor { $0.stdout.contains("up\n") }, "\(cli.printed)")
        let id = try #require(cli.sessionId)

        cli.interrupt()
        let (status, output) = await cli.finish()
        #expect(status == 1, "a stopped run is not a success: \(output)")
        #expect(output.stderr.contains("stopping the run… (Ctrl-C again to stop waiting; the stop goes on)"))
        #expect(output.stderr.hasSuffix("stopped\n"), "\(output.stderr)")
        let reply = try await sessionStatus(of: id, on: server)
        #expect(reply["status"] == "stopped", "\(reply)")
        #expect(reply["killed"] == false)
        try await server.stop()
    }

    @Test func secondCtrlCDetachesAndAttachFollowsAgain() async throws {
        let server = try await TestServer.start { $0.runtime.stopGracePeriod = .seconds(15) }
        let folder = try CLI.folder(Self.programs)
        defer { try? FileManager.default.removeItem(at: folder) }
        let cli = try RunningCLI.start(["run", "--follow", "stubborn.py", "--server", server.url], in: folder)
        #expect(await cli.waitFor { $0.stdout.contains("up\n") }, "\(cli.printed)")
        let id = try #require(cli.sessionId)

        cli.interrupt()
        // The server's KeyboardInterrupt reached the program, which shrugged it off.
        #expect(await cli.waitFor { $0.stdout.contains("not now\n") }, "\(cli.printed)")
        cli.interrupt()
        let (status, output) = await cli.finish()
        #expect(status == 130, "\(output)")
        #expect(output.stderr.contains("detached; a stop of session \(id) was asked for (a program that ignores the interrupt is killed after the grace period). Follow it with:\n  runtimectl attach \(id)\n"))
        #expect(try await sessionStatus(of: id, on: server)["status"] == "running")

        // attach replays from the start, then follows until the kill ends the run.
        let attached = try RunningCLI.start(["attach", id, "--server", server.url])
        #expect(await attached.waitFor { $0.stdout == "up\nnot now\n" }, "\(attached.printed)")
        let (attachStatus, attachOutput) = await attached.finish(.seconds(90))
        #expect(attachStatus == 1, "\(attachOutput)")
        #expect(attachOutput.stderr.hasSuffix("stopped (worker killed)\n"), "\(attachOutput.stderr)")
        #expect(try await sessionStatus(of: id, on: server)["killed"] == true)
        try await server.stop()
    }

    @Test func attachReplaysAFinishedSession() async throws {
        let server = try await TestServer.start()
        let folder = try CLI.folder(Self.programs)
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try await CLI.run(["run", "--wait", "app/main.py", "--server", server.url], in: folder)
        let id = try #require(run.stderr.split(separator: "\n").first { $0.hasPrefix("session ") }.map { String($0.dropFirst(8)) })

        let attached = try await CLI.run(["attach", id, "--server", server.url])
        #expect(attached.status == 0, "\(attached.stderr)")
        #expect(attached.stdout == "working\n")
        #expect(attached.stderr.contains("• n (int)\n"))
        #expect(attached.stderr.contains("finished in "))

        let json = try await CLI.run(["attach", id, "--json", "--server", server.url])
        let types = try json.stdout.split(separator: "\n").map { try JSONParser.parse(String($0))["type"]?.stringValue ?? "" }
        #expect(types == ["[status]:SUBSCRIBED", "[status]:EXECUTION_STARTED", "[run]:OUTPUT", "[placeholder]:READY",
                          "[state]:EXECUTION_FINISHED"])

        let missing = try await CLI.run(["attach", "no-such-session", "--server", server.url])
        #expect(missing.status == 4)
        #expect(missing.stderr.contains("Session not found"))
        try await server.stop()
    }
}
