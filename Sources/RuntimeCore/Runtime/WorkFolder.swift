import Foundation
import Glibc
import RuntimeJSON
import WorkerFrames

/// The folder holding one runtime's session folders, marked as ours by a
/// lock file the runtime holds locked for its whole life. A folder whose
/// lock can be taken belongs to a runtime that is no longer running.
final class WorkFolder: Sendable {
    /// The name every runtime's folder starts with.
    static let prefix = "python-runtime-"
    static let lockName = ".runtime.lock"

    let url: URL
    private let lockFD: Int32

    /// Creates the folder (mode 0711: sessions reach their own folder inside
    /// it, but cannot list it) and locks it.
    ///
    /// The folder gets its name only once its lock is held: another runtime
    /// starting meanwhile (`removeAbandoned`) could otherwise take the lock
    /// between its creation and its locking, and remove a live folder.
    init(root: URL, name: String) throws {
        url = root.appendingPathComponent(WorkFolder.prefix + name, isDirectory: true)
        let unnamed = root.appendingPathComponent(".starting-" + WorkFolder.prefix + name, isDirectory: true)
        try FileManager.default.createDirectory(at: unnamed, withIntermediateDirectories: true)
        chmod(unnamed.path, 0o711)
        let fd = open(unnamed.appendingPathComponent(WorkFolder.lockName).path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            try? FileManager.default.removeItem(at: unnamed)
            throw CocoaError(.fileWriteNoPermission)
        }
        flock(fd, LOCK_EX)
        guard rename(unnamed.path, url.path) == 0 else {
            close(fd)
            try? FileManager.default.removeItem(at: unnamed)
            throw CocoaError(.fileWriteUnknown)
        }
        lockFD = fd
    }

    deinit { close(lockFD) }

    /// Removes the folders in `root` that runtimes left behind when they
    /// died; never a folder whose runtime still holds its lock. Returns how
    /// many were removed.
    @discardableResult
    static func removeAbandoned(in root: URL) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root.path) else { return 0 }
        var removed = 0
        // A folder still unnamed a minute after it was made belongs to a
        // runtime that died while starting.
        for name in names where name.hasPrefix(".starting-" + prefix) {
            let folder = root.appendingPathComponent(name, isDirectory: true)
            let made = (try? FileManager.default.attributesOfItem(atPath: folder.path)[.modificationDate]) as? Date
            if let made, made < Date().addingTimeInterval(-60), (try? FileManager.default.removeItem(at: folder)) != nil {
                removed += 1
            }
        }
        for name in names where name.hasPrefix(prefix) {
            let folder = root.appendingPathComponent(name, isDirectory: true)
            let fd = open(folder.appendingPathComponent(lockName).path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else { continue }  // not one of ours (or not readable)
            defer { close(fd) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }  // its runtime is alive
            if (try? FileManager.default.removeItem(at: folder)) != nil { removed += 1 }
        }
        return removed
    }
}
