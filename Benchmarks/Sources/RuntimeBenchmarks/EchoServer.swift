import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// The floor: a plain WebSocket echo server on Hummingbird, the same stack as
/// RuntimeServer, doing nothing but answering each message.
///
/// On `/` it sends each message back as it came. On `/sized?bytes=N` it
/// answers each message with a text message of exactly N bytes (built once per
/// connection), so that a request can be set beside an echo whose reply has
/// the size of the server's reply to it. On `/relay?bytes=N&via=cat` (or
/// `via=python`, `via=python-loop`) it answers the same way, but only once
/// the message has passed through a child process of the connection's own
/// (``RelayProcess``): the floor of a server that hands each request to a
/// worker process.
enum EchoServer {
    /// `python`: the interpreter of `via=python` relays.
    static func run(port: Int, python: String?) async throws {
        var logger = Logger(label: "echo")
        logger.logLevel = .warning
        let router = Router()
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(configuration: .init(ws: .init(maxFrameSize: 1 << 26, autoPing: .disabled))) { head, channel, _ in
                let path = head.path ?? "/"
                let replyBytes = sizedReplyBytes(path: path)
                return .upgrade([:]) { inbound, outbound, _ in
                    if let (replyBytes, via) = relay(path: path) {
                        let reply = ByteBuffer(bytes: paddedJSON(bytes: replyBytes))
                        let serve = { (child: RelayProcess) in
                            defer { child.close() }
                            for try await message in inbound.messages(maxSize: 1 << 26) {
                                switch message {
                                case .text(let text): try await child.pass(Array(text.utf8))
                                case .binary(let buffer): try await child.pass(Array(buffer.readableBytesView))
                                }
                                try await outbound.write(.custom(.init(fin: true, opcode: .text, data: reply)))
                            }
                        }
                        switch via {
                        case "python-loop":
                            // All on the connection's event loop: its reading, the child's answers, the reply.
                            try await withTaskExecutorPreference(EventLoopExecutor(channel.eventLoop)) {
                                try await serve(try await RelayProcess.python(python ?? "python3", readingOn: channel.eventLoop))
                            }
                        case "python": try await serve(try await RelayProcess.python(python ?? "python3"))
                        default: try await serve(try await RelayProcess.cat())
                        }
                    } else if let replyBytes {
                        let reply = ByteBuffer(bytes: paddedJSON(bytes: replyBytes))
                        for try await _ in inbound.messages(maxSize: 1 << 26) {
                            try await outbound.write(.custom(.init(fin: true, opcode: .text, data: reply)))
                        }
                    } else {
                        for try await message in inbound.messages(maxSize: 1 << 26) {
                            switch message {
                            case .text(let text): try await outbound.write(.text(text))
                            case .binary(let buffer): try await outbound.write(.binary(buffer))
                            }
                        }
                    }
                }
            },
            configuration: .init(address: .hostname("127.0.0.1", port: port)),
            logger: logger
        )
        try await app.runService()
    }

    /// N from `/sized?bytes=N`; nil for any other path.
    static func sizedReplyBytes(path: String) -> Int? {
        guard path.hasPrefix("/sized?bytes=") else { return nil }
        return Int(path.dropFirst("/sized?bytes=".count)).map { max(0, $0) }
    }

    /// N and the child's kind from `/relay?bytes=N&via=cat|python`; nil for any other path.
    static func relay(path: String) -> (replyBytes: Int, via: String)? {
        guard path.hasPrefix("/relay?"), let components = URLComponents(string: path) else { return nil }
        let items = components.queryItems ?? []
        guard let bytes = items.first(where: { $0.name == "bytes" })?.value.flatMap({ Int($0) }),
              let via = items.first(where: { $0.name == "via" })?.value, ["cat", "python", "python-loop"].contains(via) else { return nil }
        return (max(0, bytes), via)
    }

    /// `{"pad":"xxx…"}` of exactly `bytes` bytes (plain x's below 12 bytes).
    static func paddedJSON(bytes: Int) -> [UInt8] {
        let open = Array(#"{"pad":""#.utf8), close = Array(#""}"#.utf8)
        guard bytes >= open.count + close.count else { return Array(repeating: UInt8(ascii: "x"), count: bytes) }
        return open + Array(repeating: UInt8(ascii: "x"), count: bytes - open.count - close.count) + close
    }
}
