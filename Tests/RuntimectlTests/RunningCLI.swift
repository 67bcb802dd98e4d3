import Foundation
import RuntimeTestSupport
import Synchronization
import Testing

/// The built `runtimectl` running in the background: its output can be
/// waited for while it runs, and signals sent to it (Ctrl-C is SIGINT).
///
/// Its pipes are read on threads of their own and its exit comes through
/// `terminationHandler`: blocking Dispatch's global queue (which Swift's
/// cooperative pool shares) or `waitUntilExit` (which spins on Linux) would
/// starve the in-process server the child talks to.
final class RunningCLI: Sendable {
    private let process: SpawnedProcess
    private let output = Mutex(Output())
    private let exited = Mutex<Int32?>(nil)
    private let pipesClosed = Mutex(0)

    struct Output: Sendable {
        var stdout = ""
        var stderr = ""
    }

    private init(process: SpawnedProcess) {
        self.process = process
    }

    /// - Parameters:
    ///   - input: written to standard input, which is then closed (nothing when `nil`).
    ///   - environment: variables added to (or replacing) this process's environment.
    ///   - executable: the built executable to run.
    static func start(_ arguments: [String], in directory: URL? = nil, input: String? = nil,
                      environment: [String: String] = [:], executable: String = "runtimectl") throws -> RunningCLI {
        let process = SpawnedProcess()
        process.executableURL = CLI.buildFolder.appendingPathComponent(executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let inPipe = Pipe()
        process.standardInput = inPipe
        let running = RunningCLI(process: process)
        process.terminationHandler = { ended in running.exited.withLock { $0 = ended.terminationStatus } }
        try process.run()
        running.drain(out.fileHandleForReading) { $0.stdout += $1 }
        running.drain(err.fileHandleForReading) { $0.stderr += $1 }
        // Small inputs only: written whole at once.
        if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try? inPipe.fileHandleForWriting.close()
        return running
    }

    /// Reads a pipe to its end on a thread of its own.
    private func drain(_ handle: FileHandle, _ append: @escaping @Sendable (inout Output, String) -> Void) {
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                output.withLock { append(&$0, String(decoding: chunk, as: UTF8.self)) }
            }
            pipesClosed.withLock { $0 += 1 }
        }
    }

    var printed: Output { output.withLock { $0 } }

    /// Waits until what it printed satisfies `condition` (for at most `limit`, then false).
    func waitFor(_ limit: Duration = .seconds(60), _ condition: (Output) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if condition(printed) { return true }
            if exited.withLock({ $0 }) != nil { return condition(printed) }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition(printed)
    }

    /// Ctrl-C, as a terminal sends it.
    func interrupt() { kill(process.processIdentifier, SIGINT) }

    /// Waits for the exit (at most `limit`; then kills it and records the failure).
    func finish(_ limit: Duration = .seconds(60)) async -> (status: Int32?, output: Output) {
        let deadline = ContinuousClock.now + limit
        // Both pipes read to their end, and the process reaped.
        while ContinuousClock.now < deadline, exited.withLock({ $0 }) == nil || pipesClosed.withLock({ $0 }) < 2 {
            try? await Task.sleep(for: .milliseconds(20))
        }
        guard let status = exited.withLock({ $0 }) else {
            Issue.record("runtimectl did not exit within \(limit); printed: \(printed)")
            process.terminate()
            return (nil, printed)
        }
        return (status, printed)
    }

    /// The session id from the `session ID` line a waiting run prints on stderr.
    var sessionId: String? {
        printed.stderr.split(separator: "\n").first { $0.hasPrefix("session ") }.map { String($0.dropFirst(8)) }
    }
}
