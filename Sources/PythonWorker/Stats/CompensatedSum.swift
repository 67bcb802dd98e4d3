import RuntimeJSON
import WorkerFrames
/// Compensated summation with Knuth's branch-free TwoSum: the rounding error
/// of every addition is carried along, so long columns keep full double
/// precision, without a data-dependent branch in the loop.
struct CompensatedSum: Sendable {
    private(set) var sum = 0.0
    private var compensation = 0.0

    @inline(__always)
    mutating func add(_ x: Double) {
        let t = sum + x
        let b = t - sum
        compensation += (sum - (t - b)) + (x - b)
        sum = t
    }

    mutating func add(_ other: CompensatedSum) {
        add(other.sum)
        add(other.compensation)
    }

    var value: Double { sum + compensation }

    /// The sum divided by `n` as a double-double (high + low), exact to about
    /// twice double precision.
    func quotient(dividingBy n: Double) -> (high: Double, low: Double) {
        let total = value
        let high = total / n
        guard high.isFinite else { return (high, 0) }
        // total − high·n exactly (a fused multiply-add), plus what `total` rounded away.
        let exactRemainder = total.addingProduct(-high, n)
        let rounded = (sum - total) + compensation
        return (high, (exactRemainder + rounded) / n)
    }
}
