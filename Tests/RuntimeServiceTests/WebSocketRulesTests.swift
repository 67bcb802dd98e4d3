import Foundation
import RuntimeClient
@testable import RuntimeService
import RuntimeTestSupport
import Testing

/// RFC 6455's rules at the edges the WebSocket library leaves to us: the
/// handshake (answered 426 or 400 with the contract's error body, where the
/// upgrader would close without a word), masking and the order of fragments
/// (a connection that breaks either is closed with 1002). Each fault loses nothing:
/// the server serves other connections as before.
@Suite(.timeLimit(.minutes(2)))
struct WebSocketRulesTests {
    private static let key = "dGhlIHNhbXBsZSBub25jZQ=="

    private static func upgradeHead(version: String?, key: String?) -> String {
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + (version.map { "Sec-WebSocket-Version: \($0)\r\n" } ?? "")
            + (key.map { "Sec-WebSocket-Key: \($0)\r\n" } ?? "") + "\r\n"
    }

    /// The fault lost nothing: a proper client is served as before. Then the server stops.
    private func expectServesAProperClientAndStop(_ server: TestServer) async throws {
        let client = try await server.connect()
        #expect(try await client.request(["action": "list_sessions"]).type == "[sessions]:LIST")
        await client.close()
        try await server.stop()
    }

    @Test func fragmentsAreJoinedAndTheirOrderIsEnforced() {
        var assembler = MessageAssembler(limit: 100)
        #expect(assembler.feed(Array("{\"a\":".utf8), isContinuation: false, fin: false) == nil)
        #expect(assembler.feed(Array("1}".utf8), isContinuation: true, fin: true) == .message(Array("{\"a\":1}".utf8)))
        // A continuation with nothing to continue.
        #expect(assembler.feed([1], isContinuation: true, fin: true)
            == .protocolViolation(reason: "a continuation frame with no message to continue"))

