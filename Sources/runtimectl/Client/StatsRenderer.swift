import RuntimeCore
import RuntimeProtocol

/// Statistics for people: one summary row per column, then per column its
/// quartiles, its most frequent values and a text histogram.
enum StatsRenderer {
    static let fields = ["kind", "dtype", "count", "missing", "distinct", "min", "max", "mean", "median", "std"]
    /// Width of the longest histogram bar, in characters.
    static let barWidth = 30

    static func render(_ value: JSONValue) -> String {
        let columns = value["columns"]?.arrayValue ?? []
        let rows = columns.map { column in [column["name"] ?? .null] + fields.map { column[$0] ?? .string("") } }
        var out = "rows: \(value["rowCount"]?.intValue ?? 0)\n"
            + TableRenderer.table(header: ["column"] + fields, values: rows)
        for column in columns {
            let details = self.details(column)
            if !details.isEmpty { out += "\n" + details }
        }
        return out
    }

    /// Quartiles, top values and histogram of one column ("" when it has none).
    static func details(_ column: JSONValue) -> String {
        var parts: [String] = []
        if let quartiles = column["quartiles"]?.arrayValue, quartiles.count == 5, !quartiles.allSatisfy(\.isNull) {
            parts.append(TableRenderer.table(header: ["min", "25%", "50%", "75%", "max"], values: [quartiles]))
        }
        if let top = column["top"]?.arrayValue, !top.isEmpty {
            parts.append("top values:\n" + TableRenderer.table(header: ["value", "count"],
                                                              values: top.map { [$0["value"] ?? .null, $0["count"] ?? .null] }))
        }
        if let buckets = column["histogram"]?.arrayValue, !buckets.isEmpty {
            parts.append("histogram:\n" + histogram(buckets))
        }
        guard !parts.isEmpty else { return "" }
        return "\(TableRenderer.cell(column["name"] ?? .null)):\n" + parts.joined()
    }

    /// One line per bucket: its range, a bar scaled to the fullest bucket, its count.
    static func histogram(_ buckets: [JSONValue]) -> String {
        let counts = buckets.map { $0["count"]?.intValue ?? 0 }
        let most = max(1, counts.max() ?? 1)
        let lows = buckets.map { TableRenderer.cell($0["min"] ?? .null) }
        let highs = buckets.map { TableRenderer.cell($0["max"] ?? .null) }
        let lowWidth = lows.map(\.count).max() ?? 0, highWidth = highs.map(\.count).max() ?? 0
        let countWidth = counts.map { String($0).count }.max() ?? 0
        return buckets.indices.map { i in
            let eighths = (counts[i] * barWidth * 8 + most / 2) / most
            var bar = String(repeating: "█", count: eighths / 8)
            if eighths % 8 > 0 { bar.append(Array("▏▎▍▌▋▊▉")[eighths % 8 - 1]) }
            if counts[i] > 0 && bar.isEmpty { bar = "▏" }
            let low = String(repeating: " ", count: lowWidth - lows[i].count) + lows[i]
            let high = String(repeating: " ", count: highWidth - highs[i].count) + highs[i]
            let count = String(repeating: " ", count: countWidth - String(counts[i]).count) + String(counts[i])
            return "  \(low) – \(high)  \(count)  \(bar)"
        }.joined(separator: "\n") + "\n"
    }
}
