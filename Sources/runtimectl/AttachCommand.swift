import ArgumentParser
import RuntimeCore
import RuntimeProtocol

/// `runtimectl attach ID`: replays a session's events from the start and
/// follows it until its run ends.
struct AttachCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach",
        abstract: "Replay a session's output and events from the start, then follow it until the run ends.",
        discussion: "Ctrl-C stops the run, as with `run --follow`; a second Ctrl-C stops waiting (the stop goes on)."
    )

    @Argument(help: "The session id.") var sessionId: String
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let ok = try await ServerClient.with(client) { connection in
            let subscribed = try await connection.request(WireRequest.subscribe(sessionId: sessionId, since: 0).message())
            if client.json { Console.out(subscribed.jsonString + "\n") }
            let follower = SessionFollower(client: connection, sessionId: sessionId, printEvents: true, showProgress: false)
            guard let final = await follower.follow() else {
                Console.err("runtimectl: the connection to \(client.server) closed before the run ended\n")
                throw CLIExit.cannotConnect
            }
            return final["status"]?.stringValue == "finished"
        }
        if !ok { throw CLIExit.failed }
    }
}
