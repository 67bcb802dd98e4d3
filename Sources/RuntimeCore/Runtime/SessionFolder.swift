import Foundation
import Glibc
import RuntimeJSON
import WorkerFrames

/// A session's working folder: private to the session (mode 0700), and owned
/// by the session's uid when the server gives sessions uids of their own.
enum SessionFolder {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Hands the folder and everything in it to `uid` (nil: keep the owner),
    /// closing it to everyone else.
    static func handOver(_ folder: URL, to uid: UInt32?) throws(Failure) {
        let path = folder.path
        if let uid {
            var failure: String?
            let entries = FileManager.default.enumerator(atPath: path)
            var paths = [path]
            while let entry = entries?.nextObject() as? String { paths.append((path as NSString).appendingPathComponent(entry)) }
            for item in paths where lchown(item, uid, uid) != 0 {
                failure = "chown \(item): \(String(cString: strerror(errno)))"
                break
            }
            if let failure { throw Failure(description: failure) }
        }
        guard chmod(path, 0o700) == 0 else {
            throw Failure(description: "chmod \(path): \(String(cString: strerror(errno)))")
        }
    }
}
