/// Joins WebSocket frames into messages, enforcing the message size limit
/// without closing the connection: an oversized message is skipped to its
/// last frame and reported once. Frames out of RFC 6455's order (§5.4) are
/// reported as a protocol violation, on which the connection closes with 1002.
/// Pure; no I/O.
struct MessageAssembler {
    enum Output: Equatable {
        /// A whole message's bytes (text and binary frames are both read as UTF-8 JSON).
        case message([UInt8])
        /// A message passed the limit; it is dropped. `bytes` is how much had arrived.
        case oversized(bytes: Int)
        /// The frames broke RFC 6455's fragmentation rules; `reason` says how
        /// (for the close frame). Nothing more is to be fed.
        case protocolViolation(reason: String)
    }

    let limit: Int
    private var buffer: [UInt8] = []
    private var inMessage = false
    private var skipping = false
    private var skippedBytes = 0

    init(limit: Int) { self.limit = limit }

    /// Feeds one data frame's bytes (a WebSocket buffer's view, copied once,
    /// into the message); returns a finished message or an oversize notice.
    mutating func feed<Bytes: Collection<UInt8>>(_ bytes: Bytes, isContinuation: Bool, fin: Bool) -> Output? {
        if !isContinuation {
            guard !inMessage else { return .protocolViolation(reason: "a new message began before the last one's final fragment") }
            buffer.removeAll(keepingCapacity: true)
            skipping = false
            skippedBytes = 0
            inMessage = true
        } else if !inMessage {
            return .protocolViolation(reason: "a continuation frame with no message to continue")
        }
        if skipping {
            skippedBytes += bytes.count
        } else if buffer.count + bytes.count > limit {
            skipping = true
            skippedBytes = buffer.count + bytes.count
            buffer.removeAll()
        } else {
            buffer.append(contentsOf: bytes)
        }
        guard fin else { return nil }
        inMessage = false
        if skipping {
            skipping = false
            return .oversized(bytes: skippedBytes)
        }
        defer { buffer.removeAll(keepingCapacity: buffer.count < 1 << 20) }
        return .message(buffer)
    }
}
