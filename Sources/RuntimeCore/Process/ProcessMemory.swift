import Foundation
import RuntimeJSON
import WorkerFrames

/// Reads memory use from `/proc`, where no cgroup counts it for us.
enum ProcessMemory {
    /// Resident set size in bytes, or nil when the process is gone.
    static func residentBytes(of pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// The resident bytes of `root` and every process descended from it.
    static func treeResidentBytes(of root: Int32) -> Int {
        ([root] + ProcessTree.descendants(of: root)).reduce(0) { $0 + (residentBytes(of: $1) ?? 0) }
    }
}

/// The processes below one process, read from `/proc`.
package enum ProcessTree {
    /// Every process descended from `root` (not `root` itself), followed
    /// through `/proc/PID/task/TID/children`. Zombies are included.
    package static func descendants(of root: Int32) -> [Int32] {
        var found: [Int32] = []
        var pending = [root]
        var seen: Set<Int32> = [root]
        while let pid = pending.popLast(), seen.count < 100_000 {
            for task in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? [] {
                let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? ""
                for child in text.split(separator: " ").compactMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
                where seen.insert(child).inserted {
                    found.append(child)
                    pending.append(child)
                }
            }
        }
        return found
    }
}
