import Foundation
import RuntimeCore
import Testing

@Suite(.timeLimit(.minutes(2)))
struct LocalRunTests {
    @Test func runsAProgramAndPrintsPlaceholders() async throws {
        let folder = try CLI.folder([
            "app/main.py": "import helper, runtimeBridge\nprint('hi from', __name__)\nruntimeBridge.save_placeholder('answer', helper.ANSWER)\ntable = [[1, 2], [3, 4]]\n",
            "app/helper.py": "ANSWER = 42\n",
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try await CLI.run(["run", "--local", "app/main.py", "app/helper.py", "--get", "answer", "--get", "table"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "hi from __main__\n42\n0  1\n-  -\n1  2\n3  4\n")
        #expect(result.stderr.contains("answer (int)\ntable (list, 2 rows × 2 columns)\n"), "\(result.stderr)")
    }

    @Test func jsonModePrintsWireMessages() async throws {
        let folder = try CLI.folder(["main.py": "import runtimeBridge\nruntimeBridge.save_placeholder('x', [1.5, None])\n"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try await CLI.run(["run", "--local", "--json", "main.py", "--get", "x"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try result.stdout.split(separator: "\n").map { try JSONParser.parse(String($0)) }
        #expect(lines.map { $0["type"]?.stringValue ?? "" } == [
            "[status]:EXECUTION_STARTED", "[placeholder]:READY", "[state]:EXECUTION_FINISHED", "[placeholder]:VALUE",
        ])
        #expect(lines.map { $0["seq"]?.intValue } == [1, 2, 3, nil])
        #expect(lines[3]["value"] == [1.5, nil])
        #expect(lines[1]["valueType"] == "list")
    }

    @Test func failedRunExitsOneWithTheTraceback() async throws {
        let folder = try CLI.folder(["main.py": "def f():\n    raise KeyError('k')\nf()\n"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try await CLI.run(["run", "--local", "main.py"], in: folder)
        #expect(result.status == 1)
        #expect(result.stderr.contains("File \"main.py\", line 2, in f"))
        #expect(result.stderr.contains("KeyError: 'k'"))
    }

    /// A run that finished but lacks a placeholder asked for is "not found"
    /// (4), as `get` says it; a failed run stays 1.
    @Test func missingPlaceholderIsNotFound() async throws {
        let folder = try CLI.folder(["main.py": "x = 1\n", "bad.py": "raise ValueError('no')\n"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try await CLI.run(["run", "--local", "main.py", "--get", "nope"], in: folder)
        #expect(result.status == 4)
        #expect(result.stderr.contains("PLACEHOLDER_NOT_FOUND"))
        let failed = try await CLI.run(["run", "--local", "bad.py", "--get", "nope"], in: folder)
        #expect(failed.status == 1)
    }

    @Test(arguments: [
        ["run"],
        ["run", "--local"],
        ["run", "--local", "main.py", "--main", "other.py"],
        ["run", "--local", "does-not-exist.py"],
        ["no-such-command"],
        ["run", "--local", "main.py", "--bogus"],
        // Options of a local runtime, without --local: refused, not ignored
        // (a server's memory limit is its own).
        ["run", "main.py", "--memory-limit-mb", "100", "--wait"],
        ["run", "main.py", "--stop-grace", "5"],
        // A negative row is said as such (it was "missing value for --begin").
        ["get", "some-id", "df", "--begin", "-5"],
        ["get", "some-id", "df", "--size", "-1"],
    ])
    func usageErrorsExitTwo(_ arguments: [String]) async throws {
        let folder = try CLI.folder(["main.py": "x = 1\n"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try await CLI.run(arguments, in: folder)
        #expect(result.status == 2, "\(arguments): \(result.stdout) \(result.stderr)")
        #expect(!result.stderr.isEmpty)
        if arguments.contains("-5") || arguments.contains("-1") {
            #expect(result.stderr.contains("must not be negative"), "\(result.stderr)")
        }
    }

    @Test func helpExitsZero() async throws {
        let result = try await CLI.run(["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Exit codes"))
    }
}
