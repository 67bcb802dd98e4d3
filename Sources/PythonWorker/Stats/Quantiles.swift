import Foundation
import RuntimeJSON
import WorkerFrames

/// Quantiles by linear interpolation (numpy's and pandas' default), found by
/// selection: only the order statistics needed are put in place, the rest of
/// the column is never sorted.
enum Quantiles {
    static let quartileLevels = [0, 0.25, 0.5, 0.75, 1]
    static let decileLevels = (0...10).map { Double($0) / 10 }
    /// From this length on, selection goes through ``RadixSelect``.
    static let radixThreshold = 4096

    /// The quartiles (min, 25%, 50%, 75%, max) and deciles (0%, 10%, ..., 100%).
    static func quartilesAndDeciles(_ values: [Double]) -> ([Double], [Double]) {
        let all = quantiles(values, at: quartileLevels + decileLevels)
        return (Array(all[0..<5]), Array(all[5...]))
    }

    static func quantiles(_ values: [Double], at levels: [Double]) -> [Double] {
        let n = values.count
        guard n > 0 else { return levels.map { _ in .nan } }
        var ranks = Set<Int>()
        for q in levels {
            let h = q * Double(n - 1)
            let lo = Int(h.rounded(.down))
            ranks.insert(lo)
            if lo + 1 < n { ranks.insert(lo + 1) }
        }
        let at: (Int) -> Double
        if n >= radixThreshold {
            let found = RadixSelect.select(values, ranks: ranks.sorted())
            at = { found[$0] ?? .nan }
        } else {
            var work = values
            work.withUnsafeMutableBufferPointer { buffer in
                MultiSelect.select(buffer, ranks: ranks.sorted())
            }
            at = { work[$0] }
        }
        return levels.map { q in
            let h = q * Double(n - 1)
            let lo = Int(h.rounded(.down))
            let t = h - Double(lo)
            guard lo + 1 < n, t > 0 else { return at(lo) }
            return lerp(at(lo), at(lo + 1), t)
        }
    }

    /// numpy's `_lerp`: exact at both ends, monotone in between.
    static func lerp(_ a: Double, _ b: Double, _ t: Double) -> Double {
        let diff = b - a
        return t >= 0.5 ? b - diff * (1 - t) : a + diff * t
    }
}

/// Puts the elements of the given ranks (sorted ascending) in their sorted
/// positions, like repeated `nth_element`, recursing only into the parts that
/// still hold a wanted rank.
enum MultiSelect {
    static func select(_ a: UnsafeMutableBufferPointer<Double>, ranks: [Int]) {
        var stack: [(lo: Int, hi: Int, rLo: Int, rHi: Int)] = [(0, a.count - 1, 0, ranks.count)]
        while let (lo, hi, rLo, rHi) = stack.popLast() {
            guard rLo < rHi, lo < hi else { continue }
            if hi - lo < 32 {
                insertionSort(a, lo, hi)
                continue
            }
            let (lt, gt) = partition3(a, lo, hi)
            // Elements in lt...gt equal the pivot and are in place.
            var i = rLo
            while i < rHi, ranks[i] < lt { i += 1 }
            var j = i
            while j < rHi, ranks[j] <= gt { j += 1 }
            stack.append((lo, lt - 1, rLo, i))
            stack.append((gt + 1, hi, j, rHi))
        }
    }

    @inline(__always)
    private static func insertionSort(_ a: UnsafeMutableBufferPointer<Double>, _ lo: Int, _ hi: Int) {
        guard lo < hi else { return }
        for i in (lo + 1)...hi {
            let x = a[i]
            var j = i - 1
            while j >= lo, a[j] > x {
                a[j + 1] = a[j]
                j -= 1
            }
            a[j + 1] = x
        }
    }

    /// Three-way partition around a median-of-three pivot: [< p][== p][> p].
    private static func partition3(_ a: UnsafeMutableBufferPointer<Double>, _ lo: Int, _ hi: Int) -> (Int, Int) {
        let mid = lo + (hi - lo) / 2
        let x = a[lo], y = a[mid], z = a[hi]
        let pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y))
        var lt = lo, i = lo, gt = hi
        while i <= gt {
            let v = a[i]
            if v < pivot {
                a.swapAt(lt, i); lt += 1; i += 1
            } else if v > pivot {
                a.swapAt(i, gt); gt -= 1
            } else {
                i += 1
            }
        }
        return (lt, gt)
    }
}

