import ArgumentParser
import Foundation

/// Options every command that talks to a server shares.
struct ClientOptions: ParsableArguments {
    @Option(help: "The server's WebSocket URL (also $RUNTIME_SERVER).")
    var server: String = ProcessInfo.processInfo.environment["RUNTIME_SERVER"] ?? "ws://127.0.0.1:8765"

    @Option(help: "A file holding your token (also $RUNTIME_TOKEN_FILE); the recommended way.")
    var tokenFile: String?

    @Option(help: "Your token (also $RUNTIME_TOKEN); visible to local users in /proc: prefer --token-file.")
    var token: String?

    @Flag(help: "Print the server's JSON messages, one per line, instead of human output.")
    var json = false

    /// The token to send: --token-file, --token, $RUNTIME_TOKEN_FILE, $RUNTIME_TOKEN, in that order.
    func resolvedToken() throws -> String? {
        let environment = ProcessInfo.processInfo.environment
        func nonEmpty(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let path = tokenFile { return try Self.readToken(path) }
        if let token { return token }
        if let path = nonEmpty("RUNTIME_TOKEN_FILE") { return try Self.readToken(path) }
        return nonEmpty("RUNTIME_TOKEN")
    }

    private static func readToken(_ path: String) throws -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            Console.err("runtimectl: cannot read the token file \(path)\n")
            throw CLIExit.usage
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
