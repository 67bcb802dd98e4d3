import Foundation
@testable import RuntimeCore

/// Compares a get_stats value with pandas' answers (from pandas_expected.py):
/// counts exactly, statistics with relative tolerance 1e-9 (plus a small
/// absolute one where a value sits near zero on a large scale), datetimes to
/// the microsecond.
enum StatsComparison {
    static let exactKeys: Set<String> = ["count", "missing", "distinct", "zeros", "negatives", "infinite", "rowCount"]

    static func mismatches(actual: JSONValue, expected: JSONValue, path: String = "") -> [String] {
        guard case .object(let pairs) = expected else { return [] }
        var problems: [String] = []
        let kind = expected["kind"]?.stringValue
        let magnitude = max(abs(expected["min"]?.doubleValue ?? 0), abs(expected["max"]?.doubleValue ?? 0))
        let count = Double(expected["count"]?.intValue ?? 1)
        for (key, want) in pairs {
            let here = path + "." + key
            let got = actual[key] ?? .null
            switch (key, want) {
            case ("columns", .array(let wanted)):
                let have = got.arrayValue ?? []
                if have.count != wanted.count { problems.append("\(here): \(have.count) columns, expected \(wanted.count)"); continue }
                for (i, column) in wanted.enumerated() {
                    problems += mismatches(actual: have[i], expected: column, path: here + "[\(i)]")
                }
            case ("histogram", .array(let wanted)):
                let have = got.arrayValue ?? []
                if have.count != wanted.count { problems.append("\(here): \(have.count) buckets, expected \(wanted.count)"); continue }
                for (i, bucket) in wanted.enumerated() {
                    if have[i]["count"] != bucket["count"] { problems.append("\(here)[\(i)].count: \(have[i]["count"] ?? .null) vs \(bucket["count"] ?? .null)") }
                    for edge in ["min", "max"] where !close(have[i][edge], bucket[edge], absolute: 1e-12 * magnitude) {
                        problems.append("\(here)[\(i)].\(edge): \(have[i][edge] ?? .null) vs \(bucket[edge] ?? .null)")
                    }
                }
            case ("top", _), ("name", _), ("kind", _):
                if got != want { problems.append("\(here): \(got) vs \(want)") }
            case _ where exactKeys.contains(key):
                if got.intValue != want.intValue { problems.append("\(here): \(got) vs \(want)") }
            case _ where kind == "datetime":
                if !sameInstant(got, want) { problems.append("\(here): \(got) vs \(want) ns") }
            default:
                let absolute: Double
                switch key {
                case "skewness", "kurtosis": absolute = 1e-9
                case "sum": absolute = 1e-12 * magnitude * count
                case "mean", "median", "quartiles", "deciles": absolute = 1e-12 * magnitude
                default: absolute = 0
                }
                if !close(got, want, absolute: absolute) { problems.append("\(here): \(got) vs \(want)") }
            }
        }
        return problems
    }

    static func close(_ a: JSONValue?, _ b: JSONValue?, absolute: Double) -> Bool {
        switch (a ?? .null, b ?? .null) {
        case (.null, .null): return true
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { close($0, $1, absolute: absolute) }
        case (let x, let y):
            guard let p = x.doubleValue, let q = y.doubleValue else { return false }
            return abs(p - q) <= 1e-9 * max(abs(p), abs(q)) + absolute
        }
    }

    /// An ISO 8601 string from the server against pandas' nanoseconds since the epoch.
    static func sameInstant(_ got: JSONValue, _ want: JSONValue) -> Bool {
        switch (got, want) {
        case (.null, .null): return true
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy(sameInstant)
        case (.string(let text), let ns):
            guard let seconds = epochSeconds(text), let wanted = ns.doubleValue else { return false }
            return abs(seconds - wanted / 1e9) < 1e-6
        default: return false
        }
    }

    /// Seconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.fraction]` (UTC, no zone).
    static func epochSeconds(_ text: String) -> Double? {
        let parts = text.split(separator: "T")
        guard parts.count == 2 else { return nil }
        let date = parts[0].split(separator: "-").compactMap { Int($0) }
        let time = parts[1].split(separator: ":")
        guard date.count == 3, time.count == 3, let hour = Int(time[0]), let minute = Int(time[1]), let second = Double(time[2]) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        guard let day = calendar.date(from: DateComponents(year: date[0], month: date[1], day: date[2])) else { return nil }
        return day.timeIntervalSince1970 + Double(hour * 3600 + minute * 60) + second
    }
}
