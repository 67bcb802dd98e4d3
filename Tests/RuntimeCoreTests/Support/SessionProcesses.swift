import Foundation
import Glibc
@testable import RuntimeCore

/// The processes below a worker, read from the host's `/proc`.
enum SessionProcesses {
    /// Every live process descended from `root` (not `root` itself).
    static func descendants(of root: Int32) -> [Int32] {
        ProcessTree.descendants(of: root).filter(TestSupport.processExists)
    }

    /// Checks `condition` until it holds, for at most `limit`: for effects
    /// the kernel applies asynchronously (signals delivered, processes reaped).
    static func waitUntil(_ limit: Duration = .seconds(20), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }
}
