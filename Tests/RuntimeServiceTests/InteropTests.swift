import Foundation
import RuntimeTestSupport
import Testing

/// The server, driven by an independent client in another language.
@Suite(.timeLimit(.minutes(2)))
struct InteropTests {
    @Test func pythonWebsocketsClient() async throws {
        let server = try await TestServer.start()
        let python = FileManager.default.currentDirectoryPath + "/.venv/bin/python"
        let result = try await ChildProcess.run(URL(fileURLWithPath: python),
                                                ["Tests/RuntimeServiceTests/Fixtures/interop_client.py", server.url])
        #expect(result.status == 0, "\(result.stderr)")
        let text = result.stdout
        let seen = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(seen?["events"] as? [String] == ["[run]:OUTPUT", "[placeholder]:READY", "[state]:EXECUTION_FINISHED"]
                || seen?["events"] as? [String] == ["[placeholder]:READY", "[run]:OUTPUT", "[state]:EXECUTION_FINISHED"])
        #expect(seen?["total"] as? Int == 6)
        #expect(seen?["status"] as? String == "finished")
        #expect(seen?["legacyStatus"] as? String == "Finished")
        #expect(seen?["error"] as? String == "INVALID_JSON")
        #expect(seen?["missing"] as? [String] == ["[error]:SESSION_NOT_FOUND", "Session not found"])
        try await server.stop()
    }
}
