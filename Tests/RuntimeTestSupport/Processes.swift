import Foundation
import Glibc

/// Processes as the tests see them from outside: the built executables, and
/// whether a process is still there.
public enum Processes {
    /// The build folder holding the executables (beside the test bundle).
    public static var buildFolder: URL {
        let own = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        var folder = own.deletingLastPathComponent()
        if folder.pathExtension == "xctest" { folder = folder.deletingLastPathComponent() }
        return folder
    }

    /// Whether a process is alive (it exists and is not a zombie).
    public static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        let status = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return !status.contains(") Z ")
    }

    /// Checks `condition` until it holds, for at most `limit`: for what the
    /// kernel does asynchronously (signals delivered, processes reaped).
    public static func waitUntil(_ limit: Duration = .seconds(20), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }
}
