import Foundation
import Glibc
import RuntimeJSON
import WorkerFrames

/// The cgroups this runtime puts its workers in, one per worker, so that a
/// session's memory and process count are limited by the kernel for all of
/// its processes, all the time. Found from `/proc/self/mountinfo` and
/// `/proc/self/cgroup` (cgroup v1 `memory` and `pids` hierarchies, or a
/// cgroup v2 tree that delegates those controllers); unusable where the
/// server may not create cgroups, in which case the runtime watches process
/// trees instead.
package final class SessionCgroups: Sendable {
    /// One controller's folder for this runtime.
    struct Hierarchy: Sendable {
        enum Kind: String, Sendable { case memory, pids, unified }
        var kind: Kind
        /// The runtime's own folder, beneath the server's cgroup.
        var folder: String
    }

    let hierarchies: [Hierarchy]
    /// Why no cgroup could be used, when none can.
    let unavailable: String?

    /// Discovers the hierarchies, removes folders left by runtimes that are no
    /// longer running, and creates this runtime's folder in each.
    package init(name: String) {
        var found: [Hierarchy] = []
        var problems: [String] = []
        for (kind, own) in SessionCgroups.ownCgroups() {
            SessionCgroups.removeStale(in: own)
            let folder = (own as NSString).appendingPathComponent(name)
            guard mkdir(folder, 0o755) == 0 || errno == EEXIST else {
                problems.append("\(kind.rawValue): \(String(cString: strerror(errno)))")
                continue
            }
            if kind == .unified {
                // v2 limits children only for controllers the parent enables.
                let controllers = (try? String(contentsOfFile: folder + "/cgroup.controllers", encoding: .utf8)) ?? ""
                guard controllers.contains("memory"), controllers.contains("pids"),
                    SessionCgroups.write("+memory +pids", to: folder + "/cgroup.subtree_control")
                else {
                    rmdir(folder)
                    continue
                }
            }
            found.append(Hierarchy(kind: kind, folder: folder))
        }
        // v1 memory and pids are preferred; the unified tree only stands in for both.
        if found.contains(where: { $0.kind != .unified }) {
            for hierarchy in found where hierarchy.kind == .unified { rmdir(hierarchy.folder) }
            found.removeAll { $0.kind == .unified }
        }
        hierarchies = found
        unavailable = found.isEmpty
            ? "no cgroup could be created (\(problems.isEmpty ? "no memory or pids controller" : problems.joined(separator: ", ")))"
            : nil
    }

    /// Whether memory is limited by the kernel (else the runtime watches).
    package var limitsMemory: Bool { hierarchies.contains { $0.kind != .pids } }

    /// Creates a worker's cgroups with its limits; nil where none are available.
    func makeGroup(named name: String, memoryLimit: Int?, maximumProcesses: Int?) -> WorkerCgroup? {
        var folders: [Hierarchy] = []
        // Joining a v1 hierarchy waits for an RCU grace period (milliseconds,
        // on every worker's start): a memory group with no limit to enforce
        // is not joined at all.
        for hierarchy in hierarchies where hierarchy.kind != .memory || memoryLimit != nil {
            let folder = (hierarchy.folder as NSString).appendingPathComponent(name)
            guard mkdir(folder, 0o755) == 0 || errno == EEXIST else { continue }
            folders.append(Hierarchy(kind: hierarchy.kind, folder: folder))
            switch hierarchy.kind {
            case .memory:
                if let memoryLimit {
                    _ = SessionCgroups.write("\(memoryLimit)", to: folder + "/memory.limit_in_bytes")
                    // Memory and swap together, where swap is accounted: no escape into swap.
                    _ = SessionCgroups.write("\(memoryLimit)", to: folder + "/memory.memsw.limit_in_bytes")
                    // v1 counts TCP buffers apart (on top of the limit), and
                    // only once they have a limit of their own: a quarter of
                    // the session's (v2 counts them in memory.max).
                    _ = SessionCgroups.write("\(memoryLimit / 4)", to: folder + "/memory.kmem.tcp.limit_in_bytes")
                }
            case .pids:
                if let maximumProcesses { _ = SessionCgroups.write("\(maximumProcesses)", to: folder + "/pids.max") }
            case .unified:
                if let memoryLimit {
                    _ = SessionCgroups.write("\(memoryLimit)", to: folder + "/memory.max")
                    _ = SessionCgroups.write("0", to: folder + "/memory.swap.max")
                }
                if let maximumProcesses { _ = SessionCgroups.write("\(maximumProcesses)", to: folder + "/pids.max") }
            }
        }
        return folders.isEmpty ? nil : WorkerCgroup(folders: folders)
    }

    /// Removes this runtime's folders (each worker's is removed as it ends).
    package func remove() {
        for hierarchy in hierarchies { WorkerCgroup.removeFolder(hierarchy.folder) }
    }

    // MARK: Discovery

    /// The server's own cgroup folder in each usable hierarchy.
    static func ownCgroups() -> [(Hierarchy.Kind, String)] {
        guard let mountinfo = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8),
            let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)
        else { return [] }
        // "4:memory:/a/b" (v1) or "0::/a/b" (v2)
        var paths: [String: String] = [:]
        for line in membership.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            for controller in fields[1].split(separator: ",") { paths[String(controller)] = String(fields[2]) }
            if fields[1].isEmpty { paths[""] = String(fields[2]) }
        }
        var result: [(Hierarchy.Kind, String)] = []
        for line in mountinfo.split(separator: "\n") {
            // id parent major:minor root mountpoint options ... - fstype source superoptions
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { continue }
            let left = halves[0].split(separator: " ")
            let right = halves[1].split(separator: " ")
            guard left.count >= 5, right.count >= 3 else { continue }
            let root = String(left[3]), mountPoint = String(left[4])
            let relative: (String) -> String? = { path in
                guard path.hasPrefix(root) else { return nil }
                return mountPoint + "/" + path.dropFirst(root.count).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            }
            if right[0] == "cgroup" {
                let options = right[2].split(separator: ",")
                for kind in [Hierarchy.Kind.memory, .pids] where options.contains(Substring(kind.rawValue)) {
                    if let path = paths[kind.rawValue].flatMap(relative) { result.append((kind, path)) }
                }
            } else if right[0] == "cgroup2", let path = paths[""].flatMap(relative) {
                result.append((.unified, path))
            }
        }
        return result
    }

    /// Removes the folders of runtimes whose server process is gone.
    private static func removeStale(in folder: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where name.hasPrefix("runtime-") {
            let parts = name.split(separator: "-")
            guard parts.count >= 3, let pid = Int32(parts[1]), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            WorkerCgroup.removeFolder((folder as NSString).appendingPathComponent(name))
        }
    }

    @discardableResult
    static func write(_ text: String, to path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count
    }
}

