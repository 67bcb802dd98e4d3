import Foundation
import RuntimeJSON
import WorkerFrames

/// What a model is called on: inline data in one of the contract's shapes, or
/// a file (CSV with a header row, `.npy` or `.json`).
public enum ModelInput: Sendable, Equatable {
    /// One instance (a flat array, or an object of feature to value), a list of
    /// instances, or an MLflow shape (`dataframe_split`, `dataframe_records`,
    /// `instances`, `inputs`), as JSON text: the server passes the client's
    /// bytes on unchanged. Literals work: `.inline(["x": [1, 2]])`.
    case inline(JSONFragment)
    /// A path relative to the session's working folder, or inside an allowed data folder.
    case file(String)
}

/// Calls a model a session saved on new data.
public protocol ModelInvoker: Sendable {
    /// The model's predictions (a one-element list for a single instance),
    /// encoded by the placeholder rules, as JSON text.
    ///
    /// - Parameters:
    ///   - name: the placeholder (or main-module global) holding the model.
    ///   - input: the data to call it on.
    ///   - method: another method than `predict` (e.g. `predict_proba`), or nil.
    ///   - session: the session the model lives in.
    /// - Throws: ``/WorkerFrames/RuntimeError`` with the contract's code:
    ///   `NOT_A_MODEL`, `MODEL_ERROR` (the Python error in
    ///   ``/WorkerFrames/RuntimeError/programError``), `INVALID_REQUEST`
    ///   for data the model cannot take, `PATH_NOT_ALLOWED`, ...
    func predict(model name: String, input: ModelInput, method: String?,
                 in session: any Session) async throws(RuntimeError) -> JSONFragment

    /// Folders besides its own that a session's program may read (data files
    /// the invoker serves from); the worker's sandbox opens them read-only.
    var readableFolders: [URL] { get }
}

extension ModelInvoker {
    /// None by default.
    public var readableFolders: [URL] { [] }
}

/// The default ``ModelInvoker``: calls `predict` (or the named method) of a
/// scikit-learn style object, else the object itself if callable, inside the
/// session's worker. Objects become a DataFrame whose columns follow the
/// model's `feature_names_in_`; arrays become a 2-D array (a DataFrame with
/// those names when the model has them).
public struct PythonModelInvoker: ModelInvoker {
    /// Folders besides the session's own from which data files may be read.
    public var allowedDataFolders: [URL]

    /// The allowed data folders: sessions' programs may read them too.
    public var readableFolders: [URL] { allowedDataFolders }

    /// An invoker that reads data files from the session's folder and `allowedDataFolders`.
    public init(allowedDataFolders: [URL] = []) {
        self.allowedDataFolders = allowedDataFolders
    }

    /// Calls the model in the session's worker, a data file's path resolved
    /// first (symlinks followed) and refused with `PATH_NOT_ALLOWED` outside
    /// the session's folder and ``allowedDataFolders``; `INVALID_REQUEST`
    /// for a session without a Python worker.
    public func predict(model name: String, input: ModelInput, method: String?,
                        in session: any Session) async throws(RuntimeError) -> JSONFragment {
        guard let worker = session.pythonWorker else {
            throw RuntimeError(.invalidRequest, "session \(session.id) has no Python worker to call models in")
        }
        switch input {
        case .inline(let data):
            return try await worker.callModel(named: name, data: .inline(data), method: method)
        case .file(let path) where worker.resolvesDataPaths:
            // A remote worker's files are on its node: it applies the same policy there.
            return try await worker.callModel(named: name, data: .unresolvedFile(path: path, allowedFolders: allowedDataFolders),
                                              method: method)
        case .file(let path):
            let policy = DataPathPolicy(sessionFolder: worker.workingDirectory.path, allowedFolders: allowedDataFolders.map(\.path))
            return try await worker.callModel(named: name, data: .file(absolutePath: try policy.resolve(path)), method: method)
        }
    }
}

extension ModelInvoker where Self == PythonModelInvoker {
    /// The default invoker, reading data files from the session's folder and `allowedDataFolders`.
    public static func python(allowedDataFolders: [URL] = []) -> PythonModelInvoker {
        PythonModelInvoker(allowedDataFolders: allowedDataFolders)
    }
}
