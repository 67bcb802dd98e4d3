import CPython
import RuntimeJSON
import WorkerFrames

/// Writes a DataFrame whose columns are all numeric or boolean numpy arrays
/// straight into JSON bytes, reading each column through the buffer
/// protocol: the largest reads (numeric tables) skip the ``JSONValue`` tree,
/// which cost an allocation per row and a release per value. The bytes are
/// exactly those of the tree path (`{"columns", "index", "data"}`, rows of
/// values; non-finite floats `null`, or spelt with `exact`). Must hold the GIL.
struct NumericFrameWriter {
    let exact: Bool
    let budget: ReadBudget?

    /// One column's memory while its buffer view is held.
    private struct Column {
        var view: Py_buffer
        var count: Int
        var stride: Int
        var write: (UnsafeRawPointer, inout JSONWriter) -> Void
    }

    /// The frame's JSON, or nil (nothing done) when a column is not a
    /// numeric or boolean 1-D buffer this writer reads.
    func write(columns: JSONValue, index: JSONValue, arrays: [PythonObject]) throws(ReadInterruption) -> JSONFragment? {
        guard !arrays.isEmpty else { return nil }
        var held: [Column] = []
        defer { for index in held.indices { PyBuffer_Release(&held[index].view) } }
        for array in arrays {
            guard let column = Self.column(array, exact: exact) else { return nil }
            held.append(column)
        }
        let rows = held[0].count
        guard held.allSatisfy({ $0.count == rows }) else { return nil }
        var writer = JSONWriter(reservingCapacity: rows * held.count * 20 + 64)
        writer.append(Array(#"{"columns":"#.utf8))
        writer.write(columns)
        writer.append(Array(#","index":"#.utf8))
        writer.write(index)
        writer.append(Array(#","data":["#.utf8))
        for row in 0..<rows {
            if row > 0 { writer.append(byte: UInt8(ascii: ",")) }
            writer.append(byte: UInt8(ascii: "["))
            for (number, column) in held.enumerated() {
                if number > 0 { writer.append(byte: UInt8(ascii: ",")) }
                guard let base = column.view.buf else { writer.append(Array("null".utf8)); continue }
                column.write(UnsafeRawPointer(base).advanced(by: row * column.stride), &writer)
            }
            writer.append(byte: UInt8(ascii: "]"))
            // The views keep the arrays' memory valid while the budget lets
            // other threads take the GIL (numpy does not resize exported arrays).
            try budget?.tick(held.count)
        }
        writer.append(Array("]}".utf8))
        return JSONFragment(trusted: writer.bytes)
    }

    private static func column(_ array: PythonObject, exact: Bool) -> Column? {
        guard let dtype = try? array.attribute("dtype"),
              let kind = try? dtype.attribute("kind").stringValue,
              let order = try? dtype.attribute("byteorder").stringValue, order != ">",
              "biuf".contains(kind)
        else { PyErr_Clear(); return nil }
        var view = Py_buffer()
        guard PyObject_GetBuffer(array.pointer, &view, shim_buf_records_ro()) == 0 else { PyErr_Clear(); return nil }
        guard view.ndim == 1, let shape = view.shape, let strides = view.strides,
              let write = writer(kind: kind, itemSize: Int(view.itemsize), exact: exact)
        else {
            PyBuffer_Release(&view)
            return nil
        }
        return Column(view: view, count: Int(shape[0]), stride: Int(strides[0]), write: write)
    }

    private static func writer(kind: String, itemSize: Int, exact: Bool) -> ((UnsafeRawPointer, inout JSONWriter) -> Void)? {
        switch (kind, itemSize) {
        case ("b", 1): return { $1.append(Array(($0.load(as: UInt8.self) != 0 ? "true" : "false").utf8)) }
        case ("i", 1): return { $1.writeInteger(Int64($0.load(as: Int8.self))) }
        case ("i", 2): return { $1.writeInteger(Int64($0.loadUnaligned(as: Int16.self))) }
        case ("i", 4): return { $1.writeInteger(Int64($0.loadUnaligned(as: Int32.self))) }
        case ("i", 8): return { $1.writeInteger($0.loadUnaligned(as: Int64.self)) }
        case ("u", 1): return { $1.writeInteger(Int64($0.load(as: UInt8.self))) }
        case ("u", 2): return { $1.writeInteger(Int64($0.loadUnaligned(as: UInt16.self))) }
        case ("u", 4): return { $1.writeInteger(Int64($0.loadUnaligned(as: UInt32.self))) }
        case ("u", 8):
            return {
                let v = $0.loadUnaligned(as: UInt64.self)
                if v <= UInt64(Int64.max) { $1.writeInteger(Int64(v)) } else { $1.append(Array(String(v).utf8)) }
            }
        case ("f", 4): return { writeDouble(Double($0.loadUnaligned(as: Float.self)), into: &$1, exact: exact) }
        case ("f", 8): return { writeDouble($0.loadUnaligned(as: Double.self), into: &$1, exact: exact) }
        default: return nil
        }
    }

    /// A float inside a table: non-finite ones are `null`, or with `exact`
    /// the strings `"NaN"`, `"Infinity"`, `"-Infinity"` (as the tree path).
    private static func writeDouble(_ d: Double, into writer: inout JSONWriter, exact: Bool) {
        if d.isFinite || !exact {
            writer.writeDouble(d)
        } else {
            writer.writeString(d.isNaN ? "NaN" : (d > 0 ? "Infinity" : "-Infinity"))
        }
    }
}
