import Foundation
import Glibc
@testable import RuntimeCore

/// The processes below a worker, read from the host's `/proc`.
enum SessionProcesses {
    /// Every live process descended from `root` (not `root` itself).
    static func descendants(of root: Int32) -> [Int32] {
        ProcessTree.descendants(of: root).filter(TestSupport.processExists)
    }
}
