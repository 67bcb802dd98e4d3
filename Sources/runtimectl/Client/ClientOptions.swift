import ArgumentParser
import Foundation

/// Options every command that talks to a server shares.
struct ClientOptions: ParsableArguments {
    @Option(help: "The server's WebSocket URL (also $RUNTIME_SERVER).")
    var server: String = ProcessInfo.processInfo.environment["RUNTIME_SERVER"] ?? "ws://127.0.0.1:8765"

    @Option(help: "The server's shared secret (also $RUNTIME_TOKEN).")
    var token: String?

    @Flag(help: "Print the server's JSON messages, one per line, instead of human output.")
    var json = false

    var resolvedToken: String? {
        token ?? ProcessInfo.processInfo.environment["RUNTIME_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
    }
}
