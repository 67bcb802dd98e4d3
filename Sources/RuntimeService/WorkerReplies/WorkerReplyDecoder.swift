import NIOCore
import RuntimeJSON
import WorkerFrames

/// Splits the bytes of a worker's reply channel into messages: a header
/// frame (a JSON object) and the raw parts it announces, each a 4-byte
/// big-endian length and that many bytes (``FrameIO``'s framing).
///
/// The worker is untrusted: a message (its frames, lengths included) is at
/// most ``FrameProtocol/maximumPipedReplyBytes`` (larger replies come on the
/// frame pipe), checked at each frame's length before a byte of it is waited
/// for. So the loop never holds or parses more than that for one message.
struct WorkerReplyDecoder {
    /// One message, as ``WorkerProcess/receiveReply(header:parts:)`` takes it.
    struct Message {
        var header: JSONValue
        var parts: [[UInt8]]
    }

    /// What breaks the framing; the worker is then cut off.
    struct Violation: Error, CustomStringConvertible {
        var description: String
    }

    let maximumMessageBytes: Int
    /// The header of a message whose parts are still coming, and how many.
    private var pending: (header: JSONValue, partsLeft: Int)?
    private var parts: [[UInt8]] = []
    /// Bytes of the present message taken so far.
    private var taken = 0

    init(maximumMessageBytes: Int = FrameProtocol.maximumPipedReplyBytes) {
        self.maximumMessageBytes = maximumMessageBytes
    }

    /// No message is half read (its header taken, parts still to come).
    var atMessageBoundary: Bool { pending == nil }

    /// The channel has ended with `buffer` unread: a frame or a message cut
    /// short is a violation.
    func checkEnd(leaving buffer: ByteBuffer) throws(Violation) {
        if buffer.readableBytes > 0 || pending != nil { throw Violation(description: "frame cut short") }
    }

    /// Takes one whole frame from `buffer`: nil when it is not all there yet;
    /// `.some(nil)` for a frame that leaves its message incomplete.
    mutating func next(from buffer: inout ByteBuffer) throws(Violation) -> Message?? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self).map(Int.init) else { return nil }
        guard taken + 4 + length <= maximumMessageBytes else {
            throw Violation(description: "a frame of \(length) bytes takes a reply past the reply pipe's limit of \(maximumMessageBytes) bytes")
        }
        guard buffer.readableBytes >= 4 + length else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        let body = buffer.readBytes(length: length) ?? []
        taken += 4 + length
        guard var pending else {
            let header: JSONValue, partCount: Int
            do {
                (header, partCount) = try FrameIO.header(from: body)
            } catch {
                throw Violation(description: error.description)
            }
            if partCount == 0 {
                taken = 0
                return .some(Message(header: header, parts: []))
            }
            self.pending = (header, partCount)
            return .some(nil)
        }
        parts.append(body)
        pending.partsLeft -= 1
        guard pending.partsLeft == 0 else {
            self.pending = pending
            return .some(nil)
        }
        defer { self.pending = nil; parts = []; taken = 0 }
        return .some(Message(header: pending.header, parts: parts))
    }
}
