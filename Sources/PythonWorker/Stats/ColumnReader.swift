import CPython
import RuntimeJSON
import WorkerFrames

/// Copies a numeric numpy column out through the buffer protocol (any
/// element type, any stride), dropping NaN as missing, in one pass.
enum ColumnReader {
    struct Numeric {
        var values: [Double]
        var missing: Int
        /// For integer columns: the exact sum, min and max (nil on overflow or for floats).
        var integerSum: Int64?
        var integerMin: Int64?
        var integerMax: Int64?
        /// Exact keys for `distinct` when some integer is beyond 2^53 (doubles would merge neighbours).
        var exactKeys: [UInt64]?
    }

    /// Reads a 1-D numeric array. Must hold the GIL.
    static func numeric(_ array: PythonObject, kind: String) -> Numeric? {
        PythonBuffer.withColumn(of: array) { base, count, stride, itemSize in
            numeric(base, count, stride, kind: kind, itemSize: itemSize)
        }
    }

    private static func numeric(_ base: UnsafeRawPointer?, _ count: Int, _ stride: Int, kind: String, itemSize: Int) -> Numeric? {
        switch (kind, itemSize) {
        case ("f", 8): return floats(base, count, stride, Double.self)
        case ("f", 4): return floats(base, count, stride, Float.self)
        case ("i", 8): return integers(base, count, stride, Int64.self)
        case ("i", 4): return integers(base, count, stride, Int32.self)
        case ("i", 2): return integers(base, count, stride, Int16.self)
        case ("i", 1): return integers(base, count, stride, Int8.self)
        case ("u", 8): return integers(base, count, stride, UInt64.self)
        case ("u", 4): return integers(base, count, stride, UInt32.self)
        case ("u", 2): return integers(base, count, stride, UInt16.self)
        case ("u", 1): return integers(base, count, stride, UInt8.self)
        default: return nil
        }
    }

    private static func floats<T: BinaryFloatingPoint>(_ base: UnsafeRawPointer?, _ count: Int, _ stride: Int, _: T.Type) -> Numeric {
        var values = [Double]()
        values.reserveCapacity(count)
        var missing = 0
        if let base {
            for i in 0..<count {
                let x = Double(base.loadUnaligned(fromByteOffset: i * stride, as: T.self))
                if x.isNaN { missing += 1 } else { values.append(x) }
            }
        }
        return Numeric(values: values, missing: missing, integerSum: nil, integerMin: nil, integerMax: nil, exactKeys: nil)
    }

    private static func integers<T: FixedWidthInteger>(_ base: UnsafeRawPointer?, _ count: Int, _ stride: Int, _: T.Type) -> Numeric {
        var values = [Double](repeating: 0, count: count)
        var sum: Int64 = 0, overflow = false
        var low = Int64.max, high = Int64.min, exactBounds = true
        var wide = false
        if let base {
            values.withUnsafeMutableBufferPointer { out in
                for i in 0..<count {
                    let x = base.loadUnaligned(fromByteOffset: i * stride, as: T.self)
                    out[i] = Double(x)
                    if x.magnitude > 1 << 53 { wide = true }
                    if let exact = Int64(exactly: x) {
                        if !overflow {
                            let (s, o) = sum.addingReportingOverflow(exact)
                            sum = s
                            overflow = o
                        }
                        if exact < low { low = exact }
                        if exact > high { high = exact }
                    } else {
                        overflow = true
                        exactBounds = false
                    }
                }
            }
        }
        let any = count > 0 && exactBounds
        var keys: [UInt64]?
        if wide, let base {
            keys = (0..<count).map { UInt64(truncatingIfNeeded: base.loadUnaligned(fromByteOffset: $0 * stride, as: T.self)) }
        }
        return Numeric(values: values, missing: 0, integerSum: overflow ? nil : sum,
                       integerMin: any ? low : nil, integerMax: any ? high : nil, exactKeys: keys)
    }

    /// Reads an int64 column of nanosecond timestamps, `Int64.min` (NaT) as
    /// missing. `values` are each timestamp's distance from the middle of
    /// the column's range (`origin`), so that they are exact as doubles over
    /// any range shorter than 2⁵⁴ ns (208 days) and close beyond it: as
    /// doubles the timestamps themselves (about 1.6 × 10¹⁸ ns today) are only
    /// kept to 256 ns, which put quantiles of microsecond data outside the
    /// column's own min and max. (From the middle, not the earliest: a range
    /// of more than 292 years would overflow 64 bits from its start.)
    static func datetimes(_ array: PythonObject) -> (values: [Double], exact: [Int64], origin: Int64, missing: Int)? {
        PythonBuffer.withColumn(of: array) { base, count, stride, itemSize in
            guard itemSize == 8 else { return nil }
            var exact = [Int64]()
            exact.reserveCapacity(count)
            var missing = 0
            if let base {
                for i in 0..<count {
                    let x = base.loadUnaligned(fromByteOffset: i * stride, as: Int64.self)
                    if x == Int64.min { missing += 1 } else { exact.append(x) }
                }
            }
            let low = exact.min() ?? 0, high = exact.max() ?? 0
            let origin = (low >> 1) + (high >> 1) + (low & high & 1)
            let values = exact.map { x -> Double in
                let (distance, overflow) = x.subtractingReportingOverflow(origin)
                return overflow ? Double(x) - Double(origin) : Double(distance)
            }
            return (values, exact, origin, missing)
        }
    }

    /// Counts an int8 column of booleans: -1 missing, 0 false, 1 true.
    static func booleans(_ array: PythonObject) -> (trues: Int, falses: Int, missing: Int, trueFirst: Bool)? {
        PythonBuffer.withColumn(of: array) { base, count, stride, itemSize in
            guard itemSize == 1 else { return nil }
            var trues = 0, falses = 0, missing = 0
            var trueFirst = false
            if let base {
                for i in 0..<count {
                    switch base.load(fromByteOffset: i * stride, as: Int8.self) {
                    case 1:
                        if trues == 0 && falses == 0 { trueFirst = true }
                        trues += 1
                    case 0: falses += 1
                    default: missing += 1
                    }
                }
            }
            return (trues, falses, missing, trueFirst)
        }
    }
}
