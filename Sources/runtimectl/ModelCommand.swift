import ArgumentParser
import Foundation
import RuntimeCore
import RuntimeProtocol

/// `runtimectl model ID NAME (--data JSON | --file PATH) [--method M]`
struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "model", abstract: "Call a model placeholder on new data.")

    @Argument(help: "The session id.") var sessionId: String
    @Argument(help: "The placeholder holding the model.") var name: String
    @Option(help: "Inline data as JSON (an instance, a list of instances, or an MLflow shape).") var data: String?
    @Option(help: "A data file on the server (CSV, .npy or .json), relative to the session's folder.") var file: String?
    @Option(help: "Another method to call, e.g. predict_proba.") var method: String?
    @OptionGroup var client: ClientOptions

    func validate() throws {
        guard (data == nil) != (file == nil) else { throw ValidationError("give exactly one of --data and --file") }
        _ = try inlineData()
    }

    /// `--data` parsed (nil when `--file` is used instead).
    private func inlineData() throws -> JSONValue? {
        guard let data else { return nil }
        do {
            return try JSONParser.parse(data)
        } catch {
            throw ValidationError("--data is not JSON: \(error)")
        }
    }

    func run() async throws {
        try await ServerClient.with(client) { connection in
            let input: ModelInput
            if let inline = try inlineData() {
                input = .inline(JSONFragment(inline))
            } else {
                input = .file(file ?? "")
            }
            let reply = try await connection.request(WireRequest.runModel(sessionId: sessionId, name: name, input: input, method: method).message())
            if client.json { Console.out(reply.jsonString + "\n"); return }
            Console.out(TableRenderer.render(reply["predictions"] ?? .null))
        }
    }
}
