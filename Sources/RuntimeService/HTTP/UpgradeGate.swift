import HummingbirdCore
import Logging
import NIOCore
import RuntimeProtocol

/// Wraps the server's child channel with an ``UpgradeGate`` in front, so a
/// WebSocket upgrade without the right token is answered HTTP 401, and a
/// handshake that is not RFC 6455's 426 or 400, each with the contract's
/// error body (the WebSocket upgrader itself can only answer an empty 400,
/// and closes the connection without a word on a bad version or key).
struct UpgradeGatedChannel<Inner: ServerChildChannel>: ServerChildChannel {
    struct Value: ServerChildChannelValue {
        let inner: Inner.Value
        /// Whether the gate let the connection through (`false`: refused or gone before a request).
        let admitted: EventLoopFuture<Bool>

        var channel: any Channel { inner.channel }
    }

    let inner: Inner
    let authorizer: UpgradeAuthorizer

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let authorizer = self.authorizer
        let admitted = channel.eventLoop.makePromise(of: Bool.self)
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(UpgradeGate(authorizer: authorizer, admitted: admitted),
                                                           position: .first)
        }.flatMap {
            inner.setup(channel: channel, logger: logger)
        }.map {
            Value(inner: $0, admitted: admitted.futureResult)
        }
    }

    func handle(value: Value, logger: Logger) async {
        // A refused upgrade has had its 401 and its connection closed by the
        // gate: there is nothing to serve, and handing the closed channel on
        // would only log an error per refusal.
        guard (try? await value.admitted.get()) == true else { return }
        await inner.handle(value: value.inner, logger: logger)
    }
}

/// Reads a connection's first request head from the raw bytes: an upgrade to
/// WebSocket that is not RFC 6455's (`426` for another version, `400` for a
/// missing or malformed key) or comes without a valid token (`401`) is
/// answered with the contract's error body and the connection is closed;
/// anything else passes on untouched. After a plain HTTP head the gate
/// removes itself; after an upgrade it stays to follow the client's frames
/// (``ClientFrameScanner``), and closes the connection with 1002 on a frame
/// that is not masked (RFC 6455 §5.1), passing none of that frame on.
final class UpgradeGate: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Heads longer than this are not inspected here (the HTTP decoder and the
    /// upgrade check behind still apply).
    static let headLimit = 64 * 1024

    private let authorizer: UpgradeAuthorizer
    private let admitted: EventLoopPromise<Bool>
    private var buffered: ByteBuffer?
    private var decided = false
    /// Set once an upgrade was let through: the bytes after its head are frames.
    private var frames: ClientFrameScanner?
    /// An unmasked frame came: the connection is closing and nothing more is passed on.
    private var failed = false

    init(authorizer: UpgradeAuthorizer, admitted: EventLoopPromise<Bool>) {
        self.authorizer = authorizer
        self.admitted = admitted
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Closed before a whole request head arrived: nothing was admitted.
        if !decided { admitted.succeed(false) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        guard !failed else { return }
        guard !decided else {
            if frames != nil { passFrames(bytes, from: 0, context: context) } else { context.fireChannelRead(data) }
            return
        }
        if buffered == nil {
            buffered = bytes
        } else {
            buffered?.writeBuffer(&bytes)
        }
        guard let head = buffered else { return }
        let view = head.readableBytesView
        let end = view.firstRange(of: [13, 10, 13, 10])
        guard end != nil || view.count > Self.headLimit else { return }
        decided = true
        buffered = nil
        if let end {
            let request = UpgradeRequestHead(head: String(decoding: view[..<end.upperBound], as: UTF8.self))
            if let refusal = request.refusal(authorizer: authorizer) {
                admitted.succeed(false)
                refuse(refusal, context: context)
                return
            }
            if request.upgrades {
                admitted.succeed(true)
                frames = ClientFrameScanner()
                passFrames(head, from: end.upperBound - view.startIndex, context: context)
                return
            }
        }
        admitted.succeed(true)
        context.fireChannelRead(wrapInboundOut(head))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// Passes `bytes` on, its frames from offset `start` on checked: up to an
    /// unmasked frame, which closes the connection with 1002.
    private func passFrames(_ bytes: ByteBuffer, from start: Int, context: ChannelHandlerContext) {
        let view = bytes.readableBytesView
        guard let offset = frames?.firstUnmaskedFrame(in: view.dropFirst(start)) else {
            context.fireChannelRead(wrapInboundOut(bytes))
            return
        }
        failed = true
        if let before = bytes.getSlice(at: bytes.readerIndex, length: start + offset), before.readableBytes > 0 {
            context.fireChannelRead(wrapInboundOut(before))
        }
        let reason = Array("a client frame that is not masked (RFC 6455 §5.1)".utf8)
        var close = context.channel.allocator.buffer(capacity: 4 + reason.count)
        close.writeBytes([0x88, UInt8(2 + reason.count), 0x03, 0xEA] + reason)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(close)).whenComplete { _ in channel.close(promise: nil) }
    }

    private func refuse(_ refusal: UpgradeRequestHead.Refusal, context: ChannelHandlerContext) {
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: refusal.response))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
