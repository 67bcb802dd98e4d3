import ArgumentParser
import RuntimeCore
import RuntimeProtocol

/// `runtimectl sessions`
struct SessionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions", abstract: "List the server's sessions: status, start, duration, placeholders.")

    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await ServerClient.with(client) { connection in
            let reply = try await connection.request(WireRequest.listSessions.message())
            if client.json { Console.out(reply.jsonString + "\n"); return }
            var rows: [[String]] = []
            for session in reply["sessions"]?.arrayValue ?? [] {
                let id = session["sessionId"]?.stringValue ?? "?"
                // The list names each session; its status says how long it ran and what it saved.
                let status = try? await connection.connection.request(WireRequest.status(sessionId: id).message())
                let details = status?.messageType == .status ? status : nil
                rows.append([
                    id,
                    details?["status"]?.stringValue ?? session["status"]?.stringValue ?? "?",
                    session["startedAt"].flatMap(\.stringValue) ?? "-",
                    details?["durationMs"]?.intValue.map { DurationFormat.text(milliseconds: $0) } ?? "-",
                    details?["placeholders"]?.arrayValue.map { String($0.count) } ?? "-",
                ])
            }
            let columns: [TableRenderer.Column] = [
                .init(title: "SESSION"), .init(title: "STATUS"), .init(title: "STARTED"),
                .init(title: "DURATION", rightAligned: true), .init(title: "PLACEHOLDERS", rightAligned: true),
            ]
            Console.out(TableRenderer.table(columns, rows: rows))
        }
    }
}
