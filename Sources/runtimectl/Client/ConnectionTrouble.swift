import Foundation
import RuntimeClient

/// Connection failures in plain words: what went wrong, and what to try.
enum ConnectionTrouble {
    /// The text for a connection that could not be made to `server`.
    static func cannotConnect(to server: String, _ failure: RuntimeConnection.Failure) -> String {
        switch failure.reason {
        case .unauthorized:
            return "runtimectl: the server at \(server) refused the connection: it needs a token, or the one given is wrong "
                + "(give it with --token-file PATH or $RUNTIME_TOKEN_FILE)"
        case .timedOut:
            return "runtimectl: the server at \(server) did not answer in time"
        case .cannotConnect, .closed:
            return "runtimectl: cannot connect to the server at \(server): \(cause(failure.description))\n"
                + "  Is RuntimeServer running there? Name another one with --server URL or $RUNTIME_SERVER."
        }
    }

    /// The text for a connection that broke while waiting for a reply.
    static func lost(_ server: String) -> String {
        "runtimectl: the connection to the server at \(server) was lost (the server stopped or restarted?)"
    }

    /// The reason inside a networking library's error text, as words: an
    /// `errno: 111` becomes `connection refused`; a failed name lookup says so.
    static func cause(_ text: String) -> String {
        if let range = text.range(of: #"errno: ?[0-9]+"#, options: .regularExpression),
            let code = Int32(text[range].filter(\.isNumber))
        {
            return String(cString: strerror(code)).lowercased()
        }
        let lowered = text.lowercased()
        if lowered.contains("dns") || lowered.contains("resolve") || lowered.contains("unknown host") {
            return "the host name could not be resolved"
        }
        if lowered.contains("unsupported") || lowered.contains("invalid url") || lowered.contains("scheme") {
            return "the URL is not a ws:// or wss:// address"
        }
        if lowered.contains("timeout") || lowered.contains("timed out") { return "the connection timed out" }
        return "the connection failed"
    }
}
