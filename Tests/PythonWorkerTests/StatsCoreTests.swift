import Foundation
import Testing
@testable import PythonWorker
import RuntimeCore
import RuntimeTestSupport
import RuntimeJSON
import WorkerFrames

/// The statistics core on plain Swift arrays, against definitions computed
/// the slow, obvious way.
@Suite struct StatsCoreTests {
    private func sortedQuantile(_ sorted: [Double], _ q: Double) -> Double {
        let h = q * Double(sorted.count - 1)
        let lo = Int(h.rounded(.down))
        return lo + 1 < sorted.count ? Quantiles.lerp(sorted[lo], sorted[lo + 1], h - Double(lo)) : sorted[lo]
    }

    @Test(arguments: [1, 2, 3, 10, 31, 32, 33, 1000, 100_001])
    func selectionMatchesSorting(_ count: Int) {
        var rng = SplitMix(seed: UInt64(count))
        // Many ties as well as distinct values.
        let values = (0..<count).map { _ in Double(Int.random(in: 0..<max(1, count / 3), using: &rng)) + (Bool.random(using: &rng) ? 0.5 : 0) }
        let sorted = values.sorted()
        let levels = Quantiles.quartileLevels + Quantiles.decileLevels + [0.37, 0.999]
        let selected = Quantiles.quantiles(values, at: levels)
        #expect(selected == levels.map { sortedQuantile(sorted, $0) })
    }

    @Test func histogramMatchesNumpysBinning() {
        // numpy.histogram([1, 2, 2, 3, 3, 3, 10], bins=5) → counts [3, 3, 0, 0, 1], edges 1, 2.8, 4.6, 6.4, 8.2, 10
        let buckets = Histogram.buckets([1, 2, 2, 3, 3, 3, 10], min: 1, max: 10, bins: 5)
        #expect(buckets.map(\.count) == [3, 3, 0, 0, 1])
        #expect(buckets.map(\.lower) == [1, 2.8, 4.6, 6.4, 8.2])
        #expect(buckets.last?.upper == 10)
        // A constant column: numpy uses [v - 0.5, v + 0.5].
        let constant = Histogram.buckets([4, 4, 4], min: 4, max: 4, bins: 1)
        #expect(constant == [HistogramBucket(lower: 3.5, upper: 4.5, count: 3)])
        #expect(Histogram.buckets([], min: .nan, max: .nan, bins: 0).isEmpty)
    }

    @Test func histogramCountsAddUp() {
        var rng = SplitMix(seed: 7)
        let values = (0..<10_000).map { _ in Double.random(in: -1e6...1e6, using: &rng) }
        let buckets = Histogram.buckets(values, min: values.min() ?? 0, max: values.max() ?? 0, bins: 10)
        #expect(buckets.reduce(0) { $0 + $1.count } == values.count)
    }

    /// numpy refuses these ("Too many bins for data range"); the worker used
    /// to trap on them (NaN to Int) and lose the session's values.
    @Test func histogramOfRangesNumpyCannotBin() {
        // Equal values too large for ± 0.5 to change: one bucket [v, v].
        for value in [1e17, 1e300, 9_007_199_254_740_992, 1.7e18] {
            #expect(Histogram.buckets([value, value], min: value, max: value, bins: 1)
                    == [HistogramBucket(lower: value, upper: value, count: 2)])
        }
        // A range wider than the largest double: bins of finite width.
        let values = [-1e308, 0, 1e308, 5e307]
        let buckets = Histogram.buckets(values, min: -1e308, max: 1e308, bins: 4)
        #expect(buckets.map(\.count) == [1, 0, 1, 2])
        #expect(buckets.map(\.lower) == [-1e308, -5e307, 0, 5e307])
        #expect(buckets.last?.upper == 1e308)
        #expect(buckets.allSatisfy { $0.lower.isFinite && $0.upper.isFinite })
        // A subnormal range (found in review), where bins / width overflows:
        // numpy gives each value a bucket.
        let tiny = Double.leastNormalMagnitude / 1000
        #expect(Histogram.buckets([0, tiny, 2 * tiny], min: 0, max: 2 * tiny, bins: 3).map(\.count) == [1, 1, 1])
        #expect(Histogram.buckets([0, tiny, 2 * tiny, 3 * tiny], min: 0, max: 3 * tiny, bins: 4).map(\.count) == [1, 1, 1, 1])
        // A range of one representable step (16 at 1e17): the edges round
        // together, and buckets [1e17, 1e17] are merged into the next (one
        // of them held count 0 beside the two values equal to 1e17; found
        // by this session's adversarial tester).
        let steps = Histogram.buckets([1e17, 1e17, 1e17 + 16], min: 1e17, max: 1e17 + 16, bins: 10)
        #expect(steps.allSatisfy { $0.lower < $0.upper }, "\(steps)")
        #expect(steps.reduce(0) { $0 + $1.count } == 3)
        #expect(steps.first?.lower == 1e17 && steps.last?.upper == 1e17 + 16)
        for (bucket, next) in zip(steps, steps.dropFirst()) { #expect(bucket.upper == next.lower) }
    }

