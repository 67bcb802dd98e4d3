import Foundation
import RuntimeJSON
import WorkerFrames

/// The Python installation the workers embed: the `program_name` given to
/// CPython, from which it finds its prefix and site-packages.
public struct PythonEnvironment: Sendable, Equatable, CustomStringConvertible {
    /// Where the choice came from.
    public enum Source: String, Sendable {
        /// Named explicitly (`--python`, or the configuration).
        case configured
        /// `$VIRTUAL_ENV/bin/python`.
        case virtualEnv = "VIRTUAL_ENV"
        /// The project's `.venv` next to its `Package.swift`.
        case projectVenv = "project .venv"
        /// `/usr/bin/python3`, Debian's Python, which libpython3.11 belongs to.
        case system
    }

    /// The interpreter path handed to CPython as `program_name`.
    public var executable: String
    /// Where the choice came from (for logs: the server logs it at start).
    public var source: Source

    /// The environment whose interpreter is `executable`, e.g. a virtual
    /// environment's `bin/python` (made from `/usr/bin/python3`).
    public init(executable: String, source: Source) {
        self.executable = executable
        self.source = source
    }

    /// The path and where it came from: `/srv/.venv/bin/python (VIRTUAL_ENV)`.
    public var description: String { "\(executable) (\(source.rawValue))" }

    /// The system Python that libpython3.11 belongs to.
    public static let systemPython = "/usr/bin/python3"

    /// Chooses the environment: `explicit` if given, else `$VIRTUAL_ENV`, else
    /// a `.venv` beside a `Package.swift` in `searchFrom` or one of its
    /// parents, else the system Python.
    public static func resolve(
        explicit: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        searchFrom: [String] = PythonEnvironment.defaultSearchFolders()
    ) -> PythonEnvironment {
        if let explicit, !explicit.isEmpty {
            return PythonEnvironment(executable: explicit, source: .configured)
        }
        let files = FileManager.default
        if let venv = environment["VIRTUAL_ENV"], !venv.isEmpty {
            let python = (venv as NSString).appendingPathComponent("bin/python")
            if files.isExecutableFile(atPath: python) { return PythonEnvironment(executable: python, source: .virtualEnv) }
        }
        for start in searchFrom {
            var folder = URL(fileURLWithPath: start).standardizedFileURL
            while true {
                let python = folder.appendingPathComponent(".venv/bin/python").path
                if files.fileExists(atPath: folder.appendingPathComponent("Package.swift").path),
                    files.isExecutableFile(atPath: python)
                {
                    return PythonEnvironment(executable: python, source: .projectVenv)
                }
                let parent = folder.deletingLastPathComponent()
                if parent.path == folder.path { break }
                folder = parent
            }
        }
        return PythonEnvironment(executable: systemPython, source: .system)
    }

    /// The current folder and the running executable's folder.
    public static func defaultSearchFolders() -> [String] {
        var folders = [FileManager.default.currentDirectoryPath]
        if let executable = Bundle.main.executablePath {
            folders.append((executable as NSString).deletingLastPathComponent)
        }
        return folders
    }
}
