import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A WebSocket client on a plain socket that sends requests and never reads
/// until told to: the client that stops reading, for back-pressure tests.
/// Its receive buffer is made small so the server's writes back up quickly.
/// Blocking calls run on Dispatch threads, never on Swift's cooperative pool.
public final class SilentWebSocketClient: @unchecked Sendable {
    private let socket: Int32

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    private init(socket: Int32) { self.socket = socket }

    deinit { close(socket) }

    /// Connects to `127.0.0.1:port` and completes the upgrade handshake.
    /// - Parameter headers: extra request header lines, e.g. `Authorization: bearer T`.
    /// - Throws: ``Failure`` with the response head when the upgrade is refused.
    public static func connect(port: Int, path: String = "/", headers: [String] = [],
                               receiveBufferBytes: Int32 = 4096) async throws -> SilentWebSocketClient {
        try await offPool { try connectBlocking(port: port, path: path, headers: headers, receiveBufferBytes: receiveBufferBytes) }
    }

    /// A client on a new TCP connection to `127.0.0.1:port` (its receive
    /// buffer set first, when given); closed when the client is released.
    private static func connected(port: Int, receiveBufferBytes: Int32? = nil) throws -> SilentWebSocketClient {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        let client = SilentWebSocketClient(socket: fd)
        if var size = receiveBufferBytes {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw Failure(description: "connect: \(errno)") }
        return client
    }

    private static func connectBlocking(port: Int, path: String, headers: [String], receiveBufferBytes: Int32) throws -> SilentWebSocketClient {
        let client = try connected(port: port, receiveBufferBytes: receiveBufferBytes)
        let fd = client.socket
        let head = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + headers.map { $0 + "\r\n" }.joined() + "\r\n"
        try client.writeAll(Array(head.utf8))
        // Read the response head byte by byte, so nothing after it is consumed.
        var response: [UInt8] = []
        while !response.ends(with: [13, 10, 13, 10]) {
            var byte: UInt8 = 0
            guard read(fd, &byte, 1) == 1 else { throw Failure(description: "the upgrade got no answer") }
            response.append(byte)
        }
        guard String(decoding: response, as: UTF8.self).hasPrefix("HTTP/1.1 101") else {
            throw Failure(description: "upgrade refused: \(String(decoding: response, as: UTF8.self))")
        }
        return client
    }

    /// Sends `text` as one masked text frame.
    public func send(_ text: String) async throws {
        try await Self.offPool { try self.writeAll(Self.frame(Array(text.utf8))) }
    }

    /// Sends one frame as given: `opcode` (1 text, 0 continuation, …), `fin`,
    /// and masked or not (RFC 6455 has clients mask every frame), for tests
    /// of the server's protocol rules.
    public func send(opcode: UInt8, fin: Bool, payload: [UInt8], masked: Bool = true) async throws {
        var frame = Self.frame(payload)
        frame[0] = (fin ? 0x80 : 0) | (opcode & 0x0F)
        if !masked {
            // The same header without the mask bit and key, and the payload as it is.
            let lengthBytes = switch frame[1] & 0x7F { case 126: 2; case 127: 8; default: 0 }
            frame = [frame[0], frame[1] & 0x7F] + frame[2..<(2 + lengthBytes)] + payload
        }
        let bytes = frame
        try await Self.offPool { try self.writeAll(bytes) }
    }

    /// Sends `head` (a whole HTTP request head) on a new connection to
    /// `127.0.0.1:port` and returns everything the server answers until it
    /// closes the connection.
    public static func exchange(port: Int, head: String) async throws -> String {
        try await offPool {
            let client = try connected(port: port)
            try client.writeAll(Array(head.utf8))
            var answer: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(client.socket, &buffer, buffer.count)
                if n <= 0 { return String(decoding: answer, as: UTF8.self) }
                answer += buffer[0..<n]
            }
        }
    }

    /// Reads whatever arrives until the server ends the connection (end of
    /// stream or reset); returns the bytes read.
    public func readUntilClosed() async -> Int {
        await Self.offPool {
            var total = 0
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = read(self.socket, &buffer, buffer.count)
                if n <= 0 { return total }
                total += n
            }
        }
    }

    /// Reads frames until the server's close frame (returning its status
    /// code) or the end of the stream (`nil`).
    public func readUntilCloseFrame() async -> UInt16? {
        await Self.offPool {
            var data: [UInt8] = []
            var offset = 0
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                // Parse whole frames from `offset` (server frames are not masked).
                while let (opcode, payload, next) = Self.frame(in: data, at: offset) {
                    if opcode == 0x8 {
                        let code = Array(payload.prefix(2))
                        return code.count == 2 ? UInt16(code[0]) << 8 | UInt16(code[1]) : 1005
                    }
                    offset = next
                }
                if offset > 1 << 20 {
                    data.removeFirst(offset)
                    offset = 0
                }
                let n = read(self.socket, &buffer, buffer.count)
                if n <= 0 { return nil }
                data += buffer[0..<n]
            }
        }
    }

    private static func frame(in data: [UInt8], at offset: Int) -> (opcode: UInt8, payload: ArraySlice<UInt8>, next: Int)? {
        guard data.count - offset >= 2 else { return nil }
        let opcode = data[offset] & 0x0F
        var length = Int(data[offset + 1] & 0x7F)
        var start = offset + 2
        if length == 126 {
            guard data.count - offset >= 4 else { return nil }
            length = Int(data[offset + 2]) << 8 | Int(data[offset + 3])
            start = offset + 4
        } else if length == 127 {
            guard data.count - offset >= 10 else { return nil }
            length = (0..<8).reduce(0) { $0 << 8 | Int(data[offset + 2 + $1]) }
            start = offset + 10
        }
        guard data.count - start >= length else { return nil }
        return (opcode, data[start..<(start + length)], start + length)
    }

    /// Closes the socket (the client goes away without a close frame).
    public func disconnect() {
        shutdown(socket, Int32(SHUT_RDWR))
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(socket, $0.baseAddress, $0.count) }
            guard n > 0 else { throw Failure(description: "write: \(errno)") }
            offset += n
        }
    }

    private static func frame(_ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x81]
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        if payload.count < 126 {
            out.append(0x80 | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            out.append(0x80 | 126)
            out += [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            out.append(0x80 | 127)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: payload.count >> shift)) }
        }
        out += mask
        out += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        return out
    }

    private static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }

    private static func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: body()) }
        }
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
