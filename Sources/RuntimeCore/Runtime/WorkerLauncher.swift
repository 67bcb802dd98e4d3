import Foundation
import RuntimeJSON
import WorkerFrames

/// How worker processes are started: which executable, with which arguments.
public struct WorkerLauncher: Sendable, Equatable {
    /// The worker executable.
    public var executable: String
    /// Arguments placed before the worker's own (e.g. `--runtime-worker`
    /// when the executable is your program calling `RuntimeWorker.runIfRequested()` of `PythonWorker`).
    public var leadingArguments: [String]

    /// A launcher for the worker at `executable` (an absolute path).
    public init(executable: String, leadingArguments: [String] = []) {
        self.executable = executable
        self.leadingArguments = leadingArguments
    }

    /// `$RUNTIME_WORKER` if set, else `runtime-worker` beside the running executable.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) -> WorkerLauncher {
        if let path = environment["RUNTIME_WORKER"], !path.isEmpty { return WorkerLauncher(executable: path) }
        let own = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var folder = (own as NSString).deletingLastPathComponent
        // A test bundle (`X.xctest`) sits in the build folder like the executables.
        if folder.hasSuffix(".xctest") { folder = (folder as NSString).deletingLastPathComponent }
        return WorkerLauncher(executable: (folder as NSString).appendingPathComponent("runtime-worker"))
    }

    /// This executable itself in worker mode; it must call `RuntimeWorker.runIfRequested()` (module `PythonWorker`) first thing.
    ///
    /// Your executable then depends on the `PythonWorker` product as well as
    /// `RuntimeCore`, and links CPython (it never starts an interpreter but
    /// in worker mode).
    public static var currentExecutable: WorkerLauncher {
        let own = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return WorkerLauncher(executable: own, leadingArguments: [FrameProtocol.workerFlag])
    }
}