    @Test func distinctTreatsNegativeZeroAsZero() {
        #expect(DistinctCounter.count([0.0, -0.0, 1, 1, 2.5, -2.5, .infinity, .infinity]) == 5)
        #expect(DistinctCounter.count([]) == 0)
        var rng = SplitMix(seed: 3)
        let values = (0..<200_000).map { _ in Double(UInt32.random(in: 0..<50_000, using: &rng)) }
        #expect(DistinctCounter.count(values) == Set(values).count)
    }

    @Test func compensatedSumKeepsSmallTermsNextToLargeOnes() {
        var sum = CompensatedSum()
        sum.add(1e16)
        for _ in 0..<10_000 { sum.add(1) }
        sum.add(-1e16)
        #expect(sum.value == 10_000)
    }

    @Test func summaryOfASmallColumn() {
        let s = NumericSummarizer.summarize([4, -1, 0, 7, 2, 2])
        #expect(s.count == 6 && s.zeros == 1 && s.negatives == 1 && s.infinite == 0 && s.distinct == 5)
        #expect(s.sum == 14 && s.min == -1 && s.max == 7)
        #expect(abs(s.mean - 14.0 / 6) < 1e-15)
        let mean = 14.0 / 6
        let m2 = [4, -1, 0, 7, 2, 2].reduce(0.0) { $0 + ($1 - mean) * ($1 - mean) }
        #expect(abs(s.variance - m2 / 5) < 1e-12)
        #expect(s.quartiles == [-1, 0.5, 2, 3.5, 7])
        #expect(s.deciles.first == -1 && s.deciles.last == 7)
    }

    @Test func stableOnLargeValuesWithTinySpread() {
        let values = (0..<100_000).map { 1e9 + Double($0 % 7) * 1e-3 }
        let s = NumericSummarizer.summarize(values)
        // The exact answer: the values are 1e9 + k·1e-3, k = 0...6 nearly evenly.
        let ks = (0..<100_000).map { Double($0 % 7) * 1e-3 }
        let kMean = ks.reduce(0, +) / Double(ks.count)
        let kVar = ks.reduce(0) { $0 + ($1 - kMean) * ($1 - kMean) } / Double(ks.count - 1)
        #expect(abs(s.variance - kVar) / kVar < 1e-6)
        #expect(abs(s.mean - (1e9 + kMean)) < 1e-6)
    }

    @Test func degenerateAndTinyColumns() {
        let constant = NumericSummarizer.summarize([3, 3, 3, 3])
        #expect(constant.variance == 0 && constant.skewness.isNaN && constant.kurtosis.isNaN)
        let one = NumericSummarizer.summarize([5])
        #expect(one.variance.isNaN && one.quartiles == [5, 5, 5, 5, 5] && one.histogram.count == 1)
        let empty = NumericSummarizer.summarize([])
        #expect(empty.count == 0 && empty.mean.isNaN && empty.histogram.isEmpty)
        let infinite = NumericSummarizer.summarize([1, .infinity, 2])
        #expect(infinite.infinite == 1 && !infinite.mean.isFinite && infinite.histogram.isEmpty)
    }

    @Test func parallelChunksAgreeWithOneChunk() {
        var rng = SplitMix(seed: 11)
        let values = (0..<(NumericSummarizer.parallelThreshold * 3 + 17)).map { _ in Double.random(in: -5...5, using: &rng) }
        let whole = FirstPass.compute(values)
        var plain = CompensatedSum()
        for x in values { plain.add(x) }
        #expect(abs(whole.sum.value - plain.value) <= 1e-12 * abs(plain.value) + 1e-9)
        #expect(whole.min == values.min() && whole.max == values.max())
    }
}
