import ArgumentParser
import RuntimeCore

/// `runtimectl sessions`
struct SessionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sessions", abstract: "List the server's sessions.")

    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await ServerClient.with(client) { connection in
            let reply = try await connection.request(["action": "list_sessions"])
            if client.json { Console.out(reply.jsonString + "\n"); return }
            let rows = (reply["sessions"]?.arrayValue ?? []).map {
                [$0["sessionId"]?.stringValue ?? "?", $0["status"]?.stringValue ?? "?", $0["startedAt"].map(TableRenderer.cell) ?? "-"]
            }
            Console.out(TableRenderer.table(header: ["SESSION", "STATUS", "STARTED"], rows: rows))
        }
    }
}
