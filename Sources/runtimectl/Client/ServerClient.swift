import Foundation
import Logging
import RuntimeClient
import RuntimeCore
import RuntimeProtocol

/// A connection to the server for one command, mapping failures onto exit codes.
struct ServerClient {
    let connection: RuntimeConnection
    let options: ClientOptions

    /// Connects, runs `body`, and closes the connection (awaited) whatever happened.
    static func with<T>(_ options: ClientOptions, _ body: (ServerClient) async throws -> T) async throws -> T {
        let client = try await connect(options)
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }

    static func connect(_ options: ClientOptions) async throws -> ServerClient {
        var logger = Logger(label: "runtimectl")
        logger.logLevel = .critical
        let token = try options.resolvedToken()
        do {
            let connection = try await RuntimeConnection.connect(to: options.server, token: token, logger: logger)
            return ServerClient(connection: connection, options: options)
        } catch {
            Console.err(ConnectionTrouble.cannotConnect(to: options.server, error) + "\n")
            throw CLIExit.cannotConnect
        }
    }

    /// Sends a request; an `[error]:` reply is printed and becomes the matching exit code.
    func request(_ message: JSONValue) async throws -> JSONValue {
        let reply: JSONValue
        do {
            reply = try await connection.request(message)
        } catch {
            Console.err(ConnectionTrouble.lost(options.server) + "\n")
            throw CLIExit.cannotConnect
        }
        if let type = reply["type"]?.stringValue, type.hasPrefix(MessageType.errorPrefix) {
            let code = reply["error"]?["code"]?.stringValue.flatMap(RuntimeError.Code.init(rawValue:)) ?? .internalError
            if options.json {
                Console.out(reply.jsonString + "\n")
            } else {
                Console.err("error: \(reply["error"]?["message"]?.stringValue ?? code.rawValue) [\(code)]\n")
                if let text = reply["error"]?["text"]?.stringValue { Console.err(text) }
            }
            throw (code == .sessionNotFound || code == .placeholderNotFound) ? CLIExit.notFound : CLIExit.failed
        }
        return reply
    }

    func close() async { await connection.close() }
}
