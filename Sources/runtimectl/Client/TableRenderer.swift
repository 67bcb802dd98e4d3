import RuntimeCore
import RuntimeProtocol

/// Plain-text tables and value rendering for people: numbers rounded and
/// right-aligned, everything else left-aligned.
enum TableRenderer {
    /// One column of a table: its heading, an optional second heading line
    /// (a dtype), and whether its cells are right-aligned.
    struct Column {
        var title: String
        var subtitle: String = ""
        var rightAligned = false
    }

    /// Columns padded to their widest cell, with a rule under the header.
    static func table(_ columns: [Column], rows: [[String]]) -> String {
        var widths = columns.map { max($0.title.count, $0.subtitle.count) }
        for row in rows {
            for (i, cell) in row.prefix(columns.count).enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            columns.indices.map { i in
                let cell = i < cells.count ? cells[i] : ""
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return columns[i].rightAligned ? pad + cell : cell + pad
            }
            .joined(separator: "  ").trimmingTrailingSpaces()
        }
        var out = [line(columns.map(\.title))]
        if columns.contains(where: { !$0.subtitle.isEmpty }) { out.append(line(columns.map(\.subtitle))) }
        out.append(line(widths.map { String(repeating: "-", count: $0) }))
        out += rows.map(line)
        return out.joined(separator: "\n") + "\n"
    }

    /// Left-aligned columns with these titles.
    static func table(header: [String], rows: [[String]]) -> String {
        table(header.map { Column(title: $0) }, rows: rows)
    }

    /// A table of JSON cells: numbers rounded, columns of numbers right-aligned.
    static func table(header: [String], dtypes: [String] = [], values: [[JSONValue]]) -> String {
        let columns = header.indices.map { i in
            // Missing cells (null, or "" for a field a row lacks) do not decide.
            let cells = values.compactMap { i < $0.count ? $0[i] : nil }.filter { !$0.isNull && $0 != .string("") }
            return Column(title: header[i], subtitle: i < dtypes.count ? dtypes[i] : "",
                          rightAligned: !cells.isEmpty && cells.allSatisfy(NumberFormat.isNumber))
        }
        return table(columns, rows: values.map { $0.map(cell) })
    }

    /// A cell's text: strings bare, numbers rounded, the rest as JSON.
    static func cell(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return s
        case .null: return "null"
        case .int, .bigInt, .double: return NumberFormat.text(value) ?? value.jsonString
        default: return value.jsonString
        }
    }

    /// A DataFrame, a Series, a list of records or a 2-D array as a table;
    /// anything else as JSON, at full precision.
    /// - Parameter dtypes: the reply's `dtypes` (column name to dtype), when it has them.
    static func render(_ value: JSONValue, dtypes: JSONValue? = nil) -> String {
        func dtype(_ name: String) -> String { dtypes?[name]?.stringValue ?? "" }
        if let columns = value["columns"]?.arrayValue, let data = value["data"]?.arrayValue {
            let index = value["index"]?.arrayValue ?? []
            let rows = data.enumerated().map { i, row in [i < index.count ? index[i] : .int(Int64(i))] + (row.arrayValue ?? []) }
            let names = columns.map(cell)
            let types = dtypes?.objectValue == nil ? [] : [""] + names.map(dtype)
            return table(header: [""] + names, dtypes: types, values: rows)
        }
        if let data = value["data"]?.arrayValue, value["index"] != nil, value.objectValue?.count == 3 {
            let index = value["index"]?.arrayValue ?? []
            let rows = data.enumerated().map { i, item in [i < index.count ? index[i] : .int(Int64(i)), item] }
            let name = value["name"].map { $0.isNull ? "value" : cell($0) } ?? "value"
            return table(header: ["", name], dtypes: dtypes?.stringValue.map { ["", $0] } ?? [], values: rows)
        }
        if let items = value.arrayValue, !items.isEmpty {
            if items.allSatisfy({ $0.objectValue != nil }) {
                var keys: [String] = []
                for item in items { for (key, _) in item.objectValue ?? [] where !keys.contains(key) { keys.append(key) } }
                let types = dtypes?.objectValue == nil ? [] : keys.map(dtype)
                return table(header: keys, dtypes: types, values: items.map { item in keys.map { item[$0] ?? .string("") } })
            }
            if items.allSatisfy({ $0.arrayValue != nil }) {
                let width = items.map { $0.arrayValue?.count ?? 0 }.max() ?? 0
                return table(header: (0..<width).map(String.init), values: items.map { $0.arrayValue ?? [] })
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
