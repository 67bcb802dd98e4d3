import ArgumentParser
import RuntimeCore
import RuntimeProtocol

/// `runtimectl delete ID`
struct DeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a session: stop it, free its worker and files.")

    @Argument(help: "The session id.") var sessionId: String
    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await ServerClient.with(client) { connection in
            let reply = try await connection.request(WireRequest.deleteSession(sessionId: sessionId).message())
            Console.out(client.json ? reply.jsonString + "\n" : "deleted \(sessionId)\n")
        }
    }
}
