import ArgumentParser
import RuntimeCore
import RuntimeProtocol

/// `runtimectl get ID NAME [--begin N --size N] [--save FILE]`
struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Print a placeholder's value (tables as tables).")

    @Argument(help: "The session id.") var sessionId: String
    @Argument(help: "The placeholder (or global) name.") var name: String
    // Unconditional: `--begin -5` reaches the checks below (it was read as an option: "missing value").
    @Option(parsing: .unconditional, help: "First row of a table or array.") var begin: Int?
    @Option(parsing: .unconditional, help: "Rows to fetch from --begin.") var size: Int?
    @Option(help: "Save the value's display form (a figure's PNG, its HTML…) to this file; the extension picks the type.")
    var save: String?
    @OptionGroup var client: ClientOptions

    func validate() throws {
        if let begin, begin < 0 { throw ValidationError("--begin must not be negative") }
        if let size, size < 0 { throw ValidationError("--size must not be negative") }
    }

    func run() async throws {
        try await ServerClient.with(client) { connection in
            let window = begin != nil || size != nil ? RowWindow(begin: begin ?? 0, size: size ?? 1000) : nil
            let reply = try await connection.request(WireRequest.getPlaceholder(sessionId: sessionId, name: name, window: window).message())
            if let save {
                do {
                    let type = try DisplaySaver.save(reply, to: save)
                    if !client.json { Console.err("saved \(name) as \(type) to \(save)\n") }
                } catch let error as DisplaySaver.Failure {
                    Console.err("runtimectl: \(error.message)\n")
                    throw CLIExit.failed
                }
            }
            if client.json { Console.out(reply.jsonString + "\n"); return }
            if save == nil { ValuePrinter.print(reply) }
        }
    }
}
