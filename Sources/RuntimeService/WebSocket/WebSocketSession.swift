import HummingbirdWebSocket
import Logging
import NIOCore
import Synchronization

/// Serves one WebSocket connection: reads messages (frame by frame, so an
/// oversized one is refused without closing), hands them to the protocol
/// handler, and writes the connection's outbox from a single writer.
struct WebSocketSession {
    let handler: ProtocolHandler
    let maximumMessageBytes: Int
    let logger: Logger

    private static let nextID = Atomic<Int>(1)

    func serve(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        let connection = Connection(id: WebSocketSession.nextID.wrappingAdd(1, ordering: .relaxed).oldValue)
        var connectionLogger = self.logger
        connectionLogger[metadataKey: "connection"] = "\(connection.id)"
        let logger = connectionLogger
        handler.register(connection)
        defer { handler.unregister(connection) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await message in connection.outbox {
                    do {
                        try await outbound.write(.text(message))
                    } catch {
                        break
                    }
                }
                connection.markDrained()
                if connection.overflowed {
                    logger.warning("client fell behind; closing its connection")
                    try? await outbound.close(.policyViolation, reason: "client too slow")
                } else if connection.closedByServer {
                    try? await outbound.close(.goingAway, reason: "server shutting down")
                }
            }
            var assembler = MessageAssembler(limit: maximumMessageBytes)
            do {
                for try await frame in inbound {
                    if connection.isClosed { break }
                    let output = assembler.feed(bytes: Array(buffer: frame.data), isContinuation: frame.opcode == .continuation, fin: frame.fin)
                    switch output {
                    case .message(let bytes)?:
                        await handler.handle(text: String(decoding: bytes, as: UTF8.self), from: connection)
                    case .oversized(let bytes)?:
                        handler.refuseOversizedMessage(bytes: bytes, on: connection)
                    case nil:
                        break
                    }
                }
            } catch {
                logger.debug("connection ended", metadata: ["error": "\(error)"])
            }
            // The client is gone or closed: stop its subscriptions; the
            // writer drains what is queued (or fails fast) and ends.
            connection.close()
        }
    }
}
