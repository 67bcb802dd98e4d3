import Foundation
import RuntimeTestSupport

/// Runs the built `runtimectl` binary and collects what it printed.
enum CLI {
    /// How a run of an executable ended and what it printed.
    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The build folder holding the executables.
    static var buildFolder: URL { Processes.buildFolder }

    /// Runs the built `runtimectl` to its end.
    static func run(_ arguments: [String], in directory: URL? = nil, input: String? = nil,
                    environment: [String: String] = [:]) async throws -> Result {
        try await runToEnd("runtimectl", arguments, in: directory, input: input, environment: environment)
    }

    /// Runs the built `RuntimeServer` to its end (for `--help` and refused options).
    static func server(_ arguments: [String], environment: [String: String] = [:]) async throws -> Result {
        try await runToEnd("RuntimeServer", arguments, environment: environment)
    }

    private static func runToEnd(_ executable: String, _ arguments: [String], in directory: URL? = nil, input: String? = nil,
                                 environment: [String: String] = [:]) async throws -> Result {
        let running = try RunningCLI.start(arguments, in: directory, input: input, environment: environment, executable: executable)
        let (status, output) = await running.finish(.seconds(100))
        return Result(status: status ?? -1, stdout: output.stdout, stderr: output.stderr)
    }

    /// A fresh folder with the given files written into it.
    static func folder(_ files: [String: String]) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
        for (name, content) in files {
            let url = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(content.utf8).write(to: url)
        }
        return folder
    }
}
