import Foundation
import Logging

/// Where the server's credentials come from: the command line's options
/// (`--token-file`, `--token`, `--users-file`), or when none is given the
/// environment (`RUNTIME_TOKEN_FILE`, `RUNTIME_TOKEN`, `RUNTIME_USERS_FILE`);
/// at most one of the three may be given.
public struct CredentialSources: Sendable {
    /// Credentials that cannot be used; the message says why (never the token).
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// What is wrong.
        public var description: String
    }

    /// `--token-file`: a file holding the token on one line.
    public var tokenFile: String?
    /// `--token`: the token itself (visible in /proc: prefer the file).
    public var token: String?
    /// `--users-file`: `name:hash` lines.
    public var usersFile: String?
    /// The process environment, read only when no option is given.
    public var environment: [String: String]

    /// The options as given (`nil`: not given) and the environment.
    public init(tokenFile: String? = nil, token: String? = nil, usersFile: String? = nil, environment: [String: String] = [:]) {
        self.tokenFile = tokenFile
        self.token = token
        self.usersFile = usersFile
        self.environment = environment
    }

    /// Reads the files named and returns the server's authentication. A token
    /// file holds the token on one line (surrounding whitespace and the final
    /// newline are dropped).
    public func authentication(logger: Logger) throws(Failure) -> ServerConfiguration.Authentication {
        // Options given on the command line replace the environment's wholesale.
        let fromOptions = self.tokenFile != nil || self.token != nil || self.usersFile != nil
        let tokenFile = fromOptions ? self.tokenFile : nonEmpty("RUNTIME_TOKEN_FILE")
        let token = fromOptions ? self.token : nonEmpty("RUNTIME_TOKEN")
        let usersFile = fromOptions ? self.usersFile : nonEmpty("RUNTIME_USERS_FILE")
        let given = [tokenFile != nil, token != nil, usersFile != nil].filter { $0 }.count
        guard given <= 1 else {
            throw Failure(description: "give one of --token-file, --token and --users-file (or their environment variables), not several")
        }
        if let usersFile {
            warnIfReadableByOthers(usersFile, logger: logger)
            do {
                return .users(try UserTable(contentsOfFile: usersFile))
            } catch {
                throw Failure(description: error.description)
            }
        }
        if let tokenFile {
            warnIfReadableByOthers(tokenFile, logger: logger)
            let text: String
            do {
                text = try String(contentsOfFile: tokenFile, encoding: .utf8)
            } catch {
                throw Failure(description: "cannot read the token file \(tokenFile): \(error.localizedDescription)")
            }
            // One line; the newline an editor or `echo` adds is not part of it.
            let secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !secret.isEmpty else { throw Failure(description: "the token file \(tokenFile) is empty") }
            guard !secret.contains(where: \.isNewline) else {
                throw Failure(description: "the token file \(tokenFile) must hold the token on one line")
            }
            return .token(Secret(secret))
        }
        if let token { return .token(Secret(token)) }
        return .open
    }

    private func nonEmpty(_ name: String) -> String? {
        environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A secrets file others can read is worth a warning (not a refusal: a
    /// container's mounted secret may well be 0644).
    private func warnIfReadableByOthers(_ path: String, logger: Logger) {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue,
              mode & 0o077 != 0
        else { return }
        logger.warning("the secrets file can be read by other users; chmod 600 it",
                       metadata: ["file": "\(path)", "mode": "\(String(mode, radix: 8))"])
    }
}
