import CPython
import RuntimeJSON
import WorkerFrames

/// Count, missing, distinct, most frequent values and lengths of a column of
/// Python strings, read through the C API in Swift (no Python-level loop).
struct StringColumnSummary {
    var count = 0
    var missing = 0
    var distinct = 0
    var top: [(String, Int)] = []
    var minLength: Int?
    var maxLength: Int?
    var meanLength: Double?

    /// Must hold the GIL. `array` is a 1-D object array.
    static func compute(_ array: PythonObject) throws -> StringColumnSummary {
        let list = try array.call(method: "tolist")
        guard shim_is_list(list.pointer) != 0 else { return StringColumnSummary() }
        let counts = try PythonObject.check(PyDict_New())
        var summary = StringColumnSummary()
        var totalLength = 0
        let n = PyList_Size(list.pointer)
        for i in 0..<n {
            guard let item = PyList_GetItem(list.pointer, i) else { continue }
            guard shim_is_unicode(item) != 0 else {
                summary.missing += 1  // None, NaN, pd.NA
                continue
            }
            summary.count += 1
            let length = Int(PyUnicode_GetLength(item))
            totalLength += length
            summary.minLength = Swift.min(summary.minLength ?? length, length)
            summary.maxLength = Swift.max(summary.maxLength ?? length, length)
            let previous = PyDict_GetItem(counts.pointer, item).map { PyLong_AsLongLong($0) } ?? 0
            let next = try PythonObject.check(PyLong_FromLongLong(previous + 1))
            PyDict_SetItem(counts.pointer, item, next.pointer)
        }
        summary.distinct = Int(PyDict_Size(counts.pointer))
        if summary.count > 0 { summary.meanLength = Double(totalLength) / Double(summary.count) }
        summary.top = mostFrequent(counts, limit: 10)
        return summary
    }

    /// The `limit` most frequent keys, most frequent first, ties in first-seen order.
    static func mostFrequent(_ counts: PythonObject, limit: Int) -> [(String, Int)] {
        var entries: [(String, Int, Int)] = []
        var position: Py_ssize_t = 0
        var key: UnsafeMutablePointer<PyObject>?
        var value: UnsafeMutablePointer<PyObject>?
        var order = 0
        while PyDict_Next(counts.pointer, &position, &key, &value) != 0 {
            guard let key, let value else { continue }
            entries.append((PythonObject.string(from: key) ?? "", Int(PyLong_AsLongLong(value)), order))
            order += 1
        }
        entries.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.2 < $1.2 }
        return entries.prefix(limit).map { ($0.0, $0.1) }
    }
}
