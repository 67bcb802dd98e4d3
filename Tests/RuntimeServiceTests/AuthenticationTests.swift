import Foundation
import Logging
import RuntimeClient
import RuntimeCore
@testable import RuntimeService
import RuntimeTestSupport
import Testing

/// Tokens: how they are sent, matched, read from files, and kept out of logs.
@Suite(.timeLimit(.minutes(2)))
struct AuthenticationTests {
    @Test func bearerSchemeIsCaseInsensitive() async throws {
        let server = try await TestServer.start { $0.token = "s3cret" }
        for header in ["Authorization: Bearer s3cret", "Authorization: bearer s3cret", "Authorization: BEARER s3cret",
                       "authorization: bEaReR   s3cret  "] {
            await #expect(throws: Never.self, "\(header)") { _ = try await SilentWebSocketClient.connect(port: server.port, headers: [header]) }
        }
        for header in ["Authorization: bearer wrong", "Authorization: Basic s3cret", "Authorization: s3cret",
                       "Authorization: bearers3cret", "Authorization: Bearer s3cret2"] {
            await #expect("\(header)") { _ = try await SilentWebSocketClient.connect(port: server.port, headers: [header]) } throws: {
                "\($0)".contains("401")
            }
        }
        try await server.stop()
    }

    @Test func theTokenNeverAppearsInTheLogAtAnyLevel() async throws {
        let token = "tok-Zq81-never-logged"
        let users = UserTable(entries: [.init(user: ServerUser(name: "alice"), hash: TokenHash(token: "alice-\(token)"))])
        for authentication in [ServerConfiguration.Authentication.token(Secret(token)), .users(users)] {
            let given = if case .users = authentication { "alice-\(token)" } else { token }
            let logs = LogCapture()
            let server = try await TestServer.start(logger: logs.logger(level: .trace)) {
                $0.authentication = authentication
            }
            let byHeader = try await server.connect(token: given)
            let byQuery = try await server.connect(path: "/?token=\(given)")
            let id = try #require(try await byHeader.run(["main.py": "print('hello')\n"])["sessionId"]?.stringValue)
            _ = await byHeader.eventsUntilEnd(of: id)
            _ = try await byQuery.request(["action": "status", "sessionId": .string(id)])
            _ = try await byQuery.request(["action": "nonsense"])
            // Refused attempts, including one that carries the token in a wrong header.
            await #expect(throws: (any Error).self) { try await server.connect(token: "\(given)x") }
            await #expect(throws: (any Error).self) {
                _ = try await SilentWebSocketClient.connect(port: server.port, headers: ["Authorization: Basic \(given)"])
            }
            await byHeader.close()
            await byQuery.close()
            try await server.stop()
            let all = logs.all
            #expect(all.count > 10, "the capture saw the server's log (\(all.count) lines)")
            #expect(all.contains { $0.contains("run started") && $0.contains("user=") })
            let leaks = all.filter { $0.contains(token) }
            #expect(leaks.isEmpty, "the token was logged: \(leaks)")
        }
    }

    @Test func secretsDoNotPrint() {
        var configuration = ServerConfiguration()
        configuration.token = "do-not-print-me"
        for text in ["\(configuration)", String(reflecting: configuration), "\(Secret("do-not-print-me"))"] {
            #expect(!text.contains("do-not-print-me"), "\(text)")
        }
        var dumped = ""
        dump(configuration, to: &dumped)
        #expect(!dumped.contains("do-not-print-me"))
    }

    @Test func tokenFileAndEnvironment() throws {
        let logger = Logger(label: "test")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("token").path
        try Data("  from-file\n".utf8).write(to: URL(fileURLWithPath: file))

        func token(_ sources: CredentialSources) throws -> String? {
            if case .token(let secret) = try sources.authentication(logger: logger) { return secret.value }
            return nil
        }
        #expect(try token(CredentialSources(tokenFile: file)) == "from-file")
        #expect(try token(CredentialSources(environment: ["RUNTIME_TOKEN_FILE": file])) == "from-file")
        #expect(try token(CredentialSources(environment: ["RUNTIME_TOKEN": "from-env"])) == "from-env")
        #expect(try token(CredentialSources(token: "given")) == "given")
        // The command line wins over the environment.
        #expect(try token(CredentialSources(token: "given", environment: ["RUNTIME_TOKEN_FILE": file])) == "given")
        #expect(try token(CredentialSources(environment: ["RUNTIME_TOKEN_FILE": file, "RUNTIME_TOKEN": ""])) == "from-file")
        #expect { try CredentialSources(environment: ["RUNTIME_TOKEN_FILE": file, "RUNTIME_TOKEN": "x"]).authentication(logger: logger) } throws: {
            "\($0)".contains("not several")
        }
        if case .open = try CredentialSources().authentication(logger: logger) {} else { Issue.record("no credentials: open") }

        let empty = folder.appendingPathComponent("empty").path
        try Data("\n".utf8).write(to: URL(fileURLWithPath: empty))
        #expect { try CredentialSources(tokenFile: empty).authentication(logger: logger) } throws: { "\($0)".contains("empty") }
        #expect { try CredentialSources(tokenFile: folder.appendingPathComponent("missing").path).authentication(logger: logger) } throws: {
            "\($0)".contains("cannot read")
        }
        #expect { try CredentialSources(tokenFile: file, token: "also").authentication(logger: logger) } throws: {
            "\($0)".contains("not several")
        }
    }

    private func bearer(_ header: String) -> String? { UpgradeAuthorizer.bearerToken(header).map(String.init) }

    @Test func bearerHeaderParsing() {
        #expect(bearer("Bearer abc") == "abc")
        #expect(bearer("bearer abc") == "abc")
        #expect(bearer("  BEARER \t abc  ") == "abc")
        #expect(bearer("Bearer") == nil)
        #expect(bearer("Bearer ") == nil)
        #expect(bearer("Basic abc") == nil)
        #expect(bearer("Bearerabc") == nil)
    }
}
