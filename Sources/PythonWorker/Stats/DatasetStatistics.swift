import CPython
import Dispatch
import RuntimeJSON
import WorkerFrames

/// Builds the `get_stats` value (`{"rowCount", "columns"}`) inside a worker.
/// Python prepares each column once (its kind and a buffer-readable array);
/// Swift reads the buffers and computes; numeric work runs with the GIL
/// released, columns in parallel.
struct DatasetStatistics {
    let helper: PythonObject

    private enum Column {
        case numeric(ColumnReader.Numeric)
        case datetime(values: [Double], exact: [Int64], origin: Int64, missing: Int)
        case boolean(trues: Int, falses: Int, missing: Int, trueFirst: Bool)
        case string(StringColumnSummary)
        case other(count: Int, missing: Int, distinct: Int)
    }

    /// Must hold the GIL.
    func compute(_ object: PythonObject, name: String) throws(RuntimeError) -> JSONValue {
        let prepared: PythonObject
        do {
            prepared = try helper.attribute("stats_columns").call([object, try .string(name)])
        } catch {
            throw RuntimeError(.notADataset, error.typeName == "NotADataset" ? error.message : "\(name) is not a dataset (\(error))")
        }
        guard PyTuple_Size(prepared.pointer) == 2 else { throw RuntimeError(.internalError, "bad column preparation") }
        let rowCount = Int(PyLong_AsLongLong(shim_tuple_get(prepared.pointer, 0)))
        var headers: [(name: JSONValue, dtype: String)] = []
        var columns: [Column] = []
        do {
            try PythonObject(borrowing: shim_tuple_get(prepared.pointer, 1)).forEach { entry in
                // A label that is not a string is written with str(), as the dtypes' keys are.
                let label = PythonObject(borrowing: shim_tuple_get(entry.pointer, 0))
                let name = JSONValue.string(label.stringValue ?? label.str ?? label.repr)
                let dtype = PythonObject.string(from: shim_tuple_get(entry.pointer, 1)) ?? "object"
                let kind = PythonObject.string(from: shim_tuple_get(entry.pointer, 2)) ?? "other"
                let data = PythonObject(borrowing: shim_tuple_get(entry.pointer, 3))
                headers.append((name, dtype))
                columns.append(try read(data, kind: kind))
            }
        } catch let error as RuntimeError {
            throw error
        } catch {
            throw RuntimeError(.internalError, "cannot read the dataset's columns: \(error)")
        }

        return .object([("rowCount", int(rowCount)), ("columns", .array(try describe(columns, headers: headers)))])
    }

    private func describe(_ columns: [Column], headers: [(name: JSONValue, dtype: String)]) throws(RuntimeError) -> [JSONValue] {
        // The heavy part, without the GIL: other Python threads (the program) go on.
        var summaries = [NumericSummary?](repeating: nil, count: columns.count)
        let saved = PyEval_SaveThread()
        summaries.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            let work = columns
            DispatchQueue.concurrentPerform(iterations: work.count) { i in
                switch work[i] {
                case .numeric(let numeric): out[i] = NumericSummarizer.summarize(numeric.values, exactKeys: numeric.exactKeys)
                case .datetime(let values, _, _, _): out[i] = NumericSummarizer.summarize(values)
                default: break
                }
            }
        }
        PyEval_RestoreThread(saved)

