import Foundation
import RuntimeCore
import RuntimeService
import RuntimeTestSupport
import Testing

/// `runtimectl hash-token`, tokens from files, and the server's documented options.
@Suite(.timeLimit(.minutes(2)))
struct TokenCommandTests {
    @Test func hashTokenPrintsAHashThatAnIndependentSHA256Agrees() async throws {
        let result = try await CLI.run(["hash-token"], input: "alice-s3cret\n")
        #expect(result.status == 0, "\(result.stderr)")
        let line = result.stdout.trimmingCharacters(in: .newlines)
        let parts = line.split(separator: "$").map(String.init)
        #expect(parts.count == 3 && parts[0] == "sha256", "\(line)")
        #expect(!result.stdout.contains("alice-s3cret") && !result.stderr.contains("alice-s3cret"))
        // Python's hashlib: sha256(salt ‖ token), hex.
        let python = URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/.venv/bin/python")
        let check = try await ChildProcess.run(python, ["-c", "import hashlib, sys; print(hashlib.sha256(bytes.fromhex(sys.argv[1]) + sys.argv[2].encode()).hexdigest())",
                                                        parts[1], "alice-s3cret"])
        #expect(check.stdout.trimmingCharacters(in: .newlines) == parts[2])
        // And the server reads it back as alice's.
        let table = try UserTable(parsing: "alice:\(line)\n")
        #expect(table.user(forToken: "alice-s3cret") == ServerUser(name: "alice"))
    }

    @Test func hashTokenRefusesNoToken() async throws {
        let empty = try await CLI.run(["hash-token"], input: "")
        #expect(empty.status == 2 && empty.stderr.contains("no token"))
        let twoLines = try await CLI.run(["hash-token"], input: "a\nb\n")
        #expect(twoLines.status == 2 && twoLines.stderr.contains("single line"))
    }

    @Test func clientReadsItsTokenFromAFile() async throws {
        let server = try await TestServer.start { $0.token = "file-token" }
        let folder = try CLI.folder(["token": "file-token\n", "wrong": "other\n"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let byOption = try await CLI.run(["sessions", "--server", server.url, "--token-file", folder.appendingPathComponent("token").path])
        #expect(byOption.status == 0, "\(byOption.stderr)")
        let byEnvironment = try await CLI.run(["sessions", "--server", server.url],
                                              environment: ["RUNTIME_TOKEN_FILE": folder.appendingPathComponent("token").path])
        #expect(byEnvironment.status == 0, "\(byEnvironment.stderr)")
        let wrong = try await CLI.run(["sessions", "--server", server.url, "--token-file", folder.appendingPathComponent("wrong").path])
        #expect(wrong.status == 3)
        try await server.stop()
    }

    @Test func serverHelpRecommendsTheTokenFile() async throws {
        let help = try await CLI.server(["--help"])
        #expect(help.status == 0)
        for text in ["--token-file", "RUNTIME_TOKEN_FILE", "--users-file", "/proc", "hash-token", "--max-queued-mb", "--value-cache-mb"] {
            #expect(help.stdout.contains(text), "\(text) missing from: \(help.stdout)")
        }
    }

    @Test func serverRefusesUnusableCredentials() async throws {
        let folder = try CLI.folder(["users": "alice:not-a-hash\n"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let both = try await CLI.server(["--port", "0", "--token", "x", "--users-file", folder.appendingPathComponent("users").path])
        #expect(both.status != 0 && both.stderr.contains("not several"), "\(both.stderr)")
        let badFile = try await CLI.server(["--port", "0", "--users-file", folder.appendingPathComponent("users").path])
        #expect(badFile.status != 0 && badFile.stderr.contains("line 1"), "\(badFile.stderr)")
        let missing = try await CLI.server(["--port", "0", "--token-file", folder.appendingPathComponent("nope").path])
        #expect(missing.status != 0 && missing.stderr.contains("cannot read"), "\(missing.stderr)")
    }
}
