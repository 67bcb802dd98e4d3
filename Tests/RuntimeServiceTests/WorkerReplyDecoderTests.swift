import NIOCore
import RuntimeJSON
import Testing
import WorkerFrames
@testable import RuntimeService

/// The event loop's split of a worker's reply channel: whole messages
/// however the bytes arrive, and every limit checked before the bytes of a
/// frame are waited for.
struct WorkerReplyDecoderTests {
    private static func frame(_ body: [UInt8]) -> [UInt8] {
        let n = UInt32(body.count)
        return [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)] + body
    }

    private static func decoder() -> WorkerReplyDecoder {
        WorkerReplyDecoder(maximumMessageBytes: 64)
    }

    /// Feeds `bytes` in pieces of `step`, returning every message decoded.
    private static func decode(_ bytes: [UInt8], step: Int, with decoder: inout WorkerReplyDecoder) throws -> [WorkerReplyDecoder.Message] {
        var buffer = ByteBuffer()
        var messages: [WorkerReplyDecoder.Message] = []
        var offset = 0
        while offset < bytes.count {
            buffer.writeBytes(bytes[offset..<min(bytes.count, offset + step)])
            offset += step
            while let next = try decoder.next(from: &buffer) {
                if let message = next { messages.append(message) }
            }
        }
        try decoder.checkEnd(leaving: buffer)
        return messages
    }

    @Test(arguments: [1, 3, 7, 1000])
    func messagesComeWholeHoweverTheBytesArrive(step: Int) throws {
        let plain = Self.frame(Array(#"{"ev":"reply","rid":1}"#.utf8))
        let withParts = Self.frame(Array(#"{"ev":"reply","rid":2,"parts":["a","b"]}"#.utf8))
            + Self.frame(Array("[1,2]".utf8)) + Self.frame(Array("3".utf8))
        var decoder = Self.decoder()
        let messages = try Self.decode(plain + withParts + plain, step: step, with: &decoder)
        #expect(messages.map { $0.header["rid"] } == [.int(1), .int(2), .int(1)])
        #expect(messages.map(\.parts) == [[], [Array("[1,2]".utf8), Array("3".utf8)], []])
    }

    @Test func aHeaderOverTheLimitIsRefusedBeforeItsBytesCome() throws {
        var decoder = Self.decoder()
        var buffer = ByteBuffer(bytes: [0, 0, 0, 61])  // 4 + 61 > 64, and no body sent
        #expect(throws: WorkerReplyDecoder.Violation.self) { try decoder.next(from: &buffer) }
    }

    @Test func aPartTakingTheMessageOverTheLimitIsRefusedBeforeItsBytesCome() throws {
        var decoder = Self.decoder()
        // A header of 4 + 28 bytes, then a part of 4 + 29: 65 > 64.
        var buffer = ByteBuffer(bytes: Self.frame(Array(#"{"ev":"reply","parts":["a"]}"#.utf8)) + [0, 0, 0, 29])
        let header = try decoder.next(from: &buffer)
        #expect(header != nil && header! == nil, "the header alone is no message yet")
        #expect(throws: WorkerReplyDecoder.Violation.self) { try decoder.next(from: &buffer) }
    }

    @Test(arguments: [
        #"[1]"#,  // not an object
        #"{"ev":"reply""#,  // not JSON
        #"{"ev":"reply","parts":["a","a","a","a","a","a","a","a","a"]}"#,  // more parts than allowed
    ])
    func aHeaderThatIsNotAMessageIsAViolation(header: String) throws {
        var decoder = WorkerReplyDecoder(maximumMessageBytes: 1024)
        var buffer = ByteBuffer(bytes: Self.frame(Array(header.utf8)))
        #expect(throws: WorkerReplyDecoder.Violation.self) { try decoder.next(from: &buffer) }
    }

    @Test func anEndInsideAFrameOrAMessageIsAViolation() throws {
        var decoder = Self.decoder()
        #expect(throws: WorkerReplyDecoder.Violation.self) {
            _ = try Self.decode(Array(Self.frame(Array(#"{"ev":"reply"}"#.utf8)).dropLast()), step: 4, with: &decoder)
        }
        var another = Self.decoder()
        #expect(throws: WorkerReplyDecoder.Violation.self) {
            _ = try Self.decode(Self.frame(Array(#"{"ev":"reply","parts":["a"]}"#.utf8)), step: 4, with: &another)
        }
        var clean = Self.decoder()
        #expect(try Self.decode([], step: 1, with: &clean).isEmpty)
    }
}
