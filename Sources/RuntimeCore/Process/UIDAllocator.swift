import Foundation
import Glibc
import Synchronization
import RuntimeJSON
import WorkerFrames

/// Hands out the uids of a range so that no two live workers share one, on
/// the whole machine: each uid handed out is leased by an `flock` on a file
/// of its own in a root-only folder, held until the worker has ended (and
/// released by the kernel if the server dies). Two servers, or two runtimes
/// in one process, never give a uid to two sessions at once.
package final class UIDAllocator: Sendable {
    /// Where the lease files live.
    static let leaseFolder = "/run/python-runtime/uids"

    private let range: ClosedRange<UInt32>
    private let folder: String
    private let state: Mutex<(next: UInt32, leases: [UInt32: Int32])>

    package init(range: ClosedRange<UInt32>, folder: String = UIDAllocator.leaseFolder) {
        self.range = range
        self.folder = folder
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
        state = Mutex((range.lowerBound, [:]))
    }

    /// A uid no live worker on this machine has, or nil when every uid of
    /// the range is leased.
    package func take() -> UInt32? {
        state.withLock { state in
            let count = Int(range.upperBound - range.lowerBound) + 1
            for _ in 0..<count {
                let uid = state.next
                state.next = uid == range.upperBound ? range.lowerBound : uid + 1
                guard state.leases[uid] == nil else { continue }
                let fd = open("\(folder)/\(uid)", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
                guard fd >= 0 else { return nil }
                if flock(fd, LOCK_EX | LOCK_NB) == 0 {
                    state.leases[uid] = fd
                    return uid
                }
                close(fd)
            }
            return nil
        }
    }

    /// Gives a uid back once every process that had it has ended.
    package func give(_ uid: UInt32) {
        let fd = state.withLock { $0.leases.removeValue(forKey: uid) }
        if let fd { close(fd) }
    }
}
