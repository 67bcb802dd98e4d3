import ArgumentParser
import RuntimeCore

/// `runtimectl get ID NAME [--begin N --size N]`
struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Print a placeholder's value (tables as tables).")

    @Argument(help: "The session id.") var sessionId: String
    @Argument(help: "The placeholder (or global) name.") var name: String
    @Option(help: "First row of a table or array.") var begin: Int?
    @Option(help: "Rows to fetch from --begin.") var size: Int?
    @OptionGroup var client: ClientOptions

    func validate() throws {
        if let begin, begin < 0 { throw ValidationError("--begin must not be negative") }
        if let size, size < 0 { throw ValidationError("--size must not be negative") }
    }

    func run() async throws {
        try await ServerClient.with(client) { connection in
            var request: [(String, JSONValue)] = [("action", "get_placeholder"),
                                                  ("placeholder", ["sessionId": .string(sessionId), "name": .string(name)])]
            if begin != nil || size != nil {
                request.append(("window", ["begin": .int(Int64(begin ?? 0)), "size": .int(Int64(size ?? 1000))]))
            }
            let reply = try await connection.request(.object(request))
            if client.json { Console.out(reply.jsonString + "\n"); return }
            var heading = "\(name) (\(reply["valueType"]?.stringValue ?? "?"))"
            if let window = reply["window"] {
                heading += ": rows \(window["begin"]?.intValue ?? 0)..<\((window["begin"]?.intValue ?? 0) + (window["size"]?.intValue ?? 0)) of \(window["max"]?.intValue ?? 0)"
            } else if reply["truncated"]?.boolValue == true {
                heading += ": first rows of \(reply["rowCount"]?.intValue ?? 0) (use --begin/--size for more)"
            }
            Console.err(heading + "\n")
            Console.out(TableRenderer.render(reply["value"] ?? .null))
        }
    }
}