/// One worker's cgroups.
struct WorkerCgroup: Sendable {
    var folders: [SessionCgroups.Hierarchy]

    /// The `cgroup.procs` files the worker joins before anything else starts.
    var procsFiles: [String] { folders.map { $0.folder + "/cgroup.procs" } }

    /// How many times the kernel killed a process of the session for memory.
    func memoryKills() -> Int {
        for folder in folders {
            let file: String
            switch folder.kind {
            case .memory: file = "/memory.oom_control"
            case .unified: file = "/memory.events"
            case .pids: continue
            }
            guard let text = try? String(contentsOfFile: folder.folder + file, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") where line.hasPrefix("oom_kill ") {
                return Int(line.dropFirst("oom_kill ".count)) ?? 0
            }
        }
        return 0
    }

    /// Kills whatever is left in the cgroups and removes them.
    func remove() {
        for folder in folders { WorkerCgroup.removeFolder(folder.folder) }
    }

    /// Kills every process in `folder` and its children, then removes them all.
    static func removeFolder(_ folder: String) {
        if let children = try? FileManager.default.contentsOfDirectory(atPath: folder) {
            for child in children {
                var isFolder: ObjCBool = false
                let path = (folder as NSString).appendingPathComponent(child)
                if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue { removeFolder(path) }
            }
        }
        for _ in 0..<50 {
            if rmdir(folder) == 0 || errno == ENOENT { return }
            guard errno == EBUSY else { return }
            let procs = (try? String(contentsOfFile: folder + "/cgroup.procs", encoding: .utf8)) ?? ""
            for line in procs.split(separator: "\n") { if let pid = Int32(line) { kill(pid, SIGKILL) } }
            usleep(2_000)  // the kernel leaves a cgroup busy until its last task is reaped
        }
    }
}
