import CPython
import RuntimeJSON
import WorkerFrames

/// Reads numeric numpy arrays (any shape, any strides) through the buffer
/// protocol, without a Python-level loop.
enum NumpyBufferReader {
    /// Whether numpy's `dtype.kind` is one this reader reads: bool, signed and
    /// unsigned integers, floats. (A comparison, not `"biuf".contains(kind)`,
    /// which goes through Foundation's locale-aware substring search: 1.2 % of
    /// a worker's CPU in a one-row `run_model` profile.)
    static func reads(kind: String) -> Bool {
        kind == "f" || kind == "i" || kind == "b" || kind == "u"
    }

    /// Nested arrays of the values, or nil when the buffer cannot be read this
    /// way (unsupported element size or format); the caller then falls back.
    /// Each element read counts against `budget`.
    static func read(_ array: PythonObject, kind: String, budget: ReadBudget? = nil) throws(ReadInterruption) -> JSONValue? {
        let outcome = PythonBuffer.withView(of: array) { view -> Result<JSONValue, ReadInterruption>? in
            do throws(ReadInterruption) {
                return try read(view, kind: kind, budget: budget).map { .success($0) }
            } catch {
                return .failure(error)
            }
        }
        return try outcome?.get()
    }

    private static func read(_ view: Py_buffer, kind: String, budget: ReadBudget?) throws(ReadInterruption) -> JSONValue? {
        guard let base = view.buf else { return .array([]) }
        let itemSize = Int(view.itemsize)
        guard let element = elementReader(kind: kind, itemSize: itemSize) else { return nil }
        let ndim = Int(view.ndim)
        if ndim == 0 { return element(UnsafeRawPointer(base)) }
        guard let shape = view.shape, let strides = view.strides else { return nil }
        // The view holds the array (and numpy refuses to resize an array
        // with exported buffers), so its memory stays valid while the
        // budget lets other threads run.
        func walk(_ dimension: Int, _ offset: Int) throws(ReadInterruption) -> JSONValue {
            let count = Int(shape[dimension]), stride = Int(strides[dimension])
            var items: [JSONValue] = []
            items.reserveCapacity(count)
            if dimension == ndim - 1 {
                for i in 0..<count {
                    items.append(element(UnsafeRawPointer(base).advanced(by: offset + i * stride)))
                    try budget?.tick()
                }
            } else {
                for i in 0..<count { items.append(try walk(dimension + 1, offset + i * stride)) }
            }
            return .array(items)
        }
        return try walk(0, 0)
    }

    private static func elementReader(kind: String, itemSize: Int) -> ((UnsafeRawPointer) -> JSONValue)? {
        switch (kind, itemSize) {
        case ("b", 1): return { .bool($0.load(as: UInt8.self) != 0) }
        case ("i", 1): return { .int(Int64($0.load(as: Int8.self))) }
        case ("i", 2): return { .int(Int64($0.loadUnaligned(as: Int16.self))) }
        case ("i", 4): return { .int(Int64($0.loadUnaligned(as: Int32.self))) }
        case ("i", 8): return { .int($0.loadUnaligned(as: Int64.self)) }
        case ("u", 1): return { .int(Int64($0.load(as: UInt8.self))) }
        case ("u", 2): return { .int(Int64($0.loadUnaligned(as: UInt16.self))) }
        case ("u", 4): return { .int(Int64($0.loadUnaligned(as: UInt32.self))) }
        case ("u", 8):
            return {
                let v = $0.loadUnaligned(as: UInt64.self)
                return v <= UInt64(Int64.max) ? .int(Int64(v)) : .bigInt(String(v))
            }
        case ("f", 4): return { .double(Double($0.loadUnaligned(as: Float.self))) }
        case ("f", 8): return { .double($0.loadUnaligned(as: Double.self)) }
        default: return nil
        }
    }
}
