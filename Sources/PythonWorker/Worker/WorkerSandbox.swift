import CSandbox
import Foundation
import Glibc
import RuntimeJSON
import WorkerFrames

/// The confinement a worker applies to itself: namespaces, identity and
/// limits before Python starts (``enter()``), Landlock once its session's
/// folder is known (``restrictFiles(session:readable:)``). What the server
/// asks for arrives as worker arguments (``WorkerSandboxOptions``).
struct WorkerSandbox {
    var options: WorkerSandboxOptions

    /// Folders every session may read and execute from: the system's, the
    /// Python environment's (added by the caller) and the kernel's views.
    static let systemReadable = ["/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc", "/proc", "/sys", "/dev"]

    /// Confines this process; returns in the process that runs Python.
    /// `confined` is false when the namespaces were refused (the caller must
    /// then not run a program); `refused` lists every measure that did not hold.
    func enter() -> (confined: Bool, refused: [String]) {
        guard options.enabled else { return (true, []) }
        let cgroupPaths = options.cgroupProcs.map { strdup($0) } + [nil]
        defer { for pointer in cgroupPaths { free(pointer) } }
        var report = [CChar](repeating: 0, count: 2048)
        var result: Int32 = -1
        cgroupPaths.withUnsafeBufferPointer { paths in
            paths.baseAddress?.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: paths.count) { rebound in
                var config = sandbox_config(
                    new_user_namespace: options.userNamespace ? 1 : 0,
                    new_network_namespace: options.network == "none" ? 1 : 0,
                    uid: options.uid.map { Int($0) } ?? -1,
                    gid: options.gid.map { Int($0) } ?? -1,
                    max_processes: options.maximumProcesses ?? 0,
                    cgroup_procs: rebound)
                result = sandbox_enter(&config, &report, report.count)
            }
        }
        return (result == 0, Self.lines(report))
    }

    /// Threads of this process other than the calling one (Landlock cannot
    /// bind them): from `/proc/self/task`.
    static func otherThreads() -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task"))?.count ?? 1) - 1
    }

    /// Restricts this thread, and every thread and process started from it
    /// afterwards, to reading the system and `readable`, and to writing only
    /// beneath `session`. Returns what was refused.
    static func restrictFiles(session: String, readable: [String]) -> [String] {
        let readPaths = (systemReadable + readable).map { strdup($0) } + [nil]
        let writePaths = [strdup(session), nil]
        defer {
            for pointer in readPaths { free(pointer) }
            for pointer in writePaths { free(pointer) }
        }
        var report = [CChar](repeating: 0, count: 1024)
        readPaths.withUnsafeBufferPointer { reads in
            writePaths.withUnsafeBufferPointer { writes in
                guard let readBase = reads.baseAddress, let writeBase = writes.baseAddress else { return }
                readBase.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: reads.count) { r in
                    writeBase.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: writes.count) { w in
                        _ = sandbox_landlock(r, w, &report, report.count)
                    }
                }
            }
        }
        return lines(report)
    }

    private static func lines(_ report: [CChar]) -> [String] {
        let text = report.withUnsafeBufferPointer { buffer in
            buffer.baseAddress.map { String(cString: $0) } ?? ""
        }
        return text.isEmpty ? [] : text.components(separatedBy: "; ")
    }
}

/// What the runtime asks a worker to confine itself with (worker arguments).
struct WorkerSandboxOptions: Sendable, Equatable {
    var enabled = false
    var userNamespace = false
    var network = "full"
    var uid: UInt32?
    var gid: UInt32?
    var maximumProcesses: Int?
    var cgroupProcs: [String] = []

    /// Consumes the sandbox arguments it knows; returns false for others.
    mutating func consume(_ name: String, _ value: String?) -> Bool {
        switch name {
        case "--sandbox": enabled = true
        case "--userns": userNamespace = true
        case "--network": if let value { network = value } else { return false }
        case "--uid": uid = value.flatMap { UInt32($0) }
        case "--gid": gid = value.flatMap { UInt32($0) }
        case "--max-processes": maximumProcesses = value.flatMap { Int($0) }
        case "--cgroup-procs": if let value { cgroupProcs.append(value) } else { return false }
        default: return false
        }
        return true
    }

    /// Whether the argument `name` takes a value.
    static func takesValue(_ name: String) -> Bool {
        ["--network", "--uid", "--gid", "--max-processes", "--cgroup-procs"].contains(name)
    }
}
