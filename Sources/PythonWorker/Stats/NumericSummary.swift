import Dispatch
import RuntimeJSON
import WorkerFrames

/// The statistics of one numeric column, computed from its values (missing
/// values already removed and counted apart). Definitions follow pandas:
/// sample variance (ddof 1), bias-corrected skewness and excess kurtosis,
/// quantiles by linear interpolation, numpy's histogram binning.
struct NumericSummary: Sendable {
    var count: Int
    var sum: Double
    var min: Double
    var max: Double
    var zeros: Int
    var negatives: Int
    var infinite: Int
    var mean: Double
    var variance: Double
    var skewness: Double
    var kurtosis: Double
    /// min, 25%, 50%, 75%, max.
    var quartiles: [Double]
    /// 0%, 10%, ..., 100%.
    var deciles: [Double]
    var distinct: Int
    var histogram: [HistogramBucket]

    var median: Double { quartiles.isEmpty ? .nan : quartiles[2] }
    var standardDeviation: Double { variance.squareRoot() }
}

struct HistogramBucket: Sendable, Equatable {
    var lower: Double
    var upper: Double
    var count: Int
}

/// Computes ``NumericSummary`` values, spreading large columns over the cores.
enum NumericSummarizer {
    /// Columns at least this long are split into chunks computed in parallel.
    static let parallelThreshold = 1 << 16

    /// - Parameters:
    ///   - values: the column's present values (NaN already removed; ±inf kept).
    ///   - exactKeys: for integers beyond 2^53, their exact bit patterns, which
    ///     tell apart values that collapse as doubles (for `distinct`).
    static func summarize(_ values: [Double], exactKeys: [UInt64]? = nil) -> NumericSummary {
        let count = values.count
        guard count > 0 else {
            return NumericSummary(count: 0, sum: 0, min: .nan, max: .nan, zeros: 0, negatives: 0, infinite: 0, mean: .nan,
                                  variance: .nan, skewness: .nan, kurtosis: .nan, quartiles: [], deciles: [], distinct: 0, histogram: [])
        }
        // One fused pass first (the others need its mean and extremes), then
        // distinct, moments, quantiles and the histogram side by side.
        let first = FirstPass.compute(values)
        let mean = first.sum.quotient(dividingBy: Double(count))
        let bins = Swift.min(10, count)
        nonisolated(unsafe) var distinct = 0
        nonisolated(unsafe) var moments = Moments()
        nonisolated(unsafe) var quantiles: ([Double], [Double]) = ([], [])
        nonisolated(unsafe) var histogram: [HistogramBucket] = []
        DispatchQueue.concurrentPerform(iterations: 4) { job in
            switch job {
            case 0: distinct = exactKeys.map(DistinctCounter.count(keys:)) ?? DistinctCounter.count(values)
            case 1: quantiles = Quantiles.quartilesAndDeciles(values)
            case 2: moments = Moments.compute(values, mean: mean)
            default: histogram = Histogram.buckets(values, min: first.min, max: first.max, bins: bins)
            }
        }
        // numpy's bin count is min(10, distinct): redo the (then small) histogram if fewer.
        if distinct < bins {
            histogram = Histogram.buckets(values, min: first.min, max: first.max, bins: distinct)
        }
        let (quartiles, deciles) = quantiles

        let n = Double(count)
        let m2 = moments.m2.value, m3 = moments.m3.value, m4 = moments.m4.value
        let variance = count > 1 ? m2 / (n - 1) : .nan
        return NumericSummary(
            count: count, sum: first.sum.value, min: first.min, max: first.max, zeros: first.zeros,
            negatives: first.negatives, infinite: first.infinite, mean: first.sum.value / n,
            variance: variance, skewness: PandasMoments.skew(count: n, m2: m2, m3: m3),
            kurtosis: PandasMoments.kurt(count: n, m2: m2, m4: m4),
            quartiles: quartiles, deciles: deciles, distinct: distinct, histogram: histogram)
    }
}

