import Foundation
import Glibc
import RuntimeJSON
import WorkerFrames

/// Writes a validated ``Program`` into a session's working folder, with
/// plain system calls: it sits on every run's path, and Foundation's file
/// writing cost more than the run of a small program.
enum ProgramFiles {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func write(_ program: Program, into directory: URL) throws(Failure) {
        try makeFolder(directory.path)
        var made: Set<String> = [directory.path]
        for file in program.files {
            let segments = Program.segments(of: file.filename)
            var folder = directory.path
            for segment in segments.dropLast() {
                folder += "/" + segment
                if made.insert(folder).inserted { try makeFolder(folder) }
            }
            let path = folder + "/" + (segments.last ?? "")
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard fd >= 0 else { throw failure("create", path) }
            defer { close(fd) }
            var remaining = Array(file.content.utf8)[...]
            while !remaining.isEmpty {
                let written = remaining.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { throw failure("write", path) }
                remaining = remaining.dropFirst(written)
            }
        }
    }

    private static func makeFolder(_ path: String) throws(Failure) {
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else { throw failure("mkdir", path) }
    }

    private static func failure(_ call: String, _ path: String) -> Failure {
        Failure(description: "\(call) \(path): \(String(cString: strerror(errno)))")
    }
}
