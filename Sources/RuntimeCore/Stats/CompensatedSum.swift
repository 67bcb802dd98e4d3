/// Neumaier's compensated summation: the error of a plain running sum is
/// carried along, so long columns keep full double precision.
struct CompensatedSum: Sendable {
    private(set) var sum = 0.0
    private var compensation = 0.0

    @inline(__always)
    mutating func add(_ x: Double) {
        let t = sum + x
        if abs(sum) >= abs(x) {
            compensation += (sum - t) + x
        } else {
            compensation += (x - t) + sum
        }
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
