/// Follows a client's WebSocket frames through the connection's raw bytes,
/// header by header, to find one that is not masked: RFC 6455 §5.1 has the
/// server close the connection on such a frame, which the WebSocket library
/// decodes without looking. Payloads are skipped, not read: the cost is per
/// frame, not per byte. Pure; no I/O.
struct ClientFrameScanner {
    /// The frame header in progress (up to 14 bytes).
    private var header: [UInt8] = []
    /// Payload bytes of the current frame still to come.
    private var payloadLeft: UInt64 = 0

    /// Scans the next bytes of the stream; returns the offset in `bytes` at
    /// which the header of an unmasked frame begins (0 when it began in
    /// earlier bytes), or nil when every frame so far is masked.
    mutating func firstUnmaskedFrame<Bytes: RandomAccessCollection<UInt8>>(in bytes: Bytes) -> Int? {
        var index = bytes.startIndex
        var headerStart = 0
        while index != bytes.endIndex {
            if payloadLeft > 0 {
                let skipped = min(payloadLeft, UInt64(bytes.distance(from: index, to: bytes.endIndex)))
                payloadLeft -= skipped
                index = bytes.index(index, offsetBy: Int(skipped))
                continue
            }
            if header.isEmpty { headerStart = bytes.distance(from: bytes.startIndex, to: index) }
            header.append(bytes[index])
            index = bytes.index(after: index)
            guard header.count >= 2 else { continue }
            if header[1] & 0x80 == 0 { return headerStart }  // 0 when the header began in earlier bytes
            let lengthBytes = switch header[1] & 0x7F { case 126: 2; case 127: 8; default: 0 }
            guard header.count == 2 + lengthBytes + 4 else { continue }
            payloadLeft = switch lengthBytes {
            case 0: UInt64(header[1] & 0x7F)
            default: header[2..<(2 + lengthBytes)].reduce(0) { $0 << 8 | UInt64($1) }
            }
            header.removeAll(keepingCapacity: true)
        }
        return nil
    }
}
