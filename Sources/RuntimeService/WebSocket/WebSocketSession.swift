import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import RuntimeCore
import RuntimeProtocol
import Synchronization

/// Serves one WebSocket connection: greets it, reads messages (frame by
/// frame, so an oversized one is refused without closing), hands them to the
/// protocol handler; replies and events leave through the ``Connection``.
struct WebSocketSession {
    let handler: ProtocolHandler
    let maximumMessageBytes: Int
    let maximumQueuedBytes: Int
    /// Requests served at once (``ServerConfiguration/maximumRequestsPerConnection``).
    let maximumRequestsPerConnection: Int
    /// How long a client cut off for not reading is given to take the 1008
    /// close frame, and then to answer it, before its socket is closed.
    let slowClientCloseGrace: Duration
    let logger: Logger

    private static let nextID = Atomic<Int>(1)
    /// Messages up to this size are parsed on the connection's event loop.
    static let inlineMessageBytes = 64 << 10

    func serve(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, user: ServerUser, channel: any Channel) async {
        let connection = Connection(id: WebSocketSession.nextID.wrappingAdd(1, ordering: .relaxed).oldValue,
                                    user: user, byteLimit: maximumQueuedBytes,
                                    writer: { message in
                                        // Each piece copied once, into the frame's buffer.
                                        var buffer = channel.allocator.buffer(capacity: message.byteCount)
                                        for piece in message.pieces { buffer.writeBytes(piece) }
                                        try await outbound.write(.custom(.init(fin: true, opcode: .text, data: buffer)))
                                    },
                                    canWriteNow: { channel.isWritable })
        var connectionLogger = self.logger
        connectionLogger[metadataKey: "connection"] = "\(connection.id)"
        connectionLogger[metadataKey: "user"] = "\(user.name)"
        let logger = connectionLogger
        // The greeting is the first message, before anything the client asks.
        let count = handler.register(connection)
        connection.send(WireReplies.greeting(count: count))
        defer { handler.unregister(connection) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await connection.drain()
                if connection.closedByServer {
                    try? await outbound.close(.goingAway, reason: "server shutting down")
                }
            }
            group.addTask {
                await connection.waitUntilClosed()
                guard connection.overflowed else { return }
                await cutOff(connection, outbound: outbound, channel: channel, logger: logger)
            }
            // Requests are read and served in a task of their own, cancelled
            // when the socket closes: a request in progress (a long read) then
            // stops in the worker instead of running on for nobody.
            // On the channel's own event loop: no thread hop on the way in or out.
            // Its workers' replies are read there too (EventLoopReplyReader).
            let reading = Task(executorPreference: EventLoopTaskExecutor(eventLoop: channel.eventLoop)) {
                await EventLoopReplyReader.$current.withValue(channel.eventLoop) {
                    await read(inbound, outbound: outbound, channel: channel, for: connection, logger: logger)
                }
            }
            channel.closeFuture.whenComplete { _ in reading.cancel() }
            await reading.value
            // The client is gone or closed: stop its subscriptions; the
            // writer drains what is queued (or fails fast) and ends.
            connection.close()
        }
    }

    /// Reads messages until the client closes. Each request is served in a
    /// child task of its own, so a slow one (a long read, a model call) holds
    /// up neither the reading nor the requests after it, a `stop` least of
    /// all; replies leave as they are ready, matched by `id`. The reading
    /// never waits for a request: one past the connection's bound
    /// (``RequestSlots``) is answered `LIMIT_EXCEEDED` at once. The children
    /// share the reading task's executor preference (the event loop); when
    /// the reading ends (the socket closed, or the client's close frame) every
    /// request still in progress is cancelled (a `stop` runs to its end in a
    /// task of its own).
    private func read(_ inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, channel: any Channel,
                      for connection: Connection, logger: Logger) async {
        var assembler = MessageAssembler(limit: maximumMessageBytes)
        let byteBound = maximumMessageBytes > Int.max / 2 ? Int.max : 2 * maximumMessageBytes
        let slots = RequestSlots(maximumRequests: maximumRequestsPerConnection, maximumBytes: byteBound)
        let handler = self.handler
        await withDiscardingTaskGroup { group in
            do {
                frames: for try await frame in inbound {
                    if connection.isClosed { break }
                    let output = assembler.feed(frame.data.readableBytesView, isContinuation: frame.opcode == .continuation, fin: frame.fin)
                    switch output {
                    case .message(let bytes)?:
                        let message: ProtocolHandler.IncomingMessage
                        if bytes.count > Self.inlineMessageBytes {
                            // Parsing it would hold the event loop: off to the global executor.
                            message = await withTaskExecutorPreference(globalConcurrentExecutor) { handler.parse(bytes: bytes) }
                        } else {
                            message = handler.parse(bytes: bytes)
                        }
                        await dispatch(message, bytes: bytes.count, slots: slots, byteBound: byteBound, from: connection, in: &group)
                    case .oversized(let bytes)?:
                        handler.refuseOversizedMessage(bytes: bytes, on: connection)
                    case .protocolViolation(let reason)?:
                        // RFC 6455 §5.4 and §7.1.7: the endpoint must fail the connection.
                        logger.info("closing a connection that broke the WebSocket protocol (1002)", metadata: ["reason": "\(reason)"])
                        await close(outbound: outbound, channel: channel, code: .protocolError, reason: reason)
                        break frames
                    case nil:
                        break
                    }
                }
            } catch {
                logger.debug("connection ended", metadata: ["error": "\(error)"])
            }
            // The client closed (or the socket did): nobody reads these replies.
            group.cancelAll()
        }
    }

    /// Hands a parsed message over without waiting: a request to a child
    /// task when its connection has room (`stop` and `delete_session` in
    /// slots of their own), an error reply at once, and a request past the
    /// bound `LIMIT_EXCEEDED` at once. A message over 64 KiB is served off
    /// the event loop (its model data or files are copied on).
    private func dispatch(_ message: ProtocolHandler.IncomingMessage, bytes: Int, slots: RequestSlots, byteBound: Int,
                          from connection: Connection, in group: inout DiscardingTaskGroup) async {
        let handler = self.handler
        guard message.isRequest else {
            // An error reply: nothing to wait for, and no slot.
            await handler.handle(message, from: connection)
            return
        }
        let serve: @Sendable () async -> Void
        if message.isServedAtOnce {
            guard slots.tryAcquireStop() else {
                return handler.refuse(message, on: connection, because: "the connection has \(slots.maximumStops) stops and deletions in progress")
            }
            serve = {
                await handler.handle(message, from: connection)
                slots.releaseStop()
            }
        } else {
            guard slots.tryAcquire(bytes: bytes) else {
                return handler.refuse(message, on: connection, because: """
                    the connection has \(slots.inProgress) requests in progress, holding up to \(slots.maximumRequests) \
                    and \(byteBound) bytes of messages: wait for their replies
                    """)
            }
            serve = {
                await handler.handle(message, from: connection)
                slots.release(bytes: bytes)
            }
        }
        if bytes > Self.inlineMessageBytes {
            group.addTask(executorPreference: globalConcurrentExecutor, operation: serve)
        } else {
            group.addTask(operation: serve)
        }
    }

    /// Closes the connection of a client that let too much pile up, with 1008
    /// (``close(outbound:channel:code:reason:)``: if the client does not take
    /// the close frame, the socket is closed under the blocked writer and
    /// reader once the grace period is over).
    private func cutOff(_ connection: Connection, outbound: WebSocketOutboundWriter, channel: any Channel, logger: Logger) async {
        handler.metrics.slowClientClosed(user: connection.user)
        logger.warning("client is not reading: closing its connection (1008)",
                       metadata: ["queuedBytes": "\(connection.queuedBytes)", "limitBytes": "\(connection.byteLimit)"])
        await close(outbound: outbound, channel: channel, code: .policyViolation,
                    reason: "client too slow: more than \(connection.byteLimit) bytes unsent")
    }

    /// Sends a close frame with `code` and gives the client
    /// ``slowClientCloseGrace`` to take it, and as long again to answer it
    /// (Hummingbird then completes the handshake), before the socket is
    /// closed: a client that does not read or answer would otherwise hold it
    /// for Hummingbird's 15 s.
    private func close(outbound: WebSocketOutboundWriter, channel: any Channel, code: WebSocketErrorCode, reason: String) async {
        let closeSent = Promise<Bool>()
        // Not awaited: if it is still blocked, closing the channel fails its write.
        Task {
            let sent = (try? await outbound.close(code, reason: reason)) != nil
            closeSent.fulfil(sent)
        }
        if await Self.first(closeSent, orFalseAfter: slowClientCloseGrace) {
            let closed = Promise<Bool>()
            channel.closeFuture.whenComplete { _ in closed.fulfil(true) }
            if await Self.first(closed, orFalseAfter: slowClientCloseGrace) { return }
        }
        try? await channel.close()
    }

    /// The promise's value, or `false` if it is not set within `timeout`.
    private static func first(_ promise: Promise<Bool>, orFalseAfter timeout: Duration) async -> Bool {
        let timer = Task {
            try? await Task.sleep(for: timeout)
            promise.fulfil(false)
        }
        defer { timer.cancel() }
        return await promise.value
    }
}
