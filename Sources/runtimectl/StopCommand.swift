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
            let reply = try await connection.request(["action": "stop", "sessionId": .string(sessionId)])
            if client.json { Console.out(reply.jsonString + "\n"); return }
            let status = reply["status"]?.stringValue ?? "?"
            if reply["type"]?.stringValue == "[status]:EXECUTION_STOPPED" {
                Console.out(reply["killed"]?.boolValue == true ? "stopped (worker killed)\n" : "stopped\n")
            } else {
                Console.out("not running: \(status)\n")
            }
        }
    }
}
