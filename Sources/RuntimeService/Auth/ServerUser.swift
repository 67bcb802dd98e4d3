/// Who a connection authenticated as. Sessions belong to the user who started
/// them; log lines and metrics name the user, never the token.
public struct ServerUser: Sendable, Hashable, CustomStringConvertible {
    /// The user's name: letters, digits, `.`, `_` and `-`.
    public let name: String

    /// A user by name (see ``isValidName(_:)``).
    public init(name: String) { self.name = name }

    /// The name.
    public var description: String { name }

    /// Every client of a server with no token.
    public static let anonymous = ServerUser(name: "anonymous")
    /// Every client of a server with a single `--token`: one user.
    public static let tokenHolder = ServerUser(name: "default")

    /// Whether `name` may name a user (1–64 of `A-Z a-z 0-9 . _ -`).
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
    }
}
