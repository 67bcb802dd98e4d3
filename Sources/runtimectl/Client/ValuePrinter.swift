import RuntimeCore
import RuntimeProtocol

/// A `[placeholder]:VALUE` reply for people: a heading on stderr (name, type,
/// shape, which rows), the value on stdout. `get` and `run --get` share it.
enum ValuePrinter {
    static func print(_ reply: JSONValue) {
        Console.err(heading(reply) + "\n")
        Console.out(TableRenderer.render(reply["value"] ?? .null, dtypes: reply["dtypes"]))
    }

    /// `df (DataFrame, 200 rows × 3 columns): rows 195–199 of 200`.
    static func heading(_ reply: JSONValue) -> String {
        let name = reply["name"]?.stringValue ?? "?"
        var about = [reply["valueType"]?.stringValue ?? "?"]
        if let shape = shape(reply) { about.append(shape) }
        if let dtype = reply["dtypes"]?.stringValue { about.append("dtype \(dtype)") }
        var heading = "\(name) (\(about.joined(separator: ", ")))"
        if let window = reply["window"] {
            heading += ": " + range(begin: window["begin"]?.intValue ?? 0, size: window["size"]?.intValue ?? 0,
                                   of: window["max"]?.intValue ?? 0)
        } else if reply["truncated"]?.boolValue == true {
            let shown = reply["value"]?["data"]?.arrayValue?.count ?? reply["value"]?.arrayValue?.count ?? 0
            heading += ": rows 0–\(max(0, shown - 1)) of \(reply["rowCount"]?.intValue ?? 0) (use --begin/--size for more)"
        }
        // Images are worth saving; every table's HTML would only be noise here.
        if let kinds = reply["display"]?.objectValue?.map(\.0).filter({ $0.hasPrefix("image/") }), !kinds.isEmpty {
            heading += "; display: \(kinds.joined(separator: ", ")) (save with --save FILE)"
        }
        return heading
    }

    /// Rows `begin ..< begin+size` of `total`, written as people do: `195–199 of 200`.
    static func range(begin: Int, size: Int, of total: Int) -> String {
        if size == 0 { return "no rows from \(begin) (\(total) in all)" }
        if size == 1 { return "row \(begin) of \(total)" }
        return "rows \(begin)–\(begin + size - 1) of \(total)"
    }

    /// `N rows × M columns` for tables, `N rows` for one-dimensional values.
    private static func shape(_ reply: JSONValue) -> String? {
        guard let value = reply["value"] else { return nil }
        let total = reply["window"]?["max"]?.intValue ?? reply["rowCount"]?.intValue
        let columns: Int?
        if let names = value["columns"]?.arrayValue, value["data"] != nil {
            columns = names.count
        } else if let items = value.arrayValue, !items.isEmpty, items.allSatisfy({ $0.objectValue != nil }) {
            columns = Set(items.flatMap { ($0.objectValue ?? []).map(\.0) }).count
        } else if let items = value.arrayValue, let first = items.first?.arrayValue, items.allSatisfy({ $0.arrayValue != nil }) {
            columns = first.count
        } else {
            columns = nil
        }
        guard let rows = total ?? value.arrayValue?.count ?? value["data"]?.arrayValue?.count else { return nil }
        let rowText = "\(rows) row\(rows == 1 ? "" : "s")"
        guard let columns else { return total == nil ? nil : rowText }
        return "\(rowText) × \(columns) column\(columns == 1 ? "" : "s")"
    }
}
