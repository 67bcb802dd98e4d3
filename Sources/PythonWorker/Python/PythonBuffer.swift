import CPython
import RuntimeJSON
import WorkerFrames

/// A strided view of a Python object's memory through the buffer protocol.
enum PythonBuffer {
    /// Runs `body` with the object's buffer (strides and format requested);
    /// nil when the object exports none. Must hold the GIL.
    static func withView<T>(of object: PythonObject, _ body: (Py_buffer) -> T?) -> T? {
        var view = Py_buffer()
        guard PyObject_GetBuffer(object.pointer, &view, shim_buf_records_ro()) == 0 else {
            PyErr_Clear()
            return nil
        }
        defer { PyBuffer_Release(&view) }
        return body(view)
    }

    /// Runs `body` with a 1-D buffer's base address, length, stride and item size.
    static func withColumn<T>(of object: PythonObject,
                              _ body: (_ base: UnsafeRawPointer?, _ count: Int, _ stride: Int, _ itemSize: Int) -> T?) -> T? {
        withView(of: object) { view in
            guard view.ndim == 1, let shape = view.shape, let strides = view.strides else { return nil }
            return body(UnsafeRawPointer(view.buf), Int(shape[0]), Int(strides[0]), Int(view.itemsize))
        }
    }
}
