import Foundation
import RuntimeCore
import Testing

/// What runtimectl says when something is wrong before any server answers.
@Suite(.timeLimit(.minutes(3)))
struct PlainMessageTests {
    @Test func bareRuntimectlPrintsTheUsageAndExitsTwo() async throws {
        let result = try await CLI.run([])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("USAGE: runtimectl <subcommand>"), "\(result.stderr)")
        #expect(result.stderr.contains("attach"))
    }

    @Test func aMissingFileIsNamedWithoutTheUsage() async throws {
        let folder = try CLI.folder(["app/main.py": "x = 1\n"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = try await CLI.run(["run", "app/main.py", "app/nope.py"], in: folder)
        #expect(missing.status == 2)
        #expect(missing.stderr == "runtimectl: app/nope.py: no such file\n")
        let local = try await CLI.run(["run", "--local", "nope.py"], in: folder)
        #expect(local.stderr == "runtimectl: nope.py: no such file\n")
        let aFolder = try await CLI.run(["run", "app"], in: folder)
        #expect(aFolder.status == 2)
        #expect(aFolder.stderr == "runtimectl: app is a folder; name the .py files in it\n")
    }

    @Test func aRefusedConnectionIsSaidInWords() async throws {
        let refused = try await CLI.run(["sessions", "--server", "ws://127.0.0.1:1"])
        #expect(refused.status == 3)
        #expect(refused.stderr.hasPrefix("runtimectl: cannot connect to the server at ws://127.0.0.1:1: connection refused\n"),
                "\(refused.stderr)")
        #expect(refused.stderr.contains("Is RuntimeServer running there?"))
        #expect(!refused.stderr.contains("errno") && !refused.stderr.contains("Failure"), "\(refused.stderr)")
    }
}
