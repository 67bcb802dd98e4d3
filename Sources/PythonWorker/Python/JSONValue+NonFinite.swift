import RuntimeJSON
import WorkerFrames
extension JSONValue {
    /// The value with every non-finite double, at any depth, spelled as the
    /// string `"NaN"`, `"Infinity"` or `"-Infinity"` (the `exact` option);
    /// everything else is left as it is.
    func spellingNonFiniteFloats() -> JSONValue {
        switch self {
        case .double(let d) where !d.isFinite:
            return .string(d.isNaN ? "NaN" : (d > 0 ? "Infinity" : "-Infinity"))
        case .array(let items):
            return .array(items.map { $0.spellingNonFiniteFloats() })
        case .object(let pairs):
            return .object(pairs.map { ($0.0, $0.1.spellingNonFiniteFloats()) })
        default:
            return self
        }
    }
}
