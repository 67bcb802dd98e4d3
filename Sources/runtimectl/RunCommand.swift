import ArgumentParser
import Foundation
import RuntimeCore
import RuntimeProtocol

/// `runtimectl run FILES... [--main F] [--wait] [--follow] [--get NAME ...] [--local]`
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a program: its files, the first (or --main) being the main file.",
        discussion: """
            Files are named relative to the folder that holds them all, so \
            `run app/main.py app/pkg/util.py` sends `main.py` and `pkg/util.py`. \
            On a server, prints the session id and returns at once unless --wait, \
            --follow or --get is given. While it waits, Ctrl-C asks the server to \
            stop the run; a second Ctrl-C stops waiting while the stop goes on \
            (`runtimectl attach ID` follows it again). With --local the program runs here, through \
            RuntimeCore, and is always followed.
            """
    )

    @Argument(help: "The program's files.", completion: .file(extensions: ["py"]))
    var files: [String]

    @Option(name: .long, help: "The main file (default: the first file).")
    var main: String?

    @Option(name: .customLong("get"), help: "A placeholder to print once the run ends (repeatable).")
    var placeholders: [String] = []

    @Flag(help: "Wait for the run to end and report how it ended.")
    var wait = false

    @Flag(help: "Stream the run's output and events until it ends.")
    var follow = false

    @Flag(help: "Run here through RuntimeCore, without a server.")
    var local = false

    @OptionGroup var client: ClientOptions
    @OptionGroup var runtime: LocalRuntimeOptions

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one file") }
        let given = runtime.given
        if !local, !given.isEmpty {
            throw ValidationError("\(given.joined(separator: ", ")) shape\(given.count == 1 ? "s" : "") a run with --local only; "
                                  + "a server runs programs with its own settings")
        }
    }

    func run() async throws {
        let program: Program
        do {
            program = try ProgramLoader.load(files: files, main: main)
        } catch {
            // Said plainly, without the usage text: the command was right, the file is not.
            Console.err("runtimectl: \(error.message)\n")
            throw CLIExit.usage
        }
        if local {
            let output: RunOutput = client.json ? JSONLinesOutput() : HumanOutput()
            let runner = LocalRunner(configuration: try runtime.configuration(), output: output)
            let end = await runner.run(program, placeholders: placeholders)
            if end != .ok { throw end }
            return
        }
        let end = try await ServerClient.with(client) { connection in
            try await ServerRun(client: connection, program: program, follow: follow, wait: wait, placeholders: placeholders).run()
        }
        if end != .ok { throw end }
    }
}
