import Foundation
import Glibc
import Synchronization
import RuntimeCore

/// A ``RemoteWorkerLauncher`` that starts each worker as a child process of
/// this one: the remote transport (tickets, one socket, frames for stop) end
/// to end, without a cluster. Its workers' node is `node`.
public final class ProcessLauncher: RemoteWorkerLauncher {
    public let name = "process"
    private let node: String
    private let launched = Mutex<[ProcessJob]>([])
    /// Runs after a launch with its job (tests kill it, read its arguments).
    private let arguments = Mutex<[RemoteWorkerLaunch]>([])

    private let calls = Mutex<(prepared: Int, shutDown: Int)>((0, 0))

    public init(node: String = "test-node") { self.node = node }

    /// How often the runtime prepared and shut the launcher down.
    public var lifecycleCalls: (prepared: Int, shutDown: Int) { calls.withLock { $0 } }

    public func prepare() async throws(RuntimeError) { calls.withLock { $0.prepared += 1 } }

    public func shutdown() async { calls.withLock { $0.shutDown += 1 } }

    /// Every launch so far.
    public var launches: [RemoteWorkerLaunch] { arguments.withLock { $0 } }
    /// Every job so far.
    public var jobs: [ProcessJob] { launched.withLock { $0 } }

    public func launch(_ launch: RemoteWorkerLaunch) async throws(RuntimeError) -> any RemoteWorkerJob {
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: launch.arguments[0])
        process.arguments = Array(launch.arguments.dropFirst())
        process.environment = ProcessInfo.processInfo.environment.merging(launch.environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        let job = ProcessJob(id: launch.id, node: node, process: process)
        process.terminationHandler = { ended in job.finished(status: ended.terminationStatus) }
        do {
            try process.run()
        } catch {
            throw RuntimeError(.internalError, "cannot start \(launch.arguments[0]): \(error)")
        }
        arguments.withLock { $0.append(launch) }
        launched.withLock { $0.append(job) }
        return job
    }
}

/// One worker started by ``ProcessLauncher``.
public final class ProcessJob: RemoteWorkerJob {
    public let id: String
    private let nodeName: String
    private let process: SpawnedProcess
    private let end = Mutex<(status: Int32?, waiters: [CheckedContinuation<String, Never>])>((nil, []))

    init(id: String, node: String, process: SpawnedProcess) {
        self.id = id
        self.nodeName = node
        self.process = process
    }

    /// The keeper process's pid.
    public var pid: Int32 { process.processIdentifier }
    /// Whether it has ended.
    public var hasEnded: Bool { end.withLock { $0.status != nil } }

    fileprivate func finished(status: Int32) {
        let waiters = end.withLock { end -> [CheckedContinuation<String, Never>] in
            end.status = status
            defer { end.waiters = [] }
            return end.waiters
        }
        for waiter in waiters { waiter.resume(returning: reason(status)) }
    }

    private func reason(_ status: Int32) -> String { "the process job \(id) ended with status \(status)" }

    public func node() async -> String? { nodeName }

    /// Kills the whole job at once (a node lost).
    public func crash() { _ = kill(pid, SIGKILL) }

    public func stop() async {
        if !hasEnded { _ = kill(pid, SIGTERM) }
        _ = await ended()
    }

    public func ended() async -> String {
        await withCheckedContinuation { continuation in
            let status: Int32? = end.withLock { end in
                if end.status == nil { end.waiters.append(continuation) }
                return end.status
            }
            if let status { continuation.resume(returning: reason(status)) }
        }
    }
}
