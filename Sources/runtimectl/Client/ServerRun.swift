import Foundation
import RuntimeCore

/// `runtimectl run` against a server: start, then optionally follow or wait.
struct ServerRun {
    let client: ServerClient
    let program: Program
    let follow: Bool
    let wait: Bool
    let placeholders: [String]

    /// Returns whether everything went well.
    func run() async throws -> Bool {
        let files: [JSONValue] = program.files.map { ["filename": .string($0.filename), "content": .string($0.content)] }
        let started = try await client.request(["action": "run", "python": [
            "number": .int(Int64(files.count)), "files": .array(files), "mainfile": .string(program.mainFile),
        ]])
        guard let sessionId = started["sessionId"]?.stringValue else { throw CLIExit.failed }
        let json = client.options.json
        if json { Console.out(started.jsonString + "\n") }
        guard follow || wait || !placeholders.isEmpty else {
            if !json { Console.out(sessionId + "\n") }
            return true
        }
        if !json { Console.err("session \(sessionId)\n") }
        let progress = ProgressLine()
        if !follow && !json { progress.start("running") }
        var saved = 0
        var final: JSONValue?
        for await event in client.connection.events where event["sessionId"]?.stringValue == sessionId {
            if json {
                if follow { Console.out(event.jsonString + "\n") }
            } else if follow {
                printHuman(event)
            }
            if event["type"]?.stringValue == "[placeholder]:READY" {
                saved += 1
                progress.update("running, \(saved) placeholder\(saved == 1 ? "" : "s")")
            }
            if event["type"]?.stringValue?.hasPrefix("[state]:") == true {
                final = event
                break
            }
        }
        progress.stop()
        guard let final else {
            Console.err("runtimectl: the connection closed before the run ended\n")
            throw CLIExit.cannotConnect
        }
        if json && !follow { Console.out(final.jsonString + "\n") }
        if !json && !follow { printHuman(final) }
        var ok = final["status"]?.stringValue == "finished"
        for name in placeholders {
            do {
                let value = try await client.request(["action": "get_placeholder", "placeholder": ["sessionId": .string(sessionId), "name": .string(name)]])
                if json {
                    Console.out(value.jsonString + "\n")
                } else {
                    Console.out("\(name) (\(value["valueType"]?.stringValue ?? "?")) = \(value["value"]?.jsonString ?? "null")\n")
                }
            } catch let exit as CLIExit where exit != .cannotConnect {
                ok = false
            }
        }
        return ok
    }

    private func printHuman(_ event: JSONValue) {
        switch event["type"]?.stringValue {
        case "[run]:OUTPUT":
            let text = event["text"]?.stringValue ?? ""
            if event["stream"]?.stringValue == "stderr" { Console.err(text) } else { Console.out(text) }
        case "[placeholder]:READY":
            Console.err("• \(event["name"]?.stringValue ?? "?") (\(event["valueType"]?.stringValue ?? "?"))\n")
        case "[state]:EXECUTION_FINISHED":
            Console.err("finished in \(event["durationMs"]?.intValue ?? 0) ms\n")
        case "[state]:EXECUTION_FAILED":
            let text = event["error"]?["text"]?.stringValue ?? event["error"]?["message"]?.stringValue ?? "failed"
            Console.err(text.hasSuffix("\n") ? text : text + "\n")
        case "[state]:EXECUTION_STOPPED":
            Console.err(event["killed"]?.boolValue == true ? "stopped (worker killed)\n" : "stopped\n")
        default:
            break
        }
    }
}
