import CPython
import Foundation
import RuntimeJSON
import WorkerFrames

/// Turns live Python objects into ``JSONValue`` by the contract's encoding
/// rules (the `get_placeholder` section of the protocol). Must hold the GIL.
///
/// numpy and pandas are recognised only when the program already imported
/// them; the converter never imports them itself.
///
/// With a ``ReadBudget`` the encoding counts every element it produces and
/// stops with a ``ReadInterruption`` when its read is cancelled or passes its
/// deadline; without one it runs to the end.
///
/// Values without a rule of their own here (timedelta, Decimal, complex,
/// categoricals) get their exact form from the helper's `rich_value`.
struct PythonJSONConverter {
    /// How deep containers are followed before the rest is sent as `repr`.
    var maximumDepth = 64
    /// Non-finite floats as `"NaN"`, `"Infinity"`, `"-Infinity"` everywhere
    /// (the request option `exact`), instead of `null` inside containers and
    /// `"nan"`, `"inf"`, `"-inf"` as a whole value.
    var exact = false

    /// The types values are recognised by (looked up once per module object).
    private let types: KnownPythonTypes
    private let helper: PythonObject
    private let budget: ReadBudget?

    /// - Parameters:
    ///   - helper: the worker's `_runtime_worker` module (column access helpers).
    ///   - budget: the read's cancellation and deadline checks, or nil for none.
    init(helper: PythonObject, budget: ReadBudget? = nil) {
        self.helper = helper
        self.budget = budget
        types = KnownPythonTypes.current()
    }

    /// The number of rows of a table-like value (list, tuple, array, DataFrame,
    /// Series), or nil for values that are not paged.
    func rowCount(of object: PythonObject) -> Int? {
        let p = object.pointer
        if shim_is_list(p) != 0 || shim_is_tuple(p) != 0 || shim_is_anyset(p) != 0 { return object.length }
        if isInstance(object, types.ndarrayType) {
            guard let ndim = try? object.attribute("ndim"), PyLong_AsLong(ndim.pointer) >= 1 else { PyErr_Clear(); return nil }
            return object.length
        }
        if isInstance(object, types.dataFrameType) || isInstance(object, types.seriesType) { return object.length }
        return nil
    }

    /// The rows `start..<end` of a table-like value, keeping its kind.
    func rows(of object: PythonObject, _ start: Int, _ end: Int) throws(PythonError) -> PythonObject {
        if isInstance(object, types.dataFrameType) || isInstance(object, types.seriesType) {
            return try object.attribute("iloc").slice(start, end)
        }
        if shim_is_anyset(object.pointer) != 0 {
            // In the set's own iteration order, which is the order a read of it all sends.
            return try PythonObject.check(PySequence_List(object.pointer)).slice(start, end)
        }
        return try object.slice(start, end)
    }

    /// Converts a whole value: a non-finite float alone becomes `"nan"`, `"inf"`
    /// or `"-inf"`; with ``exact``, every non-finite float becomes `"NaN"`,
    /// `"Infinity"` or `"-Infinity"`.
    func convertTopLevel(_ object: PythonObject) throws(ReadInterruption) -> JSONValue {
        try budget?.check()
        let value = try encode(object, depth: 0)
        if exact { return value.spellingNonFiniteFloats() }
        if case .double(let d) = value, !d.isFinite {
            return .string(d.isNaN ? "nan" : (d > 0 ? "inf" : "-inf"))
        }
        return value
    }

    /// Encodes a whole value to JSON text (the rules of
    /// ``convertTopLevel(_:)``): a DataFrame of numeric columns is written
    /// straight from its arrays' memory, anything else through the tree.
    func encodeTopLevel(_ object: PythonObject) throws(ReadInterruption) -> JSONFragment {
        if isInstance(object, types.dataFrameType) {
            try budget?.check()
            var arrays: [PythonObject] = []
            if let list = try? helper.attribute("frame_columns").call([object]) {
                try? list.forEach { arrays.append($0) }
            }
            PyErr_Clear()
            let writer = NumericFrameWriter(exact: exact, budget: budget)
            let fragment = try writer.write(arrays: arrays) { () throws(ReadInterruption) in
                let columns = try encode(try tolist(object, "columns"), depth: 1)
                let index = try encode(try tolist(object, "index"), depth: 1)
                return exact ? (columns.spellingNonFiniteFloats(), index.spellingNonFiniteFloats()) : (columns, index)
            }
            if let fragment { return fragment }
        }
        return JSONFragment(try convertTopLevel(object))
    }

    /// `object.attribute.tolist()`, or None when that fails.
    private func tolist(_ object: PythonObject, _ attribute: String) throws(ReadInterruption) -> PythonObject {
        do {
            return try object.attribute(attribute).call(method: "tolist")
        } catch {
            PyErr_Clear()
            return .none
        }
    }

    /// Converts a value found inside a container (non-finite floats stay doubles,
    /// which encode as `null`). For converters without a budget, which are
    /// never interrupted; with one, use ``convertTopLevel(_:)``.
    func convert(_ object: PythonObject, depth: Int) -> JSONValue {
        do {
            return try encode(object, depth: depth)
        } catch {
            return .string(object.repr)
        }
    }

