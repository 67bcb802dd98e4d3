/// A salted hash of a user's token, as a users file holds it:
/// `sha256$<salt, hex>$<SHA-256(salt ‖ token), hex>`.
///
/// Tokens are meant to be long random strings (`openssl rand -hex 32`), so one
/// salted SHA-256 is enough and stays cheap to check on every upgrade; a slow
/// password hash would let unknown tokens cost the server time per user.
public struct TokenHash: Sendable, Equatable, CustomStringConvertible {
    /// The scheme name that starts the text form.
    public static let scheme = "sha256"

    /// Random bytes hashed in front of the token (16 from ``init(token:salt:)``).
    public let salt: [UInt8]
    /// SHA-256 of salt and token, 32 bytes.
    public let digest: [UInt8]

    /// Hashes `token` with `salt`, or with 16 fresh random bytes.
    public init(token: String, salt: [UInt8]? = nil) {
        var generator = SystemRandomNumberGenerator()
        let salt = salt ?? (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        self.salt = salt
        self.digest = SHA256.hash(salt + Array(token.utf8))
    }

    /// Reads the text form; `nil` when it is not one.
    public init?(parsing text: some StringProtocol) {
        let parts = text.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == Self.scheme,
              let salt = Hex.decode(parts[1]), !salt.isEmpty,
              let digest = Hex.decode(parts[2]), digest.count == 32
        else { return nil }
        self.salt = salt
        self.digest = digest
    }

    /// The text form, `sha256$<salt>$<digest>`.
    public var description: String { "\(Self.scheme)$\(Hex.encode(salt))$\(Hex.encode(digest))" }

    /// Whether `token` hashes to this, compared in constant time.
    public func matches(_ token: some StringProtocol) -> Bool {
        ConstantTime.equals(SHA256.hash(salt + Array(token.utf8)), digest)
    }
}

/// Lower-case hexadecimal.
enum Hex {
    static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x61...0x66: return c - 0x61 + 10
            case 0x41...0x46: return c - 0x41 + 10
            default: return nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let high = nibble(chars[i]), let low = nibble(chars[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }
}
