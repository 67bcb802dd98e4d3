import CPython
import Glibc
import Synchronization
import RuntimeJSON
import WorkerFrames

/// The one embedded interpreter of a worker process.
///
/// `initialize` runs once on the process's main thread (so that Python's
/// signal handlers, and with them `KeyboardInterrupt`, work); afterwards the
/// GIL is released and every use goes through ``withGIL(_:)``.
enum PythonInterpreter {
    struct InitializationError: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts the interpreter with `programName` as `sys.executable`, from
    /// which CPython finds the environment (a venv's `pyvenv.cfg`, or the
    /// system's prefix). Leaves the GIL held by the calling thread.
    /// A `programName` path (one with a `/`) that names no file is refused:
    /// CPython would start from its built-in prefix instead, silently
    /// another environment. A bare name (`python3`) is left to CPython, which
    /// looks it up in `PATH`.
    static func initialize(programName: String) throws(InitializationError) {
        var status = stat()
        let missing = !programName.contains("/") || stat(programName, &status) == 0 ? 0 : errno
        if missing == ENOENT || missing == ENOTDIR {
            throw InitializationError(description: "no Python interpreter at \(programName): \(String(cString: strerror(missing)))")
        }
        if let failure = shim_initialize(programName) {
            throw InitializationError(description: String(cString: failure))
        }
    }

    /// Releases the GIL after initialisation, so other threads can take it.
    static func releaseAfterInitialization() {
        _ = PyEval_SaveThread()
    }

    /// Runs `body` holding the GIL. Never await inside; keep the work short on
    /// shared threads.
    static func withGIL<T>(_ body: () throws -> T) rethrows -> T {
        let state = PyGILState_Ensure()
        defer { PyGILState_Release(state) }
        return try body()
    }

    /// Imports a module by name.
    static func importModule(_ name: String) throws(PythonError) -> PythonObject {
        try PythonObject.check(PyImport_ImportModule(name))
    }

    /// `sys.modules[name]` (a borrowed reference) when that module was
    /// already imported, else nil.
    static func loadedModule(_ name: String) -> UnsafeMutablePointer<PyObject>? {
        guard let modules = PyImport_GetModuleDict() else { return nil }
        return name.withCString { PyDict_GetItemString(modules, $0) }
    }

    /// Compiles and executes `source` as a new module registered under `name`.
    static func defineModule(named name: String, source: String) throws(PythonError) -> PythonObject {
        let filename = "<\(name)>"
        let code = try PythonObject.check(Py_CompileString(source, filename, Py_file_input))
        definedModules.withLock { _ = $0.insert(filename) }
        return try PythonObject.check(PyImport_ExecCodeModule(name, code.pointer))
    }

    /// The code filenames (`<name>`) of the modules ``defineModule(named:source:)``
    /// defined: the runtime's own, not the program's.
    static var definedModuleFilenames: Set<String> { definedModules.withLock { $0 } }

    private static let definedModules = Mutex<Set<String>>([])
}
