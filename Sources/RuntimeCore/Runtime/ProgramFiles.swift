import Foundation
import RuntimeJSON
import WorkerFrames

/// Writes a validated ``Program`` into a session's working folder.
enum ProgramFiles {
    static func write(_ program: Program, into directory: URL) throws {
        let files = FileManager.default
        try files.createDirectory(at: directory, withIntermediateDirectories: true)
        for file in program.files {
            let target = directory.appendingPathComponent(Program.segments(of: file.filename).joined(separator: "/"))
            try files.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(file.content.utf8).write(to: target, options: .withoutOverwriting)
        }
    }
}
