import ArgumentParser
import RuntimeCore
import RuntimeProtocol

/// `runtimectl stats ID NAME`
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show statistics of a dataset placeholder: a summary per column, quartiles, top values, histograms.")

    @Argument(help: "The session id.") var sessionId: String
    @Argument(help: "The placeholder holding a dataset.") var name: String
    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await ServerClient.with(client) { connection in
            let reply = try await connection.request(WireRequest.getStats(sessionId: sessionId, name: name).message())
            if client.json { Console.out(reply.jsonString + "\n"); return }
            Console.out(StatsRenderer.render(reply["value"] ?? .null))
        }
    }
}