    /// Converts a value; a Python error on the way gives its `repr`, an
    /// interruption of the read ends the whole conversion.
    private func encode(_ object: PythonObject, depth: Int) throws(ReadInterruption) -> JSONValue {
        do {
            return try convertThrowing(object, depth: depth)
        } catch let interruption as ReadInterruption {
            throw interruption
        } catch {
            return .string(object.repr)
        }
    }

    private func isInstance(_ object: PythonObject, _ type: PythonObject?) -> Bool {
        guard let type else { return false }
        let result = PyObject_IsInstance(object.pointer, type.pointer)
        if result < 0 { PyErr_Clear() }
        return result == 1
    }

    private func convertThrowing(_ object: PythonObject, depth: Int) throws -> JSONValue {
        let p = object.pointer
        if object.isNone { return .null }
        if shim_is_bool(p) != 0 { return .bool(p == shim_true()) }
        if shim_is_long(p) != 0 { return try convertInt(object) }
        if shim_is_float(p) != 0 { return .double(PyFloat_AsDouble(p)) }
        if shim_is_unicode(p) != 0 { return .string(object.stringValue ?? object.repr) }
        if depth >= maximumDepth { return .string(object.repr) }
        if shim_is_list(p) != 0 || shim_is_tuple(p) != 0 || shim_is_anyset(p) != 0 {
            var items: [JSONValue] = []
            items.reserveCapacity(object.length ?? 0)
            try object.forEach {
                items.append(try encode($0, depth: depth + 1))
                try budget?.tick()
            }
            return .array(items)
        }
        if shim_is_dict(p) != 0 { return try convertDict(object, depth: depth) }
        if shim_is_bytes(p) != 0 || shim_is_bytearray(p) != 0 { return .string(base64(of: object)) }
        let shortName = object.shortTypeName
        if shortName == "NAType" || shortName == "NaTType" { return .null }
        if isInstance(object, types.dateType) || isInstance(object, types.timeType) {
            return .string(try object.call(method: "isoformat").stringValue ?? object.repr)
        }
        if isInstance(object, types.ndarrayType) { return try convertArray(object, depth: depth) }
        if isInstance(object, types.numpyGeneric) { return try convertNumpyScalar(object, depth: depth) }
        if isInstance(object, types.dataFrameType) { return try convertDataFrame(object, depth: depth) }
        if isInstance(object, types.seriesType) { return try convertSeries(object, depth: depth) }
        return try convertRich(object, depth: depth)
    }

    /// The helper's exact form of a value (timedelta, Decimal, complex,
    /// Categorical, numpy timedelta64), else its `repr`.
    private func convertRich(_ object: PythonObject, depth: Int) throws -> JSONValue {
        let found = try helper.attribute("rich_value").call([object])
        guard PyTuple_Size(found.pointer) == 2, shim_tuple_get(found.pointer, 0) == shim_true() else {
            PyErr_Clear()
            return .string(object.repr)
        }
        return try encode(PythonObject(borrowing: shim_tuple_get(found.pointer, 1)), depth: depth + 1)
    }

    /// A table's or array's dtypes (an object of column to dtype for a
    /// DataFrame or a structured array, else the dtype's name) and the
    /// categories of its categorical columns (nil when none is), or nil for
    /// other values.
    func tableInfo(of object: PythonObject) -> (dtypes: JSONValue, categories: JSONValue?)? {
        guard isInstance(object, types.dataFrameType) || isInstance(object, types.seriesType) || isInstance(object, types.ndarrayType)
            || isInstance(object, types.categoricalType)
        else { return nil }
        guard let info = try? helper.attribute("table_info").call([object]), PyTuple_Size(info.pointer) == 2 else {
            PyErr_Clear()
            return nil
        }
        let dtypes = convert(PythonObject(borrowing: shim_tuple_get(info.pointer, 0)), depth: 0)
        let categories = convert(PythonObject(borrowing: shim_tuple_get(info.pointer, 1)), depth: 0)
        if categories.isNull { return (dtypes, nil) }
        return (dtypes, exact ? categories.spellingNonFiniteFloats() : categories)
    }

    private func convertInt(_ object: PythonObject) throws -> JSONValue {
        var overflow: Int32 = 0
        let value = PyLong_AsLongLongAndOverflow(object.pointer, &overflow)
        if overflow == 0 {
            if value == -1, PyErr_Occurred() != nil { throw PythonError.fetch() }
            return .int(value)
        }
        // Exact digits for integers beyond 64 bits (int.__str__ is exact; an
        // interpreter limit on digits is lifted for this call by the worker).
        guard let digits = object.str else { return .string(object.repr) }
        return .bigInt(digits)
    }

