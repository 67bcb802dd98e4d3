import ArgumentParser
import Foundation

/// `runtimectl`: runs Python programs through RuntimeCore, locally or on a
/// running RuntimeServer.
@main
struct Runtimectl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runtimectl",
        abstract: "Run Python programs and read their placeholders.",
        discussion: """
            Exit codes: 0 ok; 1 the run or request failed; 2 usage error; 3 cannot connect; 4 not found; \
            130 stopped waiting at a second Ctrl-C; 141 standard output closed.
            """,
        subcommands: [RunCommand.self, AttachCommand.self, StatusCommand.self, GetCommand.self, StatsCommand.self, ModelCommand.self,
                      StopCommand.self, SessionsCommand.self, DeleteCommand.self, HashTokenCommand.self]
    )

    /// Bare `runtimectl`: the usage, on stderr, as a usage error (exit 2).
    func run() async throws {
        Console.err(Self.helpMessage() + "\n")
        throw CLIExit.usage
    }

    /// Parses and runs, mapping outcomes onto the documented exit codes.
    static func main() async {
        let command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            let code = exitCode(for: error)
            // Help and version requests: ArgumentParser prints them and exits 0.
            if code == .success { exit(withError: error) }
            Console.err(fullMessage(for: error) + "\n")
            Foundation.exit(CLIExit.usage.rawValue)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var syncCommand = command
                try syncCommand.run()
            }
            Foundation.exit(0)
        } catch let exit as CLIExit {
            Foundation.exit(exit.rawValue)
        } catch {
            // A command's own help request (CleanExit) prints and exits 0.
            if exitCode(for: error) == .success { exit(withError: error) }
            Console.err(fullMessage(for: error) + "\n")
            Foundation.exit(CLIExit.usage.rawValue)
        }
    }
}

/// The documented exit codes.
enum CLIExit: Int32, Error {
    case ok = 0
    /// The run failed or was stopped, or the request failed.
    case failed = 1
    case usage = 2
    case cannotConnect = 3
    case notFound = 4

    /// How `run` ends: failed (1) when the run did not finish or a read of a
    /// placeholder failed otherwise; not found (4), as `get` says it, when the
    /// run finished but a placeholder asked for is not there; else ok.
    static func ofRun(finished: Bool, placeholderMissing: Bool, readFailed: Bool) -> CLIExit {
        if !finished || readFailed { return .failed }
        return placeholderMissing ? .notFound : .ok
    }
}
