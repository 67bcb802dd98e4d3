import Foundation
import RuntimeCore
import RuntimeProtocol

/// `runtimectl run` against a server: start, then optionally follow or wait.
struct ServerRun {
    let client: ServerClient
    let program: Program
    let follow: Bool
    let wait: Bool
    let placeholders: [String]

    /// How it ended (``CLIExit/ofRun(finished:placeholderMissing:readFailed:)``).
    func run() async throws -> CLIExit {
        let started = try await client.request(
            WireRequest.run(files: program.files, mainFile: program.mainFile, number: program.files.count).message())
        guard let sessionId = started["sessionId"]?.stringValue else { throw CLIExit.failed }
        let json = client.options.json
        if json { Console.out(started.jsonString + "\n") }
        guard follow || wait || !placeholders.isEmpty else {
            if !json { Console.out(sessionId + "\n") }
            return .ok
        }
        if !json { Console.err("session \(sessionId)\n") }
        let follower = SessionFollower(client: client, sessionId: sessionId, printEvents: follow, showProgress: !follow && !json)
        guard let final = await follower.follow() else {
            Console.err("runtimectl: the connection closed before the run ended; see where it is with:\n  runtimectl attach \(sessionId)\n")
            throw CLIExit.cannotConnect
        }
        if !follow { json ? Console.out(final.jsonString + "\n") : EventPrinter.print(final) }
        var missing = false, failed = false
        for name in placeholders {
            do {
                let value = try await client.request(WireRequest.getPlaceholder(sessionId: sessionId, name: name, window: nil).message())
                if json { Console.out(value.jsonString + "\n") } else { ValuePrinter.print(value) }
            } catch let exit as CLIExit where exit != .cannotConnect {
                if exit == .notFound { missing = true } else { failed = true }
            }
        }
        return .ofRun(finished: final["status"]?.stringValue == "finished", placeholderMissing: missing, readFailed: failed)
    }
}
