import ArgumentParser
import RuntimeCore
import RuntimeProtocol

/// `runtimectl stop ID`
struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop a session's run (interrupt, then kill).")

    @Argument(help: "The session id.") var sessionId: String
    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await ServerClient.with(client) { connection in
            let reply = try await connection.request(WireRequest.stop(sessionId: sessionId).message())
            if client.json { Console.out(reply.jsonString + "\n"); return }
            let status = reply["status"]?.stringValue ?? "?"
            if reply.messageType == .executionStopped {
                Console.out(reply["killed"]?.boolValue == true ? "stopped (worker killed)\n" : "stopped\n")
            } else {
                Console.out("not running: \(status)\n")
            }
        }
    }
}
