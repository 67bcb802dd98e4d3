import RuntimeCore

/// A message ready to send: its JSON text, written once.
///
/// A large encoded value spliced into a reply (a kept table, a long list of
/// predictions) stays a piece of its own, shared with where it is kept
/// rather than copied: the transport copies each piece once, into what it
/// sends. Written out whole first, a 1 MiB table was copied twice on the
/// way out, once into the message and once into the socket's buffer.
public struct WireMessage: Sendable {
    /// The message's UTF-8 text in pieces, in order; most messages are one piece.
    public let pieces: [[UInt8]]
    /// The message's size in bytes: the sum of its pieces'.
    public let byteCount: Int

    /// Fragments from this size on are kept as pieces of their own; smaller
    /// ones cost less to copy than to send apart.
    static let sharedPieceBytes = 16 << 10

    /// A message from a value.
    public init(_ value: JSONValue) {
        let bytes = value.jsonBytes
        pieces = [bytes]
        byteCount = bytes.count
    }

    /// A message from members that may hold encoded fragments.
    package init(_ members: [(String, JSONMember)]) {
        self.init(members, splicedBytes: WireReplies.splicedBytes(members))
    }

    /// A message from members whose fragments hold `splicedBytes` bytes
    /// (``WireReplies/splicedBytes(_:)``, when the caller counted them already).
    package init(_ members: [(String, JSONMember)], splicedBytes: Int) {
        // Room for the small fragments copied in: none is regrown.
        var writer = JSONWriter(reservingCapacity: 256 + min(splicedBytes, Self.sharedPieceBytes))
        var pieces = writer.writeObject(members, sharingFrom: Self.sharedPieceBytes)
        pieces.append(writer.bytes)
        self.pieces = pieces
        byteCount = pieces.reduce(0) { $0 + $1.count }
    }

    /// The message as one JSON text (its pieces joined: a copy when there
    /// are several).
    public var fragment: JSONFragment { JSONFragment(trusted: bytes) }

    /// The UTF-8 bytes to send, in one array (a copy when there are several pieces).
    public var bytes: [UInt8] {
        guard pieces.count > 1 else { return pieces.first ?? [] }
        var joined: [UInt8] = []
        joined.reserveCapacity(byteCount)
        for piece in pieces { joined.append(contentsOf: piece) }
        return joined
    }
}
