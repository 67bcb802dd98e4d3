import Foundation
import RuntimeJSON
import WorkerFrames

/// Decides whether a data file may be read: a path, relative (to the
/// session's working folder) or absolute, is allowed when it resolves,
/// symlinks followed, inside the session's folder or an allowed data folder.
struct DataPathPolicy {
    let sessionFolder: URL
    let allowedFolders: [URL]

    /// The resolved absolute path, or `PATH_NOT_ALLOWED`; a path inside the
    /// allowed folders that does not exist is `INVALID_REQUEST`.
    func resolve(_ path: String) throws(RuntimeError) -> String {
        guard !path.isEmpty else { throw RuntimeError(.invalidRequest, "model.data (the file path) is empty") }
        guard !path.unicodeScalars.contains("\0") else { throw notAllowed(path) }
        let candidate = path.hasPrefix("/") ? path : sessionFolder.path + "/" + path
        let roots = ([sessionFolder] + allowedFolders).compactMap { DataPathPolicy.realPath($0.path) }
        if let resolved = DataPathPolicy.realPath(candidate) {
            guard roots.contains(where: { resolved.hasPrefix($0 + "/") }) else { throw notAllowed(path) }
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: resolved, isDirectory: &isFolder), isFolder.boolValue {
                throw RuntimeError(.invalidRequest, "model.data '\(path)' is a folder, not a file")
            }
            return resolved
        }
        // It does not exist: say so only when it would have been allowed.
        let parent = (candidate as NSString).deletingLastPathComponent
        let name = (candidate as NSString).lastPathComponent
        if name != "..", name != ".", let folder = DataPathPolicy.realPath(parent),
            roots.contains(where: { (folder + "/" + name).hasPrefix($0 + "/") })
        {
            throw RuntimeError(.invalidRequest, "model.data: no file '\(path)'")
        }
        throw notAllowed(path)
    }

    private func notAllowed(_ path: String) -> RuntimeError {
        RuntimeError(.pathNotAllowed, "model.data '\(path.replacingOccurrences(of: "\0", with: "\\0"))' is outside the session's folder and the allowed data folders")
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
