import Foundation
import RuntimeTestSupport
import Testing

/// `runtimectl … | head -3`: a reader that goes away ends runtimectl quietly.
@Suite(.timeLimit(.minutes(2)))
struct ClosedOutputTests {
    @Test func aClosedStandardOutputEndsItQuietly() async throws {
        let server = try await TestServer.start()
        // A pipe whose reading end is closed before runtimectl writes: every write fails.
        let output = Pipe()
        try output.fileHandleForReading.close()
        let errors = Pipe()
        let process = SpawnedProcess()
        process.executableURL = CLI.buildFolder.appendingPathComponent("runtimectl")
        process.arguments = ["sessions", "--json", "--server", server.url]
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        // 141 (EPIPE, as SIGPIPE would end it), or 13 when SIGPIPE itself did: never a trap.
        #expect([141, SIGPIPE].contains(process.terminationStatus), "status \(process.terminationStatus): \(stderr)")
        #expect(stderr.isEmpty, "\(stderr)")
        try await server.stop()
    }
}
