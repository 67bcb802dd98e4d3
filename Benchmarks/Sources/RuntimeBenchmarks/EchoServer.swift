import Hummingbird
import HummingbirdWebSocket
import Logging

/// The floor: a plain WebSocket echo server on Hummingbird, the same stack as
/// RuntimeServer, doing nothing but sending each message back.
enum EchoServer {
    static func run(port: Int) async throws {
        var logger = Logger(label: "echo")
        logger.logLevel = .warning
        let router = Router()
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(configuration: .init(ws: .init(maxFrameSize: 1 << 24, autoPing: .disabled))) { _, _, _ in
                .upgrade([:]) { inbound, outbound, _ in
                    for try await message in inbound.messages(maxSize: 1 << 24) {
                        switch message {
                        case .text(let text): try await outbound.write(.text(text))
                        case .binary(let buffer): try await outbound.write(.binary(buffer))
                        }
                    }
                }
            },
            configuration: .init(address: .hostname("127.0.0.1", port: port)),
            logger: logger
        )
        try await app.runService()
    }
}
