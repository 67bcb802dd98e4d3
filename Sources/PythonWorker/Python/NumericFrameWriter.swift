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

    /// How one column's elements are read and written.
    private enum Element {
        case bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float32, float64

        init?(kind: String, itemSize: Int) {
            switch (kind, itemSize) {
            case ("b", 1): self = .bool
            case ("i", 1): self = .int8
            case ("i", 2): self = .int16
            case ("i", 4): self = .int32
            case ("i", 8): self = .int64
            case ("u", 1): self = .uint8
            case ("u", 2): self = .uint16
            case ("u", 4): self = .uint32
            case ("u", 8): self = .uint64
            case ("f", 4): self = .float32
            case ("f", 8): self = .float64
            default: return nil
            }
        }
    }

    /// The frame's JSON, or nil (nothing done) when a column is not a
    /// numeric or boolean 1-D buffer this writer reads. `header` gives the
    /// frame's column names and index; it is asked only once every column
    /// is known to be readable, so a frame that falls back to the general
    /// path does not encode them twice.
    func write(arrays: [PythonObject],
               header: () throws(ReadInterruption) -> (columns: JSONValue, index: JSONValue)) throws(ReadInterruption) -> JSONFragment? {
        guard !arrays.isEmpty else { return nil }
        var views: [Py_buffer] = []
        defer { for index in views.indices { PyBuffer_Release(&views[index]) } }
        var bases: [UnsafeRawPointer?] = [], strides: [Int] = [], elements: [Element] = []
        var rows = -1
        for array in arrays {
            guard let dtype = try? array.attribute("dtype"),
                  let kind = try? dtype.attribute("kind").stringValue,
                  let order = try? dtype.attribute("byteorder").stringValue, order != ">"
            else { PyErr_Clear(); return nil }
            var view = Py_buffer()
            guard NumpyBufferReader.reads(kind: kind), PyObject_GetBuffer(array.pointer, &view, shim_buf_records_ro()) == 0 else {
                PyErr_Clear()
                return nil
            }
            views.append(view)
            guard view.ndim == 1, let shape = view.shape, let stride = view.strides,
                  let element = Element(kind: kind, itemSize: Int(view.itemsize)),
                  rows < 0 || rows == Int(shape[0])
            else { return nil }
            rows = Int(shape[0])
            bases.append(view.buf.map { UnsafeRawPointer($0) })
            strides.append(Int(stride[0]))
            elements.append(element)
        }
        let (columns, index) = try header()
        var writer = JSONWriter(reservingCapacity: rows * arrays.count * 20 + 64)
        writer.writeASCII(#"{"columns":"#)
        writer.write(columns)
        writer.writeASCII(#","index":"#)
        writer.write(index)
        writer.writeASCII(#","data":["#)
        let width = elements.count
        for row in 0..<rows {
            if row > 0 { writer.append(byte: UInt8(ascii: ",")) }
            writer.append(byte: UInt8(ascii: "["))
            for column in 0..<width {
                if column > 0 { writer.append(byte: UInt8(ascii: ",")) }
                guard let base = bases[column] else { writer.writeASCII("null"); continue }
                write(elements[column], at: base.advanced(by: row * strides[column]), into: &writer)
            }
            writer.append(byte: UInt8(ascii: "]"))
            // The views keep the arrays' memory valid while the budget lets
            // other threads take the GIL (numpy does not resize exported arrays).
            try budget?.tick(width)
        }
        writer.writeASCII("]}")
        return JSONFragment(trusted: writer.bytes)
    }

    private func write(_ element: Element, at pointer: UnsafeRawPointer, into writer: inout JSONWriter) {
        switch element {
        case .bool: writer.writeASCII(pointer.load(as: UInt8.self) != 0 ? "true" : "false")
        case .int8: writer.writeInteger(Int64(pointer.load(as: Int8.self)))
        case .int16: writer.writeInteger(Int64(pointer.loadUnaligned(as: Int16.self)))
        case .int32: writer.writeInteger(Int64(pointer.loadUnaligned(as: Int32.self)))
        case .int64: writer.writeInteger(pointer.loadUnaligned(as: Int64.self))
        case .uint8: writer.writeInteger(Int64(pointer.load(as: UInt8.self)))
        case .uint16: writer.writeInteger(Int64(pointer.loadUnaligned(as: UInt16.self)))
        case .uint32: writer.writeInteger(Int64(pointer.loadUnaligned(as: UInt32.self)))
        case .uint64:
            let v = pointer.loadUnaligned(as: UInt64.self)
            if v <= UInt64(Int64.max) { writer.writeInteger(Int64(v)) } else { writer.append(Array(String(v).utf8)) }
        case .float32: writeDouble(Double(pointer.loadUnaligned(as: Float.self)), into: &writer)
        case .float64: writeDouble(pointer.loadUnaligned(as: Double.self), into: &writer)
        }
    }

    /// A float inside a table: non-finite ones are `null`, or with `exact`
    /// the strings `"NaN"`, `"Infinity"`, `"-Infinity"` (as the tree path).
    private func writeDouble(_ d: Double, into writer: inout JSONWriter) {
        if d.isFinite || !exact {
            writer.writeDouble(d)
        } else {
            writer.writeString(d.isNaN ? "NaN" : (d > 0 ? "Infinity" : "-Infinity"))
        }
    }
}
