import Foundation

/// Reads memory use from `/proc`, where no cgroup counts it for us.
enum ProcessMemory {
    /// Resident set size in bytes, or nil when the process is gone.
    static func residentBytes(of pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// The resident bytes of `root` and every process descended from it
    /// (followed through `/proc/PID/task/TID/children`).
    static func treeResidentBytes(of root: Int32) -> Int {
        var total = 0
        var pending: [Int32] = [root]
        var seen: Set<Int32> = []
        while let pid = pending.popLast(), seen.count < 100_000 {
            guard seen.insert(pid).inserted else { continue }
            total += residentBytes(of: pid) ?? 0
            guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { continue }
            for task in tasks {
                guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8) else { continue }
                pending.append(contentsOf: text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
            }
        }
        return total
    }
}
