import RuntimeJSON
import WorkerFrames
/// Finds order statistics of a column in two streaming passes instead of
/// partitioning it: values map to order-preserving 64-bit keys; pass one
/// counts keys by their top 16 bits (256 KiB of counters, cache-resident);
/// the counts tell which buckets hold the wanted ranks; pass two gathers only
/// those buckets, and selection finishes inside them.
enum RadixSelect {
    static let bucketBits = 16

    /// An order-preserving key: -inf < negatives < -0 < +0 < positives < +inf.
    @inline(__always)
    static func key(_ x: Double) -> UInt64 {
        let bits = x.bitPattern
        return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
    }

    /// The values at the given ranks (0-based positions in sorted order).
    static func select(_ values: [Double], ranks: [Int]) -> [Int: Double] {
        let shift = UInt64(64 - bucketBits)
        var counts = [Int](repeating: 0, count: 1 << bucketBits)
        counts.withUnsafeMutableBufferPointer { counts in
            for x in values { counts[Int(truncatingIfNeeded: key(x) >> shift)] += 1 }
        }
        // Which bucket holds each rank, and the rank's place inside it.
        var starts = [Int](repeating: 0, count: (1 << bucketBits) + 1)
        for b in 0..<(1 << bucketBits) { starts[b + 1] = starts[b] + counts[b] }
        var wanted: [Int: [Int]] = [:]  // bucket -> local ranks
        for rank in ranks {
            var lo = 0, hi = 1 << bucketBits
            while hi - lo > 1 {
                let mid = (lo + hi) / 2
                if starts[mid] <= rank { lo = mid } else { hi = mid }
            }
            wanted[lo, default: []].append(rank - starts[lo])
        }
        var slot = [Int32](repeating: -1, count: 1 << bucketBits)
        var gathered: [[Double]] = []
        var order: [Int] = []
        for (bucket, _) in wanted {
            slot[bucket] = Int32(gathered.count)
            gathered.append([])
            gathered[gathered.count - 1].reserveCapacity(counts[bucket])
            order.append(bucket)
        }
        for x in values {
            let s = slot[Int(truncatingIfNeeded: key(x) >> shift)]
            if s >= 0 { gathered[Int(s)].append(x) }
        }
        var result: [Int: Double] = [:]
        for (i, bucket) in order.enumerated() {
            let local = Array(Set(wanted[bucket] ?? [])).sorted()
            gathered[i].withUnsafeMutableBufferPointer { MultiSelect.select($0, ranks: local) }
            for r in local { result[starts[bucket] + r] = gathered[i][r] }
        }
        return result
    }
}
