import Foundation

/// The users of a server started with `--users-file`: one `name:hash` per
/// line (`hash` from `runtimectl hash-token`); blank lines and lines starting
/// with `#` are ignored.
public struct UserTable: Sendable, CustomStringConvertible, CustomReflectable {
    /// One user and the hash of their token.
    public struct Entry: Sendable, Equatable {
        /// Who.
        public var user: ServerUser
        /// The hash of their token.
        public var hash: TokenHash

        /// One user and the hash of their token.
        public init(user: ServerUser, hash: TokenHash) {
            self.user = user
            self.hash = hash
        }
    }

    /// A users file that cannot be used; the message names the line.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        /// What is wrong, and on which line.
        public var description: String
    }

    /// The users, in file order.
    public let entries: [Entry]

    /// A table built in code (tests, embedding).
    public init(entries: [Entry]) { self.entries = entries }

    /// Reads a users file's text.
    public init(parsing text: String) throws(Invalid) {
        var entries: [Entry] = []
        var names = Set<String>()
        // "\r\n" is one Character in Swift; isNewline splits on it as on "\n".
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let number = index + 1
            guard let colon = line.firstIndex(of: ":") else {
                throw Invalid(description: "line \(number): expected name:hash")
            }
            let name = String(line[..<colon])
            guard ServerUser.isValidName(name) else {
                throw Invalid(description: "line \(number): a user name is 1 to 64 letters, digits, '.', '_' or '-'")
            }
            guard let hash = TokenHash(parsing: line[line.index(after: colon)...]) else {
                throw Invalid(description: "line \(number): the hash of user \(name) is not sha256$<salt hex>$<64 hex digits> (make it with runtimectl hash-token)")
            }
            guard names.insert(name).inserted else { throw Invalid(description: "line \(number): user \(name) is listed twice") }
            entries.append(Entry(user: ServerUser(name: name), hash: hash))
        }
        guard !entries.isEmpty else { throw Invalid(description: "the users file lists no user") }
        self.entries = entries
    }

    /// Reads a users file.
    public init(contentsOfFile path: String) throws(Invalid) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw Invalid(description: "cannot read the users file \(path): \(error.localizedDescription)")
        }
        do {
            try self.init(parsing: text)
        } catch {
            throw Invalid(description: "\(path): \(error.description)")
        }
    }

    /// The user whose token this is. Every entry is checked, so the time taken
    /// does not tell which user (if any) came close.
    public func user(forToken token: some StringProtocol) -> ServerUser? {
        var found: ServerUser?
        for entry in entries where entry.hash.matches(token) && found == nil {
            found = entry.user
        }
        return found
    }

    /// The user names only, never the hashes.
    public var description: String { "\(entries.count) users: \(entries.map(\.user.name).joined(separator: ", "))" }
    /// The user names only.
    public var customMirror: Mirror { Mirror(self, children: ["users": entries.map(\.user.name)], displayStyle: .struct) }
}