    private func convertDict(_ object: PythonObject, depth: Int) throws -> JSONValue {
        var pairs: [(String, JSONValue)] = []
        var position: Py_ssize_t = 0
        var key: UnsafeMutablePointer<PyObject>?
        var value: UnsafeMutablePointer<PyObject>?
        while PyDict_Next(object.pointer, &position, &key, &value) != 0 {
            guard let key, let value else { continue }
            let keyObject = PythonObject(borrowing: key)
            let name: String
            if shim_is_unicode(key) != 0 {
                name = keyObject.stringValue ?? keyObject.repr
            } else if shim_is_bool(key) != 0 {
                name = key == shim_true() ? "true" : "false"
            } else if keyObject.isNone {
                name = "null"
            } else if shim_is_float(key) != 0, case let d = PyFloat_AsDouble(key), !d.isFinite {
                // As Python's json writes a float key: NaN, Infinity, -Infinity.
                name = d.isNaN ? "NaN" : (d > 0 ? "Infinity" : "-Infinity")
            } else {
                name = keyObject.str ?? keyObject.repr
            }
            // The value is held (a strong reference) before the budget may
            // release the GIL: the program could replace it in the dict meanwhile.
            let item = PythonObject(borrowing: value)
            pairs.append((name, try encode(item, depth: depth + 1)))
            try budget?.tick()
        }
        return .object(pairs)
    }

    private func base64(of object: PythonObject) -> String {
        let p = object.pointer
        if shim_is_bytes(p) != 0, let data = PyBytes_AsString(p) {
            let count = Int(PyBytes_Size(p))
            return Data(bytes: data, count: count).base64EncodedString()
        }
        if let data = PyByteArray_AsString(p) {
            return Data(bytes: data, count: Int(PyByteArray_Size(p))).base64EncodedString()
        }
        PyErr_Clear()
        return ""
    }

    private func convertNumpyScalar(_ object: PythonObject, depth: Int) throws -> JSONValue {
        if isInstance(object, types.numpyDatetime64) {
            let text = object.str ?? "NaT"
            return text == "NaT" ? .null : .string(text)
        }
        if object.shortTypeName == "timedelta64" { return try convertRich(object, depth: depth) }
        let item = try object.call(method: "item")
        if item.pointer == object.pointer || isInstance(item, types.numpyGeneric) {
            // `item()` keeps a longdouble (and a clongdouble) as it is: no
            // Python number holds it exactly. Sent as the nearest double.
            switch try object.attribute("dtype").attribute("kind").stringValue {
            case "f": return try encode(try PythonObject.check(PyNumber_Float(object.pointer)), depth: depth + 1)
            case "c": return try encode(try object.call(method: "__complex__"), depth: depth + 1)
            default: return .string(object.repr)
            }
        }
        return try encode(item, depth: depth + 1)
    }

    private func convertSeries(_ object: PythonObject, depth: Int) throws -> JSONValue {
        let name = try encode(try object.attribute("name"), depth: depth + 1)
        let index = try encode(try object.attribute("index").call(method: "tolist"), depth: depth + 1)
        let data = try convertColumn(try helper.attribute("column_values").call([object]), depth: depth)
        return .object([("name", name), ("index", index), ("data", .array(data))])
    }

    private func convertDataFrame(_ object: PythonObject, depth: Int) throws -> JSONValue {
        let columns = try encode(try object.attribute("columns").call(method: "tolist"), depth: depth + 1)
        let index = try encode(try object.attribute("index").call(method: "tolist"), depth: depth + 1)
        var columnValues: [[JSONValue]] = []
        try helper.attribute("frame_columns").call([object]).forEach { column in
            columnValues.append(try convertColumn(column, depth: depth))
        }
        let rowCount = columnValues.first?.count ?? (object.length ?? 0)
        var rows: [JSONValue] = []
        rows.reserveCapacity(rowCount)
        for r in 0..<rowCount {
            rows.append(.array(columnValues.map { r < $0.count ? $0[r] : .null }))
            try budget?.tick(columnValues.count)
        }
        return .object([("columns", columns), ("index", index), ("data", .array(rows))])
    }

    /// A 1-D numpy array as a list of values.
    private func convertColumn(_ array: PythonObject, depth: Int) throws -> [JSONValue] {
        if case .array(let items) = try convertArray(array, depth: depth) { return items }
        return []
    }

    /// A numpy array as nested arrays; numeric and boolean arrays are read
    /// straight from memory through the buffer protocol.
    private func convertArray(_ array: PythonObject, depth: Int) throws -> JSONValue {
        let dtype = try array.attribute("dtype")
        let kind = try dtype.attribute("kind").stringValue ?? "O"
        let byteOrder = try dtype.attribute("byteorder").stringValue ?? "="
        if NumpyBufferReader.reads(kind: kind), byteOrder != ">", let value = try NumpyBufferReader.read(array, kind: kind, budget: budget) {
            return value
        }
        if kind == "M" {
            let strings = try helper.attribute("datetime_strings").call([array])
            return try encode(strings, depth: depth + 1)
        }
        if kind == "m" { return try encode(try helper.attribute("timedelta_values").call([array]), depth: depth + 1) }
        if kind == "V", !(try dtype.attribute("names")).isNone {
            return try encode(try helper.attribute("structured_values").call([array]), depth: depth + 1)
        }
        return try encode(try array.call(method: "tolist"), depth: depth + 1)
    }
}
