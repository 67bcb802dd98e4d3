import CPython
import Glibc
import RuntimeJSON
import WorkerFrames

/// An interpreter ready for a session: the runtime's helper modules defined,
/// the preloaded modules imported. A spawned worker prepares its own; a fork
/// server prepares one and every worker it forks inherits it.
struct PreparedInterpreter: @unchecked Sendable {
    // The helper module is only touched while holding the GIL.
    let handler: WorkerRequestHandler
    /// The Python environment's folders (read-only for the session).
    let pythonFolders: [String]
    let pythonVersion: String
    let pythonExecutable: String
    let pythonPrefix: String
    let preloaded: [String]
    let preloadErrors: [(String, String)]
    fileprivate let helper: PythonObject

    /// Defines the helper modules and imports `preload`. Holds the GIL (the
    /// interpreter was just initialised on this thread).
    static func prepare(preload: [String]) throws -> PreparedInterpreter {
        let native = try PythonObject.check(PyModule_New("_runtime_native"))
        let emit = try PythonObject.check(shim_make_function("emit", emitCallback))
        guard PyObject_SetAttrString(native.pointer, "emit", emit.pointer) == 0,
            let modules = PyImport_GetModuleDict(),
            PyDict_SetItemString(modules, "_runtime_native", native.pointer) == 0
        else { throw PythonError.fetch() }
        let helper = try PythonInterpreter.defineModule(named: "_runtime_worker", source: WorkerPythonSource.helper)
        _ = try PythonInterpreter.defineModule(named: "runtimeBridge", source: WorkerPythonSource.bridge)
        _ = try helper.attribute("prepare_interpreter").call([])
        let sandboxModule = try PythonInterpreter.defineModule(named: "_runtime_sandbox", source: WorkerPythonSource.sandbox)

        var loaded: [String] = []
        var failures: [(String, String)] = []
        for name in preload {
            do {
                _ = try PythonInterpreter.importModule(name)
                loaded.append(name)
            } catch {
                failures.append((name, error.description))
            }
        }
        let sys = try PythonInterpreter.importModule("sys")
        let folders = try sandboxModule.attribute("python_folders").call([]).stringValue ?? ""
        return PreparedInterpreter(
            handler: WorkerRequestHandler(helper: helper),
            pythonFolders: folders.split(separator: "\n").map(String.init),
            pythonVersion: try sys.attribute("version").stringValue ?? "",
            pythonExecutable: try sys.attribute("executable").stringValue ?? "",
            pythonPrefix: try sys.attribute("prefix").stringValue ?? "",
            preloaded: loaded, preloadErrors: failures, helper: helper)
    }

    /// The worker's greeting.
    func hello(pid: pid_t, refused: [String]) -> WorkerHello {
        WorkerHello(pid: pid, pythonVersion: pythonVersion, pythonExecutable: pythonExecutable, pythonPrefix: pythonPrefix,
                    preloaded: preloaded, preloadErrors: preloadErrors, refused: refused)
    }

    /// Before the fork server's first fork (GIL held): a full collection,
    /// then `gc.freeze()`, so that the collector never writes to the
    /// objects every fork shares (their pages stay shared).
    func freezeForForking() throws {
        _ = try helper.attribute("freeze_for_fork").call([])
    }

    /// In a forked worker, GIL held: what `fork()` leaves for the child to
    /// do. Python's own `os.register_at_fork` hooks (the `random` module's
    /// re-seed) ran in `PyOS_AfterFork_Child`; this re-seeds numpy's global
    /// generator, which has none, and installs the signal handling Python
    /// set up in the fork server (the forked child reset it).
    func afterFork() throws {
        _ = try helper.attribute("after_fork").call([])
    }
}