/// numpy's `histogram(values, bins)`: equal-width bins over [min, max] (or
/// [v - 0.5, v + 0.5] when all values are equal), the last bin closed.
///
/// Where numpy refuses ("Too many bins for data range"), the buckets are
/// still sent: equal values too large for ± 0.5 to change them (1e17, a
/// repeated timestamp in nanoseconds) make one bucket [v, v]; a range wider
/// than the largest double (-1e308 to 1e308) is cut into bins computed
/// without overflowing.
enum Histogram {
    static func buckets(_ values: [Double], min: Double, max: Double, bins: Int) -> [HistogramBucket] {
        guard bins > 0, !values.isEmpty, min.isFinite, max.isFinite else { return [] }
        var first = min, last = max
        if first == last {
            first -= 0.5
            last += 0.5
        }
        // Halved, the distances cannot overflow: positions are measured in
        // half-steps when the full range would.
        let overflows = !(last - first).isFinite
        let scale = overflows ? 0.5 : 1
        let width = last * scale - first * scale
        let step = width / Double(bins)
        guard step > 0, step.isFinite else {
            let inside = values.reduce(0) { $0 + ($1 >= min && $1 <= max ? 1 : 0) }
            return [HistogramBucket(lower: min, upper: max, count: inside)]
        }
        let edges = (0...bins).map { i -> Double in
            // numpy.linspace: start + i * step, with the end exact.
            i == bins ? last : (first * scale + Double(i) * step) / scale
        }
        var counts = [Int](repeating: 0, count: bins)
        for x in values where x >= first && x <= last {
            // numpy's order: divide by the width, then multiply by the bin
            // count (bins / width overflows for a subnormal width).
            let position = ((x * scale - first * scale) / width * Double(bins)).rounded(.down)
            var index = position.isFinite ? Int(Swift.min(Swift.max(position, 0), Double(bins - 1))) : bins - 1
            if index > 0 && x < edges[index] {
                index -= 1
            } else if index != bins - 1 && x >= edges[index + 1] {
                index += 1
            }
            counts[index] += 1
        }
        let buckets = (0..<bins).map { HistogramBucket(lower: edges[$0], upper: edges[$0 + 1], count: counts[$0]) }
        return mergingEmptyWidths(buckets)
    }

    /// A range of a few representable steps (1e17 to 1e17 + 16, where one
    /// step is 16) gives edges that round to the same double: buckets
    /// [v, v] beside [v, w], the values equal to v counted in either. Each
    /// such bucket is merged into the next (the last into the one before),
    /// so no two buckets share an edge value and counts still add up.
    private static func mergingEmptyWidths(_ buckets: [HistogramBucket]) -> [HistogramBucket] {
        guard buckets.count > 1, buckets.contains(where: { $0.lower == $0.upper }) else { return buckets }
        var merged: [HistogramBucket] = []
        var carried = 0
        for bucket in buckets {
            if bucket.lower == bucket.upper {
                carried += bucket.count
            } else {
                merged.append(HistogramBucket(lower: bucket.lower, upper: bucket.upper, count: bucket.count + carried))
                carried = 0
            }
        }
        // Not every bucket is [v, v]: equal edges over several bins mean a
        // zero step, which `buckets` answers with one bucket before this.
        if let last = merged.last {
            merged[merged.count - 1] = HistogramBucket(lower: last.lower, upper: last.upper, count: last.count + carried)
        }
        return merged
    }
}

/// How many different values a column holds (pandas `nunique`: `-0.0 == 0.0`).
/// Small columns use one open-addressing table; large ones are first
/// scattered into 256 partitions by hash, so that each partition's table
/// stays in cache.
enum DistinctCounter {
    static let partitionThreshold = 1 << 16

    static func count(_ values: [Double]) -> Int {
        count(values.count) { i in values[i] == 0 ? 0 : values[i].bitPattern }
    }

    /// Distinct 64-bit keys (exact integers' bit patterns).
    static func count(keys: [UInt64]) -> Int {
        count(keys.count) { keys[$0] }
    }

    @inline(__always)
    private static func hash(_ key: UInt64) -> UInt64 {
        var h = key &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        return h &* 0xBF58_476D_1CE4_E5B9
    }

    private static func count(_ n: Int, key: (Int) -> UInt64) -> Int {
        guard n > 0 else { return 0 }
        guard n >= partitionThreshold else {
            return (0..<n).map(key).withUnsafeBufferPointer { countInTable($0) }
        }
        // Scatter by the hash's top 8 bits.
        var counts = [Int](repeating: 0, count: 257)
        for i in 0..<n { counts[Int(hash(key(i)) >> 56) + 1] += 1 }
        for p in 0..<256 { counts[p + 1] += counts[p] }
        var next = counts
        var scattered = [UInt64](repeating: 0, count: n)
        scattered.withUnsafeMutableBufferPointer { out in
            for i in 0..<n {
                let k = key(i)
                let p = Int(hash(k) >> 56)
                out[next[p]] = k
                next[p] += 1
            }
        }
        var total = 0
        scattered.withUnsafeBufferPointer { all in
            for p in 0..<256 where counts[p + 1] > counts[p] {
                total += countInTable(UnsafeBufferPointer(rebasing: all[counts[p]..<counts[p + 1]]))
            }
        }
        return total
    }

    /// Distinct keys of a (small) buffer with one open-addressing table.
    private static func countInTable(_ keys: UnsafeBufferPointer<UInt64>) -> Int {
        var capacity = 16
        while Double(capacity) < Double(keys.count) * 1.6 { capacity <<= 1 }
        let mask = capacity - 1
        // An empty slot holds `empty`; the key equal to `empty` is counted apart.
        let empty = UInt64.max
        var slots = [UInt64](repeating: empty, count: capacity)
        var distinct = 0, sawEmptyKey = false
        slots.withUnsafeMutableBufferPointer { slots in
            for k in keys {
                if k == empty { sawEmptyKey = true; continue }
                var slot = Int(truncatingIfNeeded: hash(k)) & mask
                while true {
                    let here = slots[slot]
                    if here == k { break }
                    if here == empty {
                        slots[slot] = k
                        distinct += 1
                        break
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
        return distinct + (sawEmptyKey ? 1 : 0)
    }
}

enum ProcessInfoCores {
    static let count = ProcessInfo.processInfo.activeProcessorCount
}
