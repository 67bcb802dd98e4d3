import Foundation
import RuntimeCore
import RuntimeProtocol

/// Numbers as people read them in a table: integers whole, floats rounded to
/// about six significant digits (the full value stays in `--json`).
enum NumberFormat {
    /// Significant digits kept for floats.
    static let significantDigits = 6

    /// The display text of a number, or `nil` for a value that is not one.
    static func text(_ value: JSONValue) -> String? {
        switch value {
        case .int(let i): return String(i)
        case .bigInt(let s): return s
        case .double(let d): return text(d)
        default: return nil
        }
    }

    static func text(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        if d == 0 { return "0.0" }
        let magnitude = abs(d)
        guard magnitude >= 1e-4, magnitude < 1e15 else {
            return String(format: "%.\(significantDigits - 1)e", d)
        }
        let integerDigits = max(1, Int(floor(log10(magnitude))) + 1)
        let decimals = max(1, significantDigits - integerDigits)
        var text = String(format: "%.\(decimals)f", d)
        // Trailing zeros say nothing; keep one decimal so a float still reads as one.
        while text.hasSuffix("0"), let dot = text.firstIndex(of: "."), text.distance(from: dot, to: text.endIndex) > 2 {
            text.removeLast()
        }
        return text
    }

    /// Whether a value counts as a number for alignment (missing values do not decide).
    static func isNumber(_ value: JSONValue) -> Bool {
        switch value {
        case .int, .bigInt, .double: return true
        default: return false
        }
    }
}
