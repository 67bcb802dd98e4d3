import CPython

/// Notices whether code of the program runs on this thread while a value is
/// read: a display form or `__repr__` the program defined, a finalizer or
/// garbage-collector callback that ran during the read's allocations, an
/// audit hook. Such code may change any value, so the runtime must not keep
/// (nor go on serving) values it kept for the session.
///
/// It is a profile function (`PyEval_SetProfile`) on the reading thread for
/// the read's duration, looking at the file of every Python function called:
/// the Python installation's modules (the environment's and the base
/// prefixes, frozen modules) and the runtime's own helper modules are not the
/// program; anything else is (the session's files, `<string>` from `exec`).
final class ProgramCodeProbe {
    private(set) var ranProgramCode = false
    private let libraryFolders: [String]
    /// The runtime's own modules, defined from source (``PythonInterpreter/definedModuleFilenames``).
    private let runtimeModules = PythonInterpreter.definedModuleFilenames
    /// Verdicts by code object: library code or not.
    private var verdicts: [UnsafeMutableRawPointer: Bool] = [:]

    init(libraryFolders: [String]) {
        self.libraryFolders = libraryFolders.map { $0.hasSuffix("/") ? $0 : $0 + "/" }
    }

    /// Runs `body` (the GIL held) with the probe watching this thread.
    func watch<T>(_ body: () throws -> T) rethrows -> T {
        let unmanaged = Unmanaged.passRetained(self)
        defer { unmanaged.release() }
        guard let capsule = PyCapsule_New(unmanaged.toOpaque(), nil, nil) else {
            PyErr_Clear()
            ranProgramCode = true  // cannot watch: say the worst
            return try body()
        }
        PyEval_SetProfile(programCodeProfile, capsule)
        defer {
            PyEval_SetProfile(nil, nil)
            Py_DecRef(capsule)
        }
        return try body()
    }

    fileprivate func called(_ code: UnsafeMutableRawPointer) {
        if ranProgramCode { return }
        if let known = verdicts[code] {
            if !known { ranProgramCode = true }
            return
        }
        var library = false
        if let filename = PyObject_GetAttrString(code.assumingMemoryBound(to: PyObject.self), "co_filename") {
            if let text = PythonObject.string(from: filename) { library = isLibrary(text) }
            Py_DecRef(filename)
        } else {
            PyErr_Clear()
        }
        verdicts[code] = library
        if !library { ranProgramCode = true }
    }

    private func isLibrary(_ filename: String) -> Bool {
        if filename.hasPrefix("<frozen ") || runtimeModules.contains(filename) { return true }
        return libraryFolders.contains { filename.hasPrefix($0) }
    }
}

/// The profile function: on every Python function call, hands its code object to the probe.
private let programCodeProfile: Py_tracefunc = { object, frame, what, _ in
    guard what == PyTrace_CALL, let object, let frame, let pointer = PyCapsule_GetPointer(object, nil) else { return 0 }
    let probe = Unmanaged<ProgramCodeProbe>.fromOpaque(pointer).takeUnretainedValue()
    guard let code = PyFrame_GetCode(frame) else { return 0 }
    probe.called(UnsafeMutableRawPointer(code))
    Py_DecRef(UnsafeMutableRawPointer(code).assumingMemoryBound(to: PyObject.self))
    return 0
}