        var json: [JSONValue] = []
        for (i, column) in columns.enumerated() {
            var fields: [(String, JSONValue)] = [("name", headers[i].name)]
            switch column {
            case .numeric(let numeric):
                fields += numericFields(numeric, summaries[i], dtype: headers[i].dtype)
            case .datetime(_, let exact, let origin, let missing):
                do {
                    fields += try datetimeFields(exact: exact, origin: origin, missing: missing, summaries[i], dtype: headers[i].dtype)
                } catch {
                    throw RuntimeError(.internalError, "cannot format a datetime column: \(error)")
                }
            case .boolean(let trues, let falses, let missing, let trueFirst):
                var top: [(Bool, Int)] = [(true, trues), (false, falses)].filter { $0.1 > 0 }
                top.sort { $0.1 != $1.1 ? $0.1 > $1.1 : ($0.0 == trueFirst) }
                fields += [("kind", "boolean"), ("dtype", .string(headers[i].dtype)), ("count", int(trues + falses)),
                           ("missing", int(missing)), ("distinct", int(top.count)),
                           ("top", .array(top.map { ["value": .bool($0.0), "count": int($0.1)] }))]
            case .string(let s):
                fields += [("kind", "string"), ("dtype", .string(headers[i].dtype)), ("count", int(s.count)),
                           ("missing", int(s.missing)), ("distinct", int(s.distinct)),
                           ("top", .array(s.top.map { ["value": .string($0.0), "count": int($0.1)] })),
                           ("minLength", s.minLength.map(int) ?? .null), ("meanLength", s.meanLength.map(JSONValue.double) ?? .null),
                           ("maxLength", s.maxLength.map(int) ?? .null)]
            case .other(let count, let missing, let distinct):
                fields += [("kind", "other"), ("dtype", .string(headers[i].dtype)), ("count", int(count)),
                           ("missing", int(missing)), ("distinct", int(distinct))]
            }
            json.append(.object(fields))
        }
        return json
    }

    private func int(_ value: Int) -> JSONValue { .int(Int64(value)) }

    private func read(_ data: PythonObject, kind: String) throws -> Column {
        switch kind {
        case "numeric":
            let dtypeKind = try data.attribute("dtype").attribute("kind").stringValue ?? "f"
            guard let numeric = ColumnReader.numeric(data, kind: dtypeKind) else {
                throw RuntimeError(.internalError, "cannot read a numeric column through the buffer protocol")
            }
            return .numeric(numeric)
        case "datetime":
            guard let read = ColumnReader.datetimes(data) else {
                throw RuntimeError(.internalError, "cannot read a datetime column")
            }
            return .datetime(values: read.values, exact: read.exact, origin: read.origin, missing: read.missing)
        case "boolean":
            guard let read = ColumnReader.booleans(data) else {
                throw RuntimeError(.internalError, "cannot read a boolean column")
            }
            return .boolean(trues: read.trues, falses: read.falses, missing: read.missing, trueFirst: read.trueFirst)
        case "string":
            return .string(try StringColumnSummary.compute(data))
        default:
            let result = try helper.attribute("other_stats").call([data])
            func item(_ i: Int) -> Int { Int(PyLong_AsLongLong(shim_tuple_get(result.pointer, i))) }
            return .other(count: item(0), missing: item(1), distinct: item(2))
        }
    }

    private func numericFields(_ column: ColumnReader.Numeric, _ summary: NumericSummary?, dtype: String) -> [(String, JSONValue)] {
        guard let s = summary else { return [] }
        let empty = s.count == 0
        func number(_ x: Double) -> JSONValue { x.isFinite ? .double(x) : .null }
        let minimum: JSONValue = empty ? .null : column.integerMin.map { .int($0) } ?? number(s.min)
        let maximum: JSONValue = empty ? .null : column.integerMax.map { .int($0) } ?? number(s.max)
        let sum: JSONValue = column.integerSum.map { .int($0) } ?? (s.infinite > 0 ? .null : number(s.sum))
        return [
            ("kind", "numeric"), ("dtype", .string(dtype)), ("count", int(s.count)), ("missing", int(column.missing)),
            ("distinct", int(s.distinct)), ("min", minimum), ("max", maximum), ("mean", number(s.mean)),
            ("median", number(s.median)),
            ("quartiles", .array(empty ? Array(repeating: .null, count: 5) : s.quartiles.map(number))),
            ("deciles", .array(empty ? Array(repeating: .null, count: 11) : s.deciles.map(number))),
            ("histogram", .array(s.histogram.map { ["min": number($0.lower), "max": number($0.upper), "count": int($0.count)] })),
            ("std", number(s.standardDeviation)), ("variance", number(s.variance)), ("sum", sum),
            ("zeros", int(s.zeros)), ("negatives", int(s.negatives)), ("infinite", int(s.infinite)),
            ("skewness", number(s.skewness)), ("kurtosis", number(s.kurtosis)),
        ]
    }

    /// `summary` is of the timestamps' distances from `origin` (see
    /// ``ColumnReader/datetimes(_:)``).
    private func datetimeFields(exact: [Int64], origin: Int64, missing: Int, _ summary: NumericSummary?,
                                dtype: String) throws -> [(String, JSONValue)] {
        guard let s = summary else { return [] }
        let low = exact.min(), high = exact.max()
        func ns(_ x: Double) -> Int64? {
            guard x.isFinite, abs(x) < 9.2e18 else { return nil }
            let (stamp, overflow) = origin.addingReportingOverflow(Int64(x.rounded()))
            return overflow ? nil : stamp
        }
        // Every timestamp of the reply, formatted in one Python call.
        var stamps: [Int64?] = [low, high, ns(s.mean), ns(s.median)]
        stamps += s.quartiles.map(ns) + s.deciles.map(ns)
        for bucket in s.histogram { stamps += [ns(bucket.lower), ns(bucket.upper)] }
        let list = try PythonObject.check(PyList_New(0))
        for stamp in stamps {
            let item = try stamp.map { try PythonObject.check(PyLong_FromLongLong($0)) } ?? .none
            PyList_Append(list.pointer, item.pointer)
        }
        let formatted = try helper.attribute("format_datetimes").call([list, PythonObject.string(dtype)])
        var texts: [JSONValue] = []
        try formatted.forEach { texts.append($0.stringValue.map(JSONValue.string) ?? .null) }
        guard texts.count == stamps.count else { throw RuntimeError(.internalError, "datetime formatting failed") }
        let q = 4, d = 4 + s.quartiles.count, h = d + s.deciles.count
        let empty = s.count == 0
        return [
            ("kind", "datetime"), ("dtype", .string(dtype)), ("count", int(s.count)), ("missing", int(missing)),
            ("distinct", int(s.distinct)), ("min", texts[0]), ("max", texts[1]), ("mean", texts[2]), ("median", empty ? .null : texts[3]),
            ("quartiles", .array(empty ? Array(repeating: .null, count: 5) : Array(texts[q..<d]))),
            ("deciles", .array(empty ? Array(repeating: .null, count: 11) : Array(texts[d..<h]))),
            ("histogram", .array(s.histogram.enumerated().map { i, bucket in
                ["min": texts[h + 2 * i], "max": texts[h + 2 * i + 1], "count": int(bucket.count)]
            })),
        ]
    }
}
