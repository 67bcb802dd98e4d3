import CPython
import Glibc
import RuntimeJSON
import WorkerFrames

/// An owned (strong) reference to a Python object.
///
/// Only ever used while the GIL is held, inside ``PythonInterpreter/withGIL(_:)``.
/// It is deliberately not `Sendable`, so the compiler keeps it from escaping
/// the closure that holds the GIL.
final class PythonObject {
    let pointer: UnsafeMutablePointer<PyObject>

    /// Takes over a new reference (as returned by most C API calls).
    init(owning pointer: UnsafeMutablePointer<PyObject>) {
        self.pointer = pointer
    }

    /// Adds a reference to a borrowed pointer.
    init(borrowing pointer: UnsafeMutablePointer<PyObject>) {
        Py_IncRef(pointer)
        self.pointer = pointer
    }

    /// Wraps a new reference, turning `NULL` into the pending Python exception.
    static func check(_ pointer: UnsafeMutablePointer<PyObject>?) throws(PythonError) -> PythonObject {
        guard let pointer else { throw PythonError.fetch() }
        return PythonObject(owning: pointer)
    }

    deinit { Py_DecRef(pointer) }

    static var none: PythonObject { PythonObject(borrowing: shim_none()) }

    var isNone: Bool { pointer == shim_none() }
    var typeName: String { String(cString: shim_type_name(pointer)) }

    /// `type(self).__name__`, the short type name the contract reports.
    /// (Found in the C string: a search of the `String` for its last `.`
    /// goes by Characters, and cost 2,800 instructions for the one array a
    /// one-row prediction returns.)
    /// Cut to ``WorkerMessage/maximumNameBytes`` (the parent refuses longer).
    var shortTypeName: String {
        guard let full = shim_type_name(pointer) else { return "" }
        guard let dot = strrchr(full, Int32(UInt8(ascii: "."))) else {
            return String(cString: full).cut(toBytes: WorkerMessage.maximumNameBytes)
        }
        return String(cString: dot + 1).cut(toBytes: WorkerMessage.maximumNameBytes)
    }

    // The names go to C through `withCString`: a `String` passed as a
    // `char *` argument is copied to a new heap array when it is a small
    // string (15 bytes or fewer, as nearly every attribute name is), where
    // `withCString` uses the stack.

    func attribute(_ name: String) throws(PythonError) -> PythonObject {
        try PythonObject.check(name.withCString { PyObject_GetAttrString(pointer, $0) })
    }

    func call(method name: String) throws(PythonError) -> PythonObject {
        try PythonObject.check(name.withCString { shim_call_method0(pointer, $0) })
    }

    /// Calls this object with positional arguments.
    func call(_ arguments: [PythonObject]) throws(PythonError) -> PythonObject {
        let tuple = try PythonObject.tuple(arguments)
        return try PythonObject.check(PyObject_Call(pointer, tuple.pointer, nil))
    }

    /// `str(self)`, or nil when that raises.
    var str: String? {
        guard let s = PyObject_Str(pointer) else { PyErr_Clear(); return nil }
        defer { Py_DecRef(s) }
        return PythonObject.string(from: s)
    }

    /// `repr(self)`, falling back to a type description when repr raises.
    var repr: String {
        guard let r = PyObject_Repr(pointer) else { PyErr_Clear(); return "<\(typeName) object>" }
        defer { Py_DecRef(r) }
        return PythonObject.string(from: r) ?? "<\(typeName) object>"
    }

    /// The text of a `str` object. Lone surrogates, which UTF-8 (and so
    /// JSON text) cannot carry, become U+FFFD, one for each.
    static func string(from pointer: UnsafeMutablePointer<PyObject>) -> String? {
        var size: Py_ssize_t = 0
        if let utf8 = PyUnicode_AsUTF8AndSize(pointer, &size) {
            return utf8.withMemoryRebound(to: UInt8.self, capacity: Int(size)) {
                String(decoding: UnsafeBufferPointer(start: $0, count: Int(size)), as: UTF8.self)
            }
        }
        PyErr_Clear()
        let length = PyUnicode_GetLength(pointer)
        guard length >= 0, let codePoints = PyUnicode_AsUCS4Copy(pointer) else { PyErr_Clear(); return nil }
        defer { PyMem_Free(codePoints) }
        var scalars = String.UnicodeScalarView()
        for index in 0..<Int(length) {
            scalars.append(Unicode.Scalar(UInt32(codePoints[index])) ?? "\u{FFFD}")
        }
        return String(scalars)
    }

    var stringValue: String? { shim_is_unicode(pointer) != 0 ? PythonObject.string(from: pointer) : nil }

    static func string(_ text: String) throws(PythonError) -> PythonObject {
        let bytes = Array(text.utf8)
        let pointer = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { PyUnicode_FromStringAndSize($0.baseAddress, Py_ssize_t($0.count)) }
        }
        return try PythonObject.check(pointer)
    }

    /// A Python `bytes` copy of `bytes`.
    static func bytes(_ bytes: [UInt8]) throws(PythonError) -> PythonObject {
        try bytes.withUnsafeBufferPointer { buffer throws(PythonError) in
            try check(buffer.baseAddress.map { base in
                base.withMemoryRebound(to: CChar.self, capacity: buffer.count) { PyBytes_FromStringAndSize($0, buffer.count) }
            } ?? PyBytes_FromStringAndSize(nil, 0))
        }
    }

    static func int(_ value: Int) throws(PythonError) -> PythonObject {
        try PythonObject.check(PyLong_FromLongLong(Int64(value)))
    }

    static func tuple(_ items: [PythonObject]) throws(PythonError) -> PythonObject {
        let tuple = try PythonObject.check(PyTuple_New(Py_ssize_t(items.count)))
        for (i, item) in items.enumerated() {
            Py_IncRef(item.pointer)
            PyTuple_SetItem(tuple.pointer, Py_ssize_t(i), item.pointer)  // steals the reference
        }
        return tuple
    }

    /// `self[start:end]` along the first axis.
    func slice(_ start: Int, _ end: Int) throws(PythonError) -> PythonObject {
        let lo = try PythonObject.int(start), hi = try PythonObject.int(end)
        let slice = try PythonObject.check(PySlice_New(lo.pointer, hi.pointer, nil))
        return try PythonObject.check(PyObject_GetItem(pointer, slice.pointer))
    }

    /// `len(self)`, or nil when the object has no length.
    var length: Int? {
        let n = PyObject_Length(pointer)
        if n < 0 { PyErr_Clear(); return nil }
        return Int(n)
    }

    /// Iterates with Python's iterator protocol.
    func forEach(_ body: (PythonObject) throws -> Void) throws {
        let iterator = try PythonObject.check(PyObject_GetIter(pointer))
        while let next = PyIter_Next(iterator.pointer) {
            try body(PythonObject(owning: next))
        }
        if PyErr_Occurred() != nil { throw PythonError.fetch() }
    }
}
