import Foundation
import Logging
import RuntimeClient
import RuntimeCore

/// The real RuntimeServer (the main package's release build) and the echo
/// floor (this executable in `echo-server` mode), both separate processes on
/// loopback, started for a suite and ended with it.
struct BenchServers {
    let serverURL: String
    let echoPort: Int
    private let children: [Child]

    static func start(_ settings: Settings) throws -> BenchServers {
        try settings.check([settings.server, settings.worker])
        let serverPort = try FreePort.pick(), echoPort = try FreePort.pick()
        let server = try Child.start(settings.server, [
            "--port", "\(serverPort)", "--python", settings.python,
            "--preload", "", "--warm-workers", "2", "--log-level", "warning",
        ] + settings.serverArguments)
        let echo: Child
        do {
            echo = try Child.start(ownExecutable, ["echo-server", "\(echoPort)", settings.python])
        } catch {
            server.terminate()
            throw error
        }
        return BenchServers(serverURL: "ws://127.0.0.1:\(serverPort)/", echoPort: echoPort, children: [server, echo])
    }

    /// This executable, which is also the echo server (`echo-server PORT [PYTHON]`).
    static var ownExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// The echo server's plain echo.
    var echoURL: String { "ws://127.0.0.1:\(echoPort)/" }

    /// The echo server answering every message with `bytes` bytes.
    func echoURL(replyBytes: Int) -> String { "ws://127.0.0.1:\(echoPort)/sized?bytes=\(replyBytes)" }

    /// The echo server answering every message with `bytes` bytes once it
    /// has passed through a child process (`via`: `cat` or `python`).
    func relayURL(replyBytes: Int, via: String) -> String { "ws://127.0.0.1:\(echoPort)/relay?bytes=\(replyBytes)&via=\(via)" }

    func stop() {
        for child in children { child.terminate() }
    }

    /// A RuntimeClient connection (the project's public Swift client), retried
    /// while the server starts.
    static func client(_ url: String, logger: Logger) async throws -> RuntimeConnection {
        var lastError: any Error = BenchmarkFailure("cannot reach \(url)")
        for _ in 0..<200 {
            do {
                return try await RuntimeConnection.connect(to: url, logger: logger)
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        throw lastError
    }

    /// A `run` message with one file, `main.py`.
    static func runMessage(_ main: String) -> JSONValue {
        ["action": "run", "python": ["files": [["filename": "main.py", "content": .string(main)]], "mainfile": "main.py"]]
    }

    /// Runs `main` through `connection` and waits for its end; the session id.
    /// A run that does not finish fails the benchmark with its error.
    static func runToEnd(_ main: String, on connection: RuntimeConnection) async throws -> String {
        let reply = try await connection.request(runMessage(main))
        guard let id = reply["sessionId"]?.stringValue else { throw BenchmarkFailure("run refused: \(reply.jsonString)") }
        let end = await waitForEnd(connection, sessionId: id)
        guard end?["status"]?.stringValue == "finished" else {
            throw BenchmarkFailure("benchmark program did not finish: \(end?.jsonString ?? "no end event")")
        }
        return id
    }

    /// Microseconds from sending the `run` message to the session's end
    /// event; the run must finish, and its session is deleted afterwards
    /// (outside the time).
    static func timedRun(_ message: JSONValue, on connection: RuntimeConnection) async throws -> Double {
        let start = Measure.now()
        let reply = try await connection.request(message)
        guard let id = reply["sessionId"]?.stringValue else { throw BenchmarkFailure("run refused: \(reply.jsonString)") }
        let end = await waitForEnd(connection, sessionId: id)
        let elapsed = Double(Measure.now() - start) / 1000
        guard end?["status"]?.stringValue == "finished" else { throw BenchmarkFailure("run ended: \(end?.jsonString ?? "–")") }
        _ = try await connection.request(["action": "delete_session", "sessionId": .string(id)])
        return elapsed
    }

    /// The session's end event (`[state]:…`), or nil if the connection ended first.
    static func waitForEnd(_ connection: RuntimeConnection, sessionId: String) async -> JSONValue? {
        for await event in connection.events where event["sessionId"]?.stringValue == sessionId {
            if event["type"]?.stringValue?.hasPrefix("[state]:") == true { return event }
        }
        return nil
    }
}