        var interrupted = MessageAssembler(limit: 100)
        #expect(interrupted.feed([1], isContinuation: false, fin: false) == nil)
        #expect(interrupted.feed([2], isContinuation: false, fin: true)
            == .protocolViolation(reason: "a new message began before the last one's final fragment"))

        // An oversized message is still skipped whole, and reported once.
        var large = MessageAssembler(limit: 4)
        #expect(large.feed([1, 2, 3], isContinuation: false, fin: false) == nil)
        #expect(large.feed([4, 5, 6], isContinuation: true, fin: false) == nil)
        #expect(large.feed([7], isContinuation: true, fin: true) == .oversized(bytes: 7))
        #expect(large.feed([1], isContinuation: false, fin: true) == .message([1]))
    }

    @Test func unmaskedFramesAreFoundHeaderByHeader() {
        func frame(_ payloadLength: Int, masked: Bool) -> [UInt8] {
            var out: [UInt8] = [0x81]
            let bit: UInt8 = masked ? 0x80 : 0
            if payloadLength < 126 {
                out.append(bit | UInt8(payloadLength))
            } else if payloadLength <= 0xFFFF {
                out += [bit | 126, UInt8(payloadLength >> 8), UInt8(payloadLength & 0xFF)]
            } else {
                out.append(bit | 127)
                for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: payloadLength >> shift)) }
            }
            if masked { out += [1, 2, 3, 4] }
            return out + [UInt8](repeating: 0x7F, count: payloadLength)
        }
        // Masked frames of each length form pass, fed whole or a byte at a time.
        let masked = frame(5, masked: true) + frame(300, masked: true) + frame(70_000, masked: true)
        var whole = ClientFrameScanner()
        #expect(whole.firstUnmaskedFrame(in: masked) == nil)
        var byByte = ClientFrameScanner()
        #expect(masked.indices.allSatisfy { byByte.firstUnmaskedFrame(in: masked[$0...$0]) == nil })
        // The unmasked one is found where its header begins, even when a
        // payload byte looks like a header (0x7F: no mask bit).
        var scanner = ClientFrameScanner()
        let stream = masked + frame(3, masked: false)
        #expect(scanner.firstUnmaskedFrame(in: stream) == masked.count)
        // Its header split across reads: found in the second, at its start.
        var split = ClientFrameScanner()
        let bad = frame(3, masked: false)
        #expect(split.firstUnmaskedFrame(in: frame(2, masked: true) + bad.prefix(1)) == nil)
        #expect(split.firstUnmaskedFrame(in: Array(bad.dropFirst())) == 0)
    }

    @Test func anUnmaskedFrameClosesTheConnectionWith1002() async throws {
        let server = try await TestServer.start()
        let client = try await SilentWebSocketClient.connect(port: server.port, receiveBufferBytes: 1 << 16)
        try await client.send(opcode: 1, fin: true, payload: Array(#"{"action":"list_sessions"}"#.utf8), masked: false)
        // Closed with 1002, and then the socket too, without the client's answer.
        #expect(await client.readUntilCloseFrame() == 1002)
        #expect(await client.readUntilClosed() == 0)

        // A masked client is served as before, through the gate's frame check.
        try await expectServesAProperClientAndStop(server)
    }

    @Test func aBadHandshakeIsAnsweredNotDropped() async throws {
        let server = try await TestServer.start()
        let otherVersion = try await SilentWebSocketClient.exchange(port: server.port, head: Self.upgradeHead(version: "8", key: Self.key))
        #expect(otherVersion.hasPrefix("HTTP/1.1 426 Upgrade Required\r\n"))
        #expect(otherVersion.contains("\r\nSec-WebSocket-Version: 13\r\n"))
        #expect(otherVersion.contains(#""code":"INVALID_REQUEST""#))
        #expect(otherVersion.contains("Sec-WebSocket-Version 8 is not supported"))

        let noVersion = try await SilentWebSocketClient.exchange(port: server.port, head: Self.upgradeHead(version: nil, key: Self.key))
        #expect(noVersion.hasPrefix("HTTP/1.1 426 "))

        let noKey = try await SilentWebSocketClient.exchange(port: server.port, head: Self.upgradeHead(version: "13", key: nil))
        #expect(noKey.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(noKey.contains("Sec-WebSocket-Key is missing"))

        let shortKey = try await SilentWebSocketClient.exchange(port: server.port, head: Self.upgradeHead(version: "13", key: "c2hvcnQ="))
        #expect(shortKey.hasPrefix("HTTP/1.1 400 "))
        #expect(shortKey.contains(#""type":"[error]:INVALID_REQUEST""#))

        // The body is the contract's error message, with its length.
        let body = try #require(shortKey.components(separatedBy: "\r\n\r\n").last)
        #expect(shortKey.contains("Content-Length: \(body.utf8.count)\r\n"))

        try await expectServesAProperClientAndStop(server)
    }

    @Test func framesOutOfOrderCloseTheConnectionWith1002() async throws {
        let server = try await TestServer.start()
        let stray = try await SilentWebSocketClient.connect(port: server.port, receiveBufferBytes: 1 << 16)
        try await stray.send(opcode: 0, fin: true, payload: Array("{}".utf8))
        #expect(await stray.readUntilCloseFrame() == 1002)
        stray.disconnect()

        let interrupting = try await SilentWebSocketClient.connect(port: server.port, receiveBufferBytes: 1 << 16)
        try await interrupting.send(opcode: 1, fin: false, payload: Array(#"{"action":"#.utf8))
        try await interrupting.send(opcode: 1, fin: true, payload: Array(#"{"action":"list_sessions"}"#.utf8))
        #expect(await interrupting.readUntilCloseFrame() == 1002)
        interrupting.disconnect()

        // A client that never answers the close frame is not kept: its
        // socket is closed once the grace period is over (1 s by default).
        let silent = try await SilentWebSocketClient.connect(port: server.port, receiveBufferBytes: 1 << 16)
        try await silent.send(opcode: 0, fin: false, payload: [0x7B])
        #expect(await silent.readUntilCloseFrame() == 1002)
        _ = await silent.readUntilClosed()

        try await expectServesAProperClientAndStop(server)
    }
}
