import ArgumentParser
import Foundation
import RuntimeCore

/// `runtimectl run FILES... [--main F] [--get NAME ...] [--json] --local`
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a program: its files, the first (or --main) being the main file.",
        discussion: """
            Files are named relative to the folder that holds them all, so \
            `run app/main.py app/pkg/util.py` sends `main.py` and `pkg/util.py`.
            """
    )

    @Argument(help: "The program's files.", completion: .file(extensions: ["py"]))
    var files: [String]

    @Option(name: .long, help: "The main file (default: the first file).")
    var main: String?

    @Option(name: .customLong("get"), help: "A placeholder to print once the run ends (repeatable).")
    var placeholders: [String] = []

    @Flag(help: "Print JSON lines (the wire protocol's messages) instead of human output.")
    var json = false

    @Flag(help: "Run here through RuntimeCore, without a server.")
    var local = false

    @OptionGroup var runtime: LocalRuntimeOptions

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one file") }
        guard local else {
            throw ValidationError("talking to a server is not available yet; use --local")
        }
    }

    func run() async throws {
        let program: Program
        do {
            program = try ProgramLoader.load(files: files, main: main)
        } catch let error as RuntimeError {
            throw ValidationError(error.message)
        }
        let output: RunOutput = json ? JSONLinesOutput() : HumanOutput()
        let runner = LocalRunner(configuration: try runtime.configuration(), output: output)
        let ok = await runner.run(program, placeholders: placeholders)
        if !ok { throw CLIExit.failed }
    }
}
