import RuntimeCore

/// Plain-text tables and value rendering for people.
enum TableRenderer {
    /// Columns padded to their widest cell, with a rule under the header.
    static func table(header: [String], rows: [[String]]) -> String {
        let columns = header.count
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.prefix(columns).enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingTrailingSpaces()
        }
        var out = [line(header), line(widths.map { String(repeating: "-", count: $0) })]
        out += rows.map { line(Array($0.prefix(columns)) + Array(repeating: "", count: max(0, columns - $0.count))) }
        return out.joined(separator: "\n") + "\n"
    }

    static func cell(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return s
        case .null: return "null"
        default: return value.jsonString
        }
    }

    /// A DataFrame, a list of records or a 2-D array as a table; anything else as JSON.
    static func render(_ value: JSONValue) -> String {
        if let columns = value["columns"]?.arrayValue, let data = value["data"]?.arrayValue {
            let index = value["index"]?.arrayValue ?? []
            let rows = data.enumerated().map { i, row in
                [i < index.count ? cell(index[i]) : String(i)] + (row.arrayValue ?? []).map(cell)
            }
            return table(header: [""] + columns.map(cell), rows: rows)
        }
        if let items = value.arrayValue, !items.isEmpty {
            if items.allSatisfy({ $0.objectValue != nil }) {
                var keys: [String] = []
                for item in items { for (key, _) in item.objectValue ?? [] where !keys.contains(key) { keys.append(key) } }
                return table(header: keys, rows: items.map { item in keys.map { item[$0].map(cell) ?? "" } })
            }
            if items.allSatisfy({ $0.arrayValue != nil }) {
                let width = items.map { $0.arrayValue?.count ?? 0 }.max() ?? 0
                return table(header: (0..<width).map(String.init), rows: items.map { ($0.arrayValue ?? []).map(cell) })
            }
        }
        return value.jsonString + "\n"
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
