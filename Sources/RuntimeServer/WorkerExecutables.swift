import ArgumentParser
import Foundation
import RuntimeCore

/// The programs a local server starts for its sessions, checked before it
/// listens: a server that could never start a worker would otherwise report
/// itself healthy and fail every run with `RuntimeUnavailable`.
enum WorkerExecutables {
    static func check(_ runtime: RuntimeConfiguration) throws {
        try check(runtime.python.executable, as: "--python (the Python the workers embed)")
        try check(runtime.worker.executable, as: "the worker executable ($RUNTIME_WORKER, else runtime-worker beside RuntimeServer)")
    }

    private static func check(_ path: String, as what: String) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw ValidationError("\(what): \(path) does not exist")
        }
        guard !isFolder.boolValue, FileManager.default.isExecutableFile(atPath: path) else {
            throw ValidationError("\(what): \(path) is not an executable file")
        }
    }
}
