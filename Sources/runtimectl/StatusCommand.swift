import ArgumentParser
import RuntimeCore
import RuntimeProtocol

/// `runtimectl status ID`
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show a session's status.")

    @Argument(help: "The session id.") var sessionId: String
    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await ServerClient.with(client) { connection in
            let reply = try await connection.request(WireRequest.status(sessionId: sessionId).message())
            if client.json { Console.out(reply.jsonString + "\n"); return }
            // A null (not started, not finished yet) or nothing saved shows as "-".
            func text(_ value: JSONValue?) -> String {
                guard let value, value != .null else { return "-" }
                return TableRenderer.cell(value)
            }
            let names = (reply["placeholders"]?.arrayValue ?? []).compactMap(\.stringValue)
            var lines: [(String, String)] = [
                ("session", sessionId),
                ("status", reply["status"]?.stringValue ?? "?"),
                ("started", text(reply["startedAt"])),
                ("finished", text(reply["finishedAt"])),
                ("duration", reply["durationMs"]?.intValue.map { DurationFormat.text(milliseconds: $0) } ?? "-"),
                ("placeholders", names.isEmpty ? "-" : names.joined(separator: ", ")),
            ]
            if let killed = reply["killed"]?.boolValue { lines.append(("killed", killed ? "yes" : "no")) }
            if let error = reply["error"] {
                lines.append(("error", "\(error["type"]?.stringValue ?? "?"): \(error["message"]?.stringValue ?? "")"))
            }
            for (key, value) in lines { Console.out(key.padding(toLength: 13, withPad: " ", startingAt: 0) + value + "\n") }
        }
    }
}
