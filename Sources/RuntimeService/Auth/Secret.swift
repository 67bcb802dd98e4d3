/// A secret string (a token) that never prints: its `description`, debug
/// description and reflection all read `<redacted>`, so a configuration that
/// holds one can be logged (ServiceLifecycle logs its services at debug level)
/// without leaking it.
public struct Secret: Sendable, Equatable, ExpressibleByStringLiteral, CustomStringConvertible,
    CustomDebugStringConvertible, CustomReflectable
{
    /// The secret itself; read it only to compare or to send.
    public let value: String

    /// Wraps a secret read from a file, the environment or an option.
    public init(_ value: String) { self.value = value }
    /// A secret written in code (tests).
    public init(stringLiteral value: String) { self.value = value }

    /// `<redacted>`.
    public var description: String { "<redacted>" }
    /// `<redacted>`.
    public var debugDescription: String { "<redacted>" }
    /// No children: `dump` and reflection show nothing of the value.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// Whether `candidate` equals the secret, in time that depends only on the lengths.
    public func matches(_ candidate: some StringProtocol) -> Bool {
        ConstantTime.equals(Array(candidate.utf8), Array(value.utf8))
    }
}

/// Comparisons whose time does not depend on where the inputs differ.
enum ConstantTime {
    static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        // The length is not secret (a token's length is no help in guessing it);
        // the contents are compared in full whatever they hold.
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
