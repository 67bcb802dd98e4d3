import Foundation
import Glibc

/// A remote worker's own watch on its session's memory: the resident memory
/// of the worker and every process of its program, every 100 ms. Past the
/// limit it tells the runtime (a `memory` frame) and ends the session's
/// processes, itself last. The runtime watches local workers itself; a
/// remote one's node is out of its reach.
struct MemoryWatch {
    let limit: Int
    let channel: WorkerChannel

    func start() {
        let thread = Thread { watch() }
        thread.name = "memory-watch"
        thread.start()
    }

    private func watch() -> Never {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        while true {
            let resident = ProcessTree.members().reduce(0) { $0 + Self.residentPages(of: $1) * page }
            if resident > limit {
                channel.send(.memoryExceeded(limit: limit, resident: resident))
                ProcessTree.killOthers()
                _ = kill(getpid(), SIGKILL)
            }
            usleep(100_000)
        }
    }

    private static func residentPages(of pid: pid_t) -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/\(pid)/statm", encoding: .utf8) else { return 0 }
        let fields = statm.split(separator: " ")
        return fields.count > 1 ? Int(fields[1]) ?? 0 : 0
    }
}
