import RuntimeJSON
import RuntimeProtocol
import Testing

/// A reply's large spliced value is a piece of its own, shared rather than
/// copied; joined, the pieces are the same JSON text as one piece would be.
@Suite
struct WireMessageTests {
    /// A table-like fragment of about `bytes` bytes.
    private func fragment(bytes: Int) -> JSONFragment {
        JSONFragment(.array(Array(repeating: .double(0.125), count: bytes / 6)))
    }

    @Test func aLargeFragmentIsAPieceOfItsOwn() throws {
        let table = fragment(bytes: 1 << 20)
        let members = WireReplies.stats(sessionId: "s", name: "t", value: table) + [("id", .value(7))]
        let message = WireMessage(members)
        #expect(message.pieces.count == 3)
        #expect(message.pieces[1] == table.bytes)
        #expect(message.byteCount == message.pieces.reduce(0) { $0 + $1.count })
        #expect(message.byteCount == message.bytes.count)

        var whole = JSONWriter()
        whole.writeObject(members)
        #expect(message.bytes == whole.bytes)
        let decoded = try JSONParser.parse(message.bytes)
        #expect(decoded["id"]?.intValue == 7)
        #expect(decoded["value"]?.arrayValue?.count == (1 << 20) / 6)
    }

    @Test func smallFragmentsAreCopiedIntoOnePiece() throws {
        let predictions = fragment(bytes: 600)
        let message = WireMessage(WireReplies.modelResult(sessionId: "s", name: "m", predictions: predictions))
        #expect(message.pieces.count == 1)
        #expect(message.byteCount == message.bytes.count)
        #expect(try JSONParser.parse(message.bytes)["predictions"]?.arrayValue?.count == 100)
    }

    @Test func twoLargeFragmentsKeepTheirOrder() throws {
        let first = fragment(bytes: 64 << 10), second = fragment(bytes: 32 << 10)
        let members: [(String, JSONMember)] = [("a", .fragment(first)), ("b", .value("between")), ("c", .fragment(second))]
        let message = WireMessage(members)
        #expect(message.pieces.count == 5)
        #expect(message.pieces[1] == first.bytes && message.pieces[3] == second.bytes)
        var whole = JSONWriter()
        whole.writeObject(members)
        #expect(message.bytes == whole.bytes)
        #expect(message.fragment.bytes == whole.bytes)
    }
}
