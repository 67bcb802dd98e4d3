import Foundation
import Glibc
import RuntimeClient
import RuntimeCore

/// The built `RuntimeServer` executable run as a process of its own (to kill
/// it with SIGKILL, or to run it as another user), found beside the tests.
public final class ServerProcess: Sendable {
    public let pid: Int32
    public let port: Int
    private let process: SpawnedProcess

    public struct StartFailed: Error, CustomStringConvertible {
        public var description: String
    }

    private init(process: SpawnedProcess, port: Int) {
        self.process = process
        self.pid = process.processIdentifier
        self.port = port
    }

    /// Starts the server on a free port and waits until it listens.
    /// - Parameter user: run it as this uid (through `setpriv`), e.g. 65534.
    public static func start(user: UInt32? = nil, arguments: [String] = [], environment: [String: String] = [:]) async throws -> ServerProcess {
        let server = Processes.buildFolder.appendingPathComponent("RuntimeServer").path
        let python = PythonEnvironment.resolve().executable
        let preload = arguments.contains("--preload") ? [] : ["--preload", ""]
        var command = [server, "--port", "0", "--warm-workers", "0", "--python", python] + preload + arguments
        if let user {
            command = ["/usr/bin/setpriv", "--reuid=\(user)", "--regid=\(user)", "--clear-groups", "--"] + command
        }
        let process = SpawnedProcess()
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let port: Int? = await withCheckedContinuation { continuation in
            // The log's "listening" line names the port; read it off a Dispatch thread.
            DispatchQueue.global().async {
                var seen = ""
                let handle = errors.fileHandleForReading
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { continuation.resume(returning: nil); return }
                    seen += String(decoding: chunk, as: UTF8.self)
                    if let range = seen.range(of: #"ws://127\.0\.0\.1:([0-9]+)/"#, options: .regularExpression) {
                        let url = seen[range]
                        continuation.resume(returning: Int(url.dropFirst("ws://127.0.0.1:".count).dropLast()))
                        // Keep draining, so the server never blocks on a full pipe.
                        while !handle.availableData.isEmpty {}
                        return
                    }
                }
            }
        }
        guard let port else {
            process.terminate()
            throw StartFailed(description: "the server did not start")
        }
        return ServerProcess(process: process, port: port)
    }

    public func connect() async throws -> RuntimeConnection {
        try await RuntimeConnection.connect(to: "ws://127.0.0.1:\(port)/")
    }

    /// Every process below the server.
    public func descendants() -> [Int32] { ProcessTree.descendants(of: pid) }

    /// SIGKILL, as an operator or the OOM killer would, then reaped.
    public func kill() {
        _ = Glibc.kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, a graceful stop; waits for the exit status.
    public func terminate() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

