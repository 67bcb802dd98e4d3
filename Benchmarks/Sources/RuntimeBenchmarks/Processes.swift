import Foundation

/// A child process started for a benchmark and ended with it.
struct Child {
    let process: Process

    static func start(_ path: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Child {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return Child(process: process)
    }

    /// SIGTERM, then waits for the exit.
    func terminate() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}

enum FreePort {
    /// A port that was free a moment ago (bound to 0, then released).
    static func pick() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw BenchmarkFailure("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// The processes below this one, read from `/proc` (RuntimeCore keeps its own
/// walk to itself: `package` access).
enum ProcessTree {
    static func descendants(of root: Int32) -> [Int32] {
        var found: [Int32] = []
        var pending = [root]
        var seen: Set<Int32> = [root]
        while let pid = pending.popLast() {
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

    /// The summed proportional set size (KiB) of every process below `root`.
    static func descendantsPSS(of root: Int32) -> Int {
        descendants(of: root).reduce(0) { total, pid in
            let rollup = (try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8)) ?? ""
            let pss = rollup.split(separator: "\n").first { $0.hasPrefix("Pss:") }
            return total + (pss.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0)
        }
    }
}
