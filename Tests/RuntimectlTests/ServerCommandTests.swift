import Foundation
import RuntimeCore
import RuntimeTestSupport
import Testing

/// runtimectl's subcommands against a live server, in both output modes.
@Suite(.timeLimit(.minutes(2)))
struct ServerCommandTests {
    private func withServer(_ body: (TestServer, URL) async throws -> Void) async throws {
        let server = try await TestServer.start { $0.runtime.stopGracePeriod = interruptingStopGrace }
        let folder = try CLI.folder([
            "app/main.py": "import util, runtimeBridge\nprint('working')\nruntimeBridge.save_placeholder('rows', [{'a': i, 'b': i * i} for i in range(5)])\nruntimeBridge.save_placeholder('n', util.N)\n",
            "app/util.py": "N = 7\n",
            "bad.py": "raise RuntimeError('nope')\n",
            "slow.py": "import time\nprint('up', flush=True)\ntime.sleep(1000)\n",
            "model.py": "import runtimeBridge\nclass Doubler:\n    def predict(self, rows):\n        return [2 * sum(r) for r in rows.tolist()]\nruntimeBridge.save_placeholder('doubler', Doubler())\nruntimeBridge.save_placeholder('data', {'x': [1.0, 2.0, 3.0, 4.0], 'w': ['a', 'b', 'a', 'c']})\n",
            "rows.json": "[[1, 2], [3, 4]]",
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        try await body(server, folder)
        try await server.stop()
    }

    private func ctl(_ server: TestServer, _ arguments: [String], in folder: URL? = nil) async throws -> CLI.Result {
        try await CLI.run(arguments + ["--server", server.url], in: folder)
    }

    @Test func runPrintsTheSessionIdThenStatusGetSessionsDelete() async throws {
        try await withServer { server, folder in
            let started = try await ctl(server, ["run", "--wait", "app/main.py", "app/util.py"], in: folder)
            #expect(started.status == 0, "\(started.stderr)")
            let id = try #require(started.stderr.split(separator: "\n").first { $0.hasPrefix("session ") }?.dropFirst(8))

            let status = try await ctl(server, ["status", String(id)])
            #expect(status.status == 0)
            #expect(status.stdout.contains("status       finished"))
            #expect(status.stdout.contains("placeholders rows, n"))

            let table = try await ctl(server, ["get", String(id), "rows"])
            #expect(table.status == 0)
            #expect(table.stdout == "a   b\n-  --\n0   0\n1   1\n2   4\n3   9\n4  16\n")

            let window = try await ctl(server, ["get", String(id), "rows", "--begin", "3", "--size", "1", "--json"])
            let reply = try JSONParser.parse(window.stdout)
            #expect(reply["value"] == [["a": 3, "b": 9]])
            #expect(reply["window"] == ["begin": 3, "size": 1, "max": 5])

            let sessions = try await ctl(server, ["sessions"])
            #expect(sessions.stdout.hasPrefix("SESSION"))
            #expect(sessions.stdout.contains("\(id)  finished"))
            let sessionsJSON = try JSONParser.parse(try await ctl(server, ["sessions", "--json"]).stdout)
            #expect(sessionsJSON["sessions"]?.arrayValue?.count == 1)

            #expect(try await ctl(server, ["delete", String(id)]).stdout == "deleted \(id)\n")
            let gone = try await ctl(server, ["status", String(id)])
            #expect(gone.status == 4)
            #expect(gone.stderr.contains("Session not found"))
        }
    }

    @Test func runWithoutWaitPrintsOnlyTheId() async throws {
        try await withServer { server, folder in
            let result = try await ctl(server, ["run", "app/main.py", "app/util.py"], in: folder)
            #expect(result.status == 0)
            let id = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(UUID(uuidString: id) != nil, "\(result.stdout)")
        }
    }

    @Test func followStreamsOutputAndGetPrintsValues() async throws {
        try await withServer { server, folder in
            let result = try await ctl(server, ["run", "--follow", "app/main.py", "app/util.py", "--get", "n"], in: folder)
            #expect(result.status == 0)
            #expect(result.stdout == "working\n7\n")
            #expect(result.stderr.contains("n (int)\n"))
            #expect(result.stderr.contains("• rows (list)"))
            #expect(result.stderr.contains("finished in"))
            // A placeholder the run did not save: not found (4), as `get` says it.
            let missing = try await ctl(server, ["run", "--wait", "app/main.py", "app/util.py", "--get", "nope"], in: folder)
            #expect(missing.status == 4, "\(missing.stderr)")
            #expect(missing.stderr.contains("PLACEHOLDER_NOT_FOUND"))

            let json = try await ctl(server, ["run", "--follow", "--json", "app/main.py", "app/util.py"], in: folder)
            let types = try json.stdout.split(separator: "\n").map { try JSONParser.parse(String($0))["type"]?.stringValue ?? "" }
            #expect(types.first == "[status]:EXECUTION_STARTED")
            #expect(types.last == "[state]:EXECUTION_FINISHED")
            #expect(types.contains("[run]:OUTPUT"))
        }
    }

    @Test func failedRunExitsOne() async throws {
        try await withServer { server, folder in
            let result = try await ctl(server, ["run", "--wait", "bad.py"], in: folder)
            #expect(result.status == 1)
            #expect(result.stderr.contains("RuntimeError: nope"))
            #expect(result.stderr.contains("File \"bad.py\", line 1"))
        }
    }

    @Test func stopAStartedRun() async throws {
        try await withServer { server, folder in
            let started = try await ctl(server, ["run", "slow.py"], in: folder)
            let id = started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            // Wait until the program is running, through the server's own event.
            let watcher = try await server.connect()
            _ = try await watcher.request(["action": "subscribe", "sessionId": .string(id), "since": 0])
            _ = await watcher.nextEvent { $0.type == "[run]:OUTPUT" }
            // Running: not finished yet, nothing saved, each said as "-" (not "null", not blank).
            let running = try await ctl(server, ["status", id])
            #expect(running.stdout.contains("status       running\n"), "\(running.stdout)")
            #expect(running.stdout.contains("finished     -\n") && running.stdout.contains("placeholders -\n"), "\(running.stdout)")
            let stopped = try await ctl(server, ["stop", id])
            #expect(stopped.status == 0)
            #expect(stopped.stdout == "stopped\n")
            #expect(try await ctl(server, ["stop", id]).stdout == "not running: stopped\n")
            let json = try JSONParser.parse(try await ctl(server, ["status", id, "--json"]).stdout)
            #expect(json["status"] == "stopped" && json["killed"] == false)
            await watcher.close()
        }
    }

    @Test func notFoundAndCannotConnect() async throws {
        try await withServer { server, folder in
            let id = try await ctl(server, ["run", "--wait", "app/main.py", "app/util.py"], in: folder).stderr
                .split(separator: "\n").first { $0.hasPrefix("session ") }.map { String($0.dropFirst(8)) } ?? ""
            let missing = try await ctl(server, ["get", id, "nope"])
            #expect(missing.status == 4)
            #expect(missing.stderr.contains("PLACEHOLDER_NOT_FOUND"))
            let json = try await ctl(server, ["status", "nope", "--json"])
            #expect(json.status == 4)
            #expect(try JSONParser.parse(json.stdout)["type"] == "[error]:SESSION_NOT_FOUND")
        }
        let refused = try await CLI.run(["sessions", "--server", "ws://127.0.0.1:1"])
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("cannot connect to the server at ws://127.0.0.1:1: connection refused"))
    }

    @Test func statsAndModel() async throws {
        try await withServer { server, folder in
            let run = try await ctl(server, ["run", "--wait", "model.py"], in: folder)
            let id = try #require(run.stderr.split(separator: "\n").first { $0.hasPrefix("session ") }.map { String($0.dropFirst(8)) })

            let stats = try await ctl(server, ["stats", id, "data"])
            #expect(stats.status == 0, "\(stats.stderr)")
            let lines = stats.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first == "rows: 4")
            #expect(lines.contains { $0.hasPrefix("x") && $0.contains("numeric") && $0.contains("2.5") })
            #expect(lines.contains { $0.hasPrefix("w") && $0.contains("string") })
            let statsJSON = try JSONParser.parse(try await ctl(server, ["stats", id, "data", "--json"]).stdout)
            #expect(statsJSON["type"] == "[placeholder]:STATS" && statsJSON["value"]?["rowCount"] == 4)

            let model = try await ctl(server, ["model", id, "doubler", "--data", "[[1, 2], [3, 4]]"])
            #expect(model.status == 0, "\(model.stderr)")
            #expect(model.stdout == "[6,14]\n")
            let modelJSON = try JSONParser.parse(try await ctl(server, ["model", id, "doubler", "--data", "[5, 5]", "--json"]).stdout)
            #expect(modelJSON["predictions"] == [20])
            let notModel = try await ctl(server, ["model", id, "data", "--data", "[1]"])
            #expect(notModel.status == 1 && notModel.stderr.contains("NOT_A_MODEL"))
            let refused = try await ctl(server, ["model", id, "doubler", "--file", "/etc/passwd"])
            #expect(refused.status == 1 && refused.stderr.contains("PATH_NOT_ALLOWED"))
        }
    }

    @Test func usageErrors() async throws {
        #expect(try await CLI.run(["model", "id", "name"]).status == 2)
        #expect(try await CLI.run(["model", "id", "name", "--data", "{bad"]).status == 2)
        #expect(try await CLI.run(["get", "id", "name", "--begin", "-1"]).status == 2)
        #expect(try await CLI.run(["status"]).status == 2)
    }
}
