import Foundation
import RuntimeCore
import RuntimeProtocol

/// Reads one session's events on a connection until the run ends.
///
/// Ctrl-C asks the server to stop the run and keeps following until it has
/// stopped; a second Ctrl-C stops waiting (the stop goes on on the server)
/// and says how to come back with `runtimectl attach`.
struct SessionFollower {
    let client: ServerClient
    let sessionId: String
    /// Print each event as it comes (`--follow`, `attach`).
    let printEvents: Bool
    /// Show a spinner while waiting (people, not following).
    let showProgress: Bool

    /// The exit status after a second Ctrl-C, which stops waiting (128 + SIGINT, as shells report it).
    static let detachedStatus: Int32 = 130

    /// Returns the session's terminal event (`[state]:…`), or nil when the connection closed first.
    func follow() async -> JSONValue? {
        let json = client.options.json
        let progress = ProgressLine()
        if showProgress { progress.start("running") }
        let connection = client.connection
        let session = sessionId
        let interrupts = InterruptForwarder { count in
            if count == 1 {
                progress.update("stopping")
                Console.err("\nstopping the run… (Ctrl-C again to stop waiting; the stop goes on)\n")
                Task { _ = try? await connection.request(WireRequest.stop(sessionId: session).message()) }
            } else if count == 2 {
                progress.stop()
                Console.err("detached; a stop of session \(session) was asked for (a program that ignores the interrupt is killed after the grace period). Follow it with:\n  runtimectl attach \(session)\n")
                Foundation.exit(Self.detachedStatus)
            }
        }
        defer { interrupts.cancel() }
        var saved = 0
        for await event in connection.events where event["sessionId"]?.stringValue == sessionId {
            if printEvents {
                if json { Console.out(event.jsonString + "\n") } else { EventPrinter.print(event) }
            }
            if event.messageType == .placeholderReady {
                saved += 1
                progress.update("running, \(saved) placeholder\(saved == 1 ? "" : "s")")
            }
            if event["type"]?.stringValue?.hasPrefix(MessageType.endEventPrefix) == true {
                progress.stop()
                return event
            }
        }
        progress.stop()
        return nil
    }
}
