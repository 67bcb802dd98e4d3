import Foundation
import RuntimeClient
import RuntimeCore
import RuntimeTestSupport
import Testing

/// A client that goes away while its read is being encoded: the request is
/// cancelled, and with it the read in the worker; the session serves on.
@Suite(.timeLimit(.minutes(2)))
struct AbandonedReadTests {
    @Test func aReadWhoseClientLeftIsStopped() async throws {
        let logs = LogCapture()
        let server = try await TestServer.start(logger: logs.logger(level: .info)) { $0.runtime.readTimeLimit = nil }
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/abandoned_read_client.py")
        let python = URL(fileURLWithPath: PythonEnvironment.resolve().executable)
        let result = try await ChildProcess.run(python, [fixture.path, server.url])
        #expect(result.status == 0, "\(result.stderr)")
        let reply = try JSONParser.parse(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(reply["small"]?["value"] == [1, 2], "\(result.stdout)")
        #expect(await Processes.waitUntil { logs.all.contains { $0.contains("request stopped: its client went away") } },
                "\(logs.all.filter { $0.contains("request") })")
        try await server.stop()
    }
}
