import Foundation
import RuntimeJSON
import WorkerFrames

/// One source file of a program, by the name the client gave it.
public struct SourceFile: Sendable, Equatable {
    /// A relative path of plain segments, e.g. `main.py` or `pkg/util.py`.
    public var filename: String
    /// The file's text, written as UTF-8.
    public var content: String

    /// A file; its name is checked when a ``Program`` is made of it.
    public init(filename: String, content: String) {
        self.filename = filename
        self.content = content
    }
}

/// A program to run: its files and which of them is the main file.
///
/// The initialiser validates everything the contract asks of a `run` request,
/// so a `Program` that exists can be written to disk safely.
public struct Program: Sendable, Equatable {
    /// The files, as given.
    public let files: [SourceFile]
    /// The main file's name, normalised (`./main.py` is `main.py`).
    public let mainFile: String

    /// A program, once every file name, the main file and the limits are
    /// checked.
    ///
    /// - Parameters:
    ///   - files: the program's files; at least one, no name twice, no name
    ///     that is also a folder of another.
    ///   - mainFile: the file run as `__main__`; one of `files`.
    ///   - declaredCount: the request's `number`, when it sent one; it must equal `files.count`.
    ///   - limits: how many files and bytes a program may have.
    /// - Throws: ``/WorkerFrames/RuntimeError`` with `INVALID_FILENAME` (a
    ///   refused or repeated name, see ``validate(filename:field:)``),
    ///   `INVALID_REQUEST` (no files, a wrong count) or `LIMIT_EXCEEDED`.
    public init(files: [SourceFile], mainFile: String, declaredCount: Int? = nil,
                limits: ProgramLimits = ProgramLimits()) throws(RuntimeError) {
        if let declaredCount, declaredCount != files.count {
            throw RuntimeError(.invalidRequest, "python.number is \(declaredCount) but python.files has \(files.count) entries")
        }
        guard !files.isEmpty else { throw RuntimeError(.invalidRequest, "python.files must name at least one file") }
        guard files.count <= limits.maximumFiles else {
            throw RuntimeError(.limitExceeded, "a run may have at most \(limits.maximumFiles) files; this one has \(files.count)")
        }
        let bytes = files.reduce(0) { $0 + $1.content.utf8.count }
        guard bytes <= limits.maximumBytes else {
            throw RuntimeError(.limitExceeded, "a run may have at most \(limits.maximumBytes) bytes of files; this one has \(bytes)")
        }
        var seen = Set<String>()
        for (index, file) in files.enumerated() {
            try Program.validate(filename: file.filename, field: "python.files[\(index)].filename")
            let normalised = Program.segments(of: file.filename).joined(separator: "/")
            guard seen.insert(normalised).inserted else {
                throw RuntimeError(.invalidFilename, "filename '\(file.filename)' is given twice")
            }
        }
        try Program.validate(filename: mainFile, field: "python.mainfile")
        guard seen.contains(Program.segments(of: mainFile).joined(separator: "/")) else {
            throw RuntimeError(.invalidFilename, "python.mainfile '\(mainFile)' is not one of the files")
        }
        for file in files where seen.contains(where: { $0.hasPrefix(Program.segments(of: file.filename).joined(separator: "/") + "/") }) {
            throw RuntimeError(.invalidFilename, "filename '\(file.filename)' is also used as a folder")
        }
        self.files = files
        self.mainFile = Program.segments(of: mainFile).joined(separator: "/")
    }

    /// The longest path segment accepted, in UTF-8 bytes (Linux's `NAME_MAX`).
    public static let maximumSegmentBytes = 255
    /// The longest filename accepted, in UTF-8 bytes.
    public static let maximumFilenameBytes = 1024

    /// Refuses absolute paths, `..` segments, NUL bytes and other control
    /// characters (C0, DEL, C1), backslashes, empty names, and names or segments
    /// over ``maximumFilenameBytes`` / ``maximumSegmentBytes``.
    public static func validate(filename: String, field: String = "filename") throws(RuntimeError) {
        func refuse(_ why: String) -> RuntimeError {
            RuntimeError(.invalidFilename, "\(field) '\(filename.quotedForMessage())' is refused: \(why)")
        }
        if filename.isEmpty { throw RuntimeError(.invalidFilename, "\(field) is empty") }
        let bytes = filename.utf8.count
        if bytes > maximumFilenameBytes {
            throw refuse("it is \(bytes) bytes long; at most \(maximumFilenameBytes) are allowed")
        }
        if filename.unicodeScalars.contains("\0") { throw refuse("it contains a NUL byte") }
        if let control = filename.unicodeScalars.first(where: \.isControlCharacter) {
            throw refuse("it contains the control character U+\(control.hexCode)")
        }
        if let long = filename.split(separator: "/").first(where: { $0.utf8.count > maximumSegmentBytes }) {
            throw refuse("its segment of \(long.utf8.count) bytes is over \(maximumSegmentBytes)")
        }
        if filename.contains("\\") { throw refuse("backslashes are not allowed") }
        if filename.hasPrefix("/") { throw refuse("absolute paths are not allowed") }
        let parts = filename.split(separator: "/", omittingEmptySubsequences: false)
        if parts.contains("..") { throw refuse("'..' segments are not allowed") }
        if segments(of: filename).isEmpty { throw refuse("it names no file") }
        if filename.hasSuffix("/") { throw refuse("it names a folder") }
    }

    /// The path's segments without empty and `.` ones.
    static func segments(of filename: String) -> [Substring] {
        filename.split(separator: "/").filter { $0 != "." }
    }
}

/// Size limits on a program.
public struct ProgramLimits: Sendable, Equatable {
    /// Files a program may have.
    public var maximumFiles: Int
    /// Bytes of file contents (UTF-8) a program may have, all files together.
    public var maximumBytes: Int

    /// Limits of 1000 files and 32 MiB unless given.
    public init(maximumFiles: Int = 1000, maximumBytes: Int = 32 << 20) {
        self.maximumFiles = maximumFiles
        self.maximumBytes = maximumBytes
    }
}