/// Count, sum, min, max, zeros, negatives and infinities in one fused pass.
struct FirstPass: Sendable {
    var sum = CompensatedSum()
    var min = Double.infinity
    var max = -Double.infinity
    var zeros = 0
    var negatives = 0
    var infinite = 0

    static func compute(_ values: [Double]) -> FirstPass {
        Chunked.reduce(values, initial: FirstPass()) { chunk in
            var pass = FirstPass()
            for x in chunk {
                pass.sum.add(x)
                if x < pass.min { pass.min = x }
                if x > pass.max { pass.max = x }
                if x == 0 { pass.zeros += 1 } else if x < 0 { pass.negatives += 1 }
                if x.isInfinite { pass.infinite += 1 }
            }
            return pass
        } combine: { a, b in
            var c = a
            c.sum.add(b.sum)
            c.min = Swift.min(a.min, b.min)
            c.max = Swift.max(a.max, b.max)
            c.zeros += b.zeros
            c.negatives += b.negatives
            c.infinite += b.infinite
            return c
        }
    }
}

/// Sums of the 2nd, 3rd and 4th powers of the deviations from the mean (the
/// second pass of a two-pass method), compensated. The mean is carried as a
/// double-double: values near 1e9 with a tiny spread would otherwise lose
/// the mean's rounding error (n·δ²) into every moment.
struct Moments: Sendable {
    var m2 = CompensatedSum()
    var m3 = CompensatedSum()
    var m4 = CompensatedSum()

    static func compute(_ values: [Double], mean: (high: Double, low: Double)) -> Moments {
        Chunked.reduce(values, initial: Moments()) { chunk in
            var m = Moments()
            for x in chunk {
                let d = (x - mean.high) - mean.low
                let d2 = d * d
                m.m2.add(d2)
                m.m3.add(d2 * d)
                m.m4.add(d2 * d2)
            }
            return m
        } combine: { a, b in
            var c = a
            c.m2.add(b.m2)
            c.m3.add(b.m3)
            c.m4.add(b.m4)
            return c
        }
    }
}

/// pandas' `skew()` and `kurt()` from the central moment sums (pandas 3.1's
/// `calc_skew` / `calc_kurt`): bias-corrected, excess kurtosis, NaN for fewer
/// than 3 (4) values and for a column without spread.
enum PandasMoments {
    static func skew(count n: Double, m2: Double, m3: Double) -> Double {
        guard n >= 3 else { return .nan }
        let ratio = m3 / (m2 * m2.squareRoot())
        return ratio * (n * (n - 1).squareRoot()) / (n - 2)
    }

    static func kurt(count n: Double, m2: Double, m4: Double) -> Double {
        guard n >= 4 else { return .nan }
        let ratio = m4 / (m2 * m2)
        let inner = n * (n + 1) * ratio - 3 * (n - 1)
        return (n - 1) / ((n - 2) * (n - 3)) * inner
    }
}

/// Splits a column into one chunk per core and combines the partial results.
enum Chunked {
    static func reduce<T: Sendable>(_ values: [Double], initial: T, _ body: @Sendable (ArraySlice<Double>) -> T,
                          combine: (T, T) -> T) -> T {
        let cores = Swift.max(1, ProcessInfoCores.count)
        guard values.count >= NumericSummarizer.parallelThreshold, cores > 1 else { return body(values[...]) }
        let chunks = cores * 2
        let size = (values.count + chunks - 1) / chunks
        var partials = [T?](repeating: nil, count: chunks)
        partials.withUnsafeMutableBufferPointer { results in
            nonisolated(unsafe) let results = results
            DispatchQueue.concurrentPerform(iterations: chunks) { i in
                let start = i * size, end = Swift.min(values.count, start + size)
                results[i] = start < end ? body(values[start..<end]) : nil
            }
        }
        return partials.compactMap { $0 }.reduce(initial, combine)
    }
}
