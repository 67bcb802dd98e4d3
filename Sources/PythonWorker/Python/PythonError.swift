import CPython
import RuntimeJSON
import WorkerFrames

/// A Python exception caught on the Swift side: its type name, its message,
/// and the formatted traceback when one was available.
struct PythonError: Error, Sendable, CustomStringConvertible {
    var typeName: String
    var message: String

    var description: String { message.isEmpty ? typeName : "\(typeName): \(message)" }

    /// Takes (and clears) the pending Python exception. Must hold the GIL.
    static func fetch() -> PythonError {
        var type: UnsafeMutablePointer<PyObject>?
        var value: UnsafeMutablePointer<PyObject>?
        var traceback: UnsafeMutablePointer<PyObject>?
        PyErr_Fetch(&type, &value, &traceback)
        defer {
            if let type { Py_DecRef(type) }
            if let value { Py_DecRef(value) }
            if let traceback { Py_DecRef(traceback) }
        }
        guard type != nil else { return PythonError(typeName: "SystemError", message: "error return without exception set") }
        PyErr_NormalizeException(&type, &value, &traceback)
        let name: String
        if let type, let n = PyObject_GetAttrString(type, "__name__") {
            name = PythonObject.string(from: n) ?? "Exception"
            Py_DecRef(n)
        } else {
            PyErr_Clear()
            name = "Exception"
        }
        var message = ""
        if let value, let s = PyObject_Str(value) {
            message = PythonObject.string(from: s) ?? ""
            Py_DecRef(s)
        } else {
            PyErr_Clear()
        }
        return PythonError(typeName: name, message: message)
    }
}
