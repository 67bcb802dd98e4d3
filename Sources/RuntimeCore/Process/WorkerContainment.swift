import Foundation
import Logging
import Synchronization
import RuntimeJSON
import WorkerFrames

/// Turns a runtime's ``Containment`` into each worker's spawn plan: the
/// sandbox arguments, the scrubbed environment, its cgroups and its uid.
package final class WorkerContainment: Sendable {
    private let configuration: RuntimeConfiguration
    private let cgroups: SessionCgroups?
    private let uids: UIDAllocator?
    private let counter = Atomic<Int>(0)
    /// What cannot be contained as configured, said once at start.
    package let warnings: [String]

    /// - Parameter name: the runtime's unique name (its cgroup folders').
    package init(configuration: RuntimeConfiguration, name: String) {
        self.configuration = configuration
        let containment = configuration.containment
        var warnings: [String] = []
        if containment.isolateProcesses {
            let cgroups = SessionCgroups(name: name)
            if let unavailable = cgroups.unavailable {
                warnings.append("\(unavailable): memory is watched per process tree instead of limited by the kernel, and processes are limited by RLIMIT_NPROC only")
                self.cgroups = nil
                cgroups.remove()
            } else {
                self.cgroups = cgroups
            }
        } else {
            warnings.append("process isolation is off: sessions share the server's namespaces")
            cgroups = nil
        }
        if case .uidRange(let range) = containment.identity, geteuid() == 0 {
            uids = UIDAllocator(range: range)
        } else {
            uids = nil
        }
        self.warnings = warnings
    }

    /// Whether the kernel limits each session's memory (else the runtime watches).
    package var kernelLimitsMemory: Bool { cgroups?.limitsMemory ?? false }

    /// The plan for the next worker.
    func plan(maximumFrameBytes: Int) throws(RuntimeError) -> WorkerSpawnPlan {
        let containment = configuration.containment
        if let refusal = containment.refusal() { throw RuntimeError(.internalError, refusal) }
        var arguments: [String] = []
        var uid: UInt32?
        var cgroup: WorkerCgroup?
        if containment.isolateProcesses {
            arguments.append("--sandbox")
            if containment.network == .none { arguments += ["--network", "none"] }
            if let uids {
                guard let taken = uids.take() else {
                    throw RuntimeError(.limitExceeded, "every uid of the worker range is in use")
                }
                uid = taken
                arguments += ["--uid", "\(taken)", "--gid", "\(taken)"]
            } else if geteuid() != 0 {
                arguments.append("--userns")
            }
            if let maximum = containment.maximumProcesses { arguments += ["--max-processes", "\(maximum)"] }
            let number = counter.add(1, ordering: .relaxed).newValue
            cgroup = cgroups?.makeGroup(named: "worker-\(number)", memoryLimit: configuration.memoryLimitBytes,
                                        maximumProcesses: containment.maximumProcesses)
            for file in cgroup?.procsFiles ?? [] { arguments += ["--cgroup-procs", file] }
        }
        let uids = self.uids, taken = uid
        return WorkerSpawnPlan(
            executable: configuration.worker.executable, arguments: configuration.workerArguments + arguments,
            sandboxArguments: arguments,
            environment: containment.workerEnvironment(python: configuration.python),
            cgroup: cgroup, uid: uid, maximumFrameBytes: maximumFrameBytes,
            onEnd: { if let taken { uids?.give(taken) } })
    }

    /// Removes the runtime's cgroup folders.
    package func remove() { cgroups?.remove() }
}
