import Foundation

/// Processes whose working folder is `folder` (a session's, from outside).
func processes(workingIn folder: String) -> [Int32] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return names.compactMap(Int32.init).filter { pid in
        guard let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else { return false }
        return cwd == folder || cwd.hasPrefix(folder + " ")
    }
}
