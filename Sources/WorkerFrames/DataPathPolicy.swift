import Glibc
import RuntimeJSON

/// Decides whether a data file may be read: a path, relative (to the
/// session's working folder) or absolute, is allowed when it resolves,
/// symlinks followed, inside the session's folder or an allowed data folder.
///
/// The parent applies it for a local worker; a remote worker applies it
/// itself, on its node, where the session's files are.
package struct DataPathPolicy: Sendable {
    package let sessionFolder: String
    package let allowedFolders: [String]

    package init(sessionFolder: String, allowedFolders: [String]) {
        self.sessionFolder = sessionFolder
        self.allowedFolders = allowedFolders
    }

    /// The resolved absolute path, or `PATH_NOT_ALLOWED`; a path inside the
    /// allowed folders that does not exist is `INVALID_REQUEST`.
    package func resolve(_ path: String) throws(RuntimeError) -> String {
        guard !path.isEmpty else { throw RuntimeError(.invalidRequest, "model.data (the file path) is empty") }
        guard !path.unicodeScalars.contains("\0") else { throw notAllowed(path) }
        let candidate = path.hasPrefix("/") ? path : sessionFolder + "/" + path
        let roots = ([sessionFolder] + allowedFolders).compactMap(DataPathPolicy.realPath)
        if let resolved = DataPathPolicy.realPath(candidate) {
            // A root itself is inside (a folder: refused below as one).
            guard roots.contains(where: { resolved == $0 || resolved.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) else {
                throw notAllowed(path)
            }
            var status = stat()
            if stat(resolved, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
                throw RuntimeError(.invalidRequest, "model.data '\(path)' is a folder, not a file")
            }
            return resolved
        }
        // It does not exist: say so only when it would have been allowed.
        let cut = candidate.lastIndex(of: "/").map { candidate.index(after: $0) } ?? candidate.startIndex
        let parent = String(candidate[..<cut]).isEmpty ? "." : String(candidate[..<cut])
        let name = String(candidate[cut...])
        if name != "..", name != ".", let folder = DataPathPolicy.realPath(parent),
            roots.contains(where: { (folder + "/" + name).hasPrefix($0 + "/") })
        {
            throw RuntimeError(.invalidRequest, "model.data: no file '\(path)'")
        }
        throw notAllowed(path)
    }

    private func notAllowed(_ path: String) -> RuntimeError {
        RuntimeError(.pathNotAllowed, "model.data '\(path.unicodeScalars.map { $0 == "\0" ? "\\0" : String($0) }.joined())' is outside the session's folder and the allowed data folders")
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
