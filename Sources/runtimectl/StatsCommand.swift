import ArgumentParser
import RuntimeCore

/// `runtimectl stats ID NAME`
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Show statistics of a dataset placeholder.")

    @Argument(help: "The session id.") var sessionId: String
    @Argument(help: "The placeholder holding a dataset.") var name: String
    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await ServerClient.with(client) { connection in
            let reply = try await connection.request(["action": "get_stats", "placeholder": ["sessionId": .string(sessionId), "name": .string(name)]])
            if client.json { Console.out(reply.jsonString + "\n"); return }
            Console.out(StatsRenderer.render(reply["value"] ?? .null))
        }
    }
}

/// Statistics as one table row per column.
enum StatsRenderer {
    static let fields = ["kind", "dtype", "count", "missing", "distinct", "min", "max", "mean", "median", "std"]

    static func render(_ value: JSONValue) -> String {
        let columns = value["columns"]?.arrayValue ?? []
        let rows = columns.map { column in
            [TableRenderer.cell(column["name"] ?? .null)] + fields.map { field in
                guard let v = column[field], !v.isNull else { return "" }
                if let d = v.doubleValue, case .double = v { return String(format: "%.6g", d) }
                return TableRenderer.cell(v)
            }
        }
        return "rows: \(value["rowCount"]?.intValue ?? 0)\n" + TableRenderer.table(header: ["column"] + fields, rows: rows)
    }
}
