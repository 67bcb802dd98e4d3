import Foundation
import RuntimeJSON
import WorkerFrames

/// What a session's Python worker does for engines: the capability through
/// which the default ``StatsEngine`` and ``ModelInvoker`` reach the live
/// values, open to engines of your own.
///
/// A ``Session`` offers it as ``Session/pythonWorker``; RuntimeCore's own
/// sessions always do, a session of yours may (or return nil). Every result
/// is JSON text encoded once in the worker.
public protocol PythonWorkerAccess: Sendable {
    /// The session's working folder (where relative data paths point).
    var workingDirectory: URL { get }

    /// Whether data file paths are resolved (and checked) by the worker
    /// itself, because its files are on another machine; false (the
    /// default): resolve them against ``workingDirectory`` first.
    var resolvesDataPaths: Bool { get }

    /// The statistics of the dataset `name`, computed natively in the worker
    /// (`{"rowCount": N, "columns": [...]}` as the contract's `get_stats` has it).
    func nativeStatistics(of name: String) async throws(RuntimeError) -> JSONFragment

    /// Calls the model `name` (its `predict`, or `method`) on `data`: inline
    /// JSON passed to Python as it is, or a file at an absolute path the
    /// caller has already checked.
    func callModel(named name: String, data: ModelData, method: String?) async throws(RuntimeError) -> JSONFragment

    /// Calls a Python callable, given as source (`"lambda df: df.describe()"`),
    /// on the value of `name`, and encodes what it returns by the placeholder
    /// rules. A function that raises is `INVALID_REQUEST` with the Python
    /// error in ``/WorkerFrames/RuntimeError/programError``. Only builtins
    /// are in the function's globals (`__import__("numpy")` reaches a module).
    func apply(function source: String, to name: String) async throws(RuntimeError) -> JSONFragment
}

/// The data a model is called on, as it reaches the worker.
public enum ModelData: Sendable, Equatable {
    /// JSON in one of the contract's shapes.
    case inline(JSONFragment)
    /// A data file (CSV, `.npy`, `.json`) at an absolute path.
    case file(absolutePath: String)
    /// A data file the worker resolves itself, relative to its session's
    /// folder and allowed only there or in `allowedFolders` (symlinks
    /// followed): for a worker whose files are on another machine
    /// (``PythonWorkerAccess/resolvesDataPaths``).
    case unresolvedFile(path: String, allowedFolders: [URL])
}

extension PythonWorkerAccess {
    /// False: the worker's files are on this machine.
    public var resolvesDataPaths: Bool { false }
}

extension WorkerSession: PythonWorkerAccess {
    nonisolated var pythonWorker: (any PythonWorkerAccess)? { self }

    nonisolated var workingDirectory: URL { directory }

    nonisolated var resolvesDataPaths: Bool { assignedWorker.withLock { $0?.remote != nil } }

    nonisolated func nativeStatistics(of name: String) async throws(RuntimeError) -> JSONFragment {
        try await workerResult(.statistics(name: name))
    }

    nonisolated func callModel(named name: String, data: ModelData, method: String?) async throws(RuntimeError) -> JSONFragment {
        switch data {
        case .inline(let json):
            return try await workerResult(.model(.init(name: name, data: json, path: nil, method: method)))
        case .file(let path):
            return try await workerResult(.model(.init(name: name, data: nil, path: path, method: method)))
        case .unresolvedFile(let path, let allowed):
            return try await workerResult(.model(.init(name: name, data: nil, path: path, method: method,
                                                       allowedFolders: allowed.map(\.path))))
        }
    }

    nonisolated func apply(function source: String, to name: String) async throws(RuntimeError) -> JSONFragment {
        try await workerResult(.apply(name: name, function: source))
    }
}
