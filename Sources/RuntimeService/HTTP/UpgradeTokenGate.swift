import HummingbirdCore
import Logging
import NIOCore
import RuntimeProtocol

/// Wraps the server's child channel with an ``UpgradeTokenGate`` in front, so
/// a WebSocket upgrade without the right token is answered HTTP 401 (the
/// WebSocket upgrader itself can only answer an empty 400).
struct TokenGatedChannel<Inner: ServerChildChannel>: ServerChildChannel {
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
            try channel.pipeline.syncOperations.addHandler(UpgradeTokenGate(authorizer: authorizer, admitted: admitted),
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
/// WebSocket without a valid token gets `401` with the contract's error body
/// and the connection is closed; anything else passes on untouched and the
/// gate removes itself.
final class UpgradeTokenGate: ChannelInboundHandler, RemovableChannelHandler {
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
        guard !decided else { context.fireChannelRead(data); return }
        if buffered == nil {
            buffered = bytes
        } else {
            buffered?.writeBuffer(&bytes)
        }
        guard let head = buffered else { return }
        let view = head.readableBytesView
        let complete = view.firstRange(of: [13, 10, 13, 10]) != nil
        guard complete || view.count > Self.headLimit else { return }
        decided = true
        if complete, !allowed(head: String(decoding: view, as: UTF8.self)) {
            admitted.succeed(false)
            refuse(context: context)
            return
        }
        admitted.succeed(true)
        buffered = nil
        context.fireChannelRead(wrapInboundOut(head))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func allowed(head: String) -> Bool {
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard let requestLine = lines.first else { return true }
        var isUpgrade = false
        var authorization: String?
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name == "upgrade", value.lowercased().contains("websocket") { isUpgrade = true }
            if name == "authorization" { authorization = value }
        }
        guard isUpgrade else { return true }
        let parts = requestLine.split(separator: " ")
        let target = parts.count > 1 ? String(parts[1]) : "/"
        return authorizer.user(target: target, authorization: authorization) != nil
    }

    private func refuse(context: ChannelHandlerContext) {
        let refusal = ProtocolError(.unauthorized, "a valid token is required: Authorization: Bearer TOKEN or ?token=TOKEN")
        let body = String(decoding: WireMessage(refusal.wireMessage).bytes, as: UTF8.self)
        let response = "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nWWW-Authenticate: Bearer\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        buffered = nil
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: response))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
