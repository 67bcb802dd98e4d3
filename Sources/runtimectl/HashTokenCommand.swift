import ArgumentParser
import Foundation
import RuntimeService

/// `runtimectl hash-token`: reads a token on standard input and prints the
/// salted hash a users file holds for it (`NAME:` + this line).
struct HashTokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-token",
        abstract: "Hash a token read from standard input, for a line NAME:HASH of the server's --users-file.",
        discussion: """
            The token is read from standard input (one line; the trailing newline is not part of it), \
            so it never appears on a command line. Example:
              openssl rand -hex 32 > alice.token
              echo "alice:$(runtimectl hash-token < alice.token)" >> users.txt
            """
    )

    func run() throws {
        let input = FileHandle.standardInput.readDataToEndOfFile()
        guard let text = String(data: input, encoding: .utf8) else {
            Console.err("runtimectl: the token must be UTF-8 text\n")
            throw CLIExit.usage
        }
        // The same trimming the server applies to a --token-file.
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else {
            Console.err("runtimectl: no token on standard input\n")
            throw CLIExit.usage
        }
        guard !token.contains(where: \.isNewline) else {
            Console.err("runtimectl: the token must be a single line\n")
            throw CLIExit.usage
        }
        Console.out(TokenHash(token: token).description + "\n")
    }
}
