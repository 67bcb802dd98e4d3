import Foundation
import Glibc

/// The processes a worker's program started, as the worker itself sees them.
enum ProcessTree {
    /// Kills every process the program started, keeping the worker: in its
    /// own PID namespace (sandboxed, the worker is pid 2 under its init) that
    /// is every process but those two; else the worker's descendants.
    static func killOthers() {
        for pid in members() where pid != getpid() { _ = kill(pid, SIGKILL) }
    }

    /// The worker and the processes its program started (the same rule as
    /// ``killOthers()``).
    static func members() -> [pid_t] {
        let own = getpid()
        let sandboxed = own == 2
        var parents: [pid_t: pid_t] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), pid != own else { continue }
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = pid_t(fields[1]) { parents[pid] = parent }
        }
        return [own] + parents.keys.filter { sandboxed ? $0 != 1 : descends($0, from: own, parents: parents) }
    }

    private static func descends(_ pid: pid_t, from ancestor: pid_t, parents: [pid_t: pid_t]) -> Bool {
        var current = pid
        for _ in 0..<4096 {
            guard let parent = parents[current] else { return false }
            if parent == ancestor { return true }
            if parent <= 1 { return false }
            current = parent
        }
        return false
    }
}
