import Glibc
import NIOCore
import NIOPosix
import NIOSSL

/// TLS on a worker connection, kept out of the frame code: the TLS side is a
/// NIO channel on the TCP socket, the other a socket pair whose free end is
/// handed out as a plain descriptor, and a relay between them. Frames are
/// read and written on that descriptor exactly as on a plain connection;
/// when either side closes, so does the other.
enum TLSRelay {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `handler` (an `NIOSSLServerHandler` or `NIOSSLClientHandler`,
    /// made on the relay's event loop) on the connected TCP socket `socket`,
    /// which it owns from now on, and returns the plain end of the relay:
    /// `plainEnd` when given (also owned from now on, closed on failure).
    /// Blocks until both channels are up (call it from a thread of yours).
    static func start(socket: Int32, plainEnd: Int32? = nil, onError: (@Sendable (String) -> Void)? = nil,
                      handler makeHandler: @escaping @Sendable () throws -> any ChannelHandler) throws(Failure) -> Int32 {
        var pair: [Int32] = [-1, -1]
        if let plainEnd {
            pair = [-1, plainEnd]
        } else if socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) != 0 {
            close(socket)
            throw Failure(description: "socketpair: \(String(cString: strerror(errno)))")
        }
        // One event loop for both channels: the relay's handlers call each other directly.
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        do {
            let secured: Channel
            do {
                // No read before the relay is in place: what arrived earlier
                // would reach the end of the pipeline and be dropped.
                secured = try ClientBootstrap(group: loop)
                    .channelOption(.autoRead, value: false)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(makeHandler()) }
                    }
                    .withConnectedSocket(socket).wait()
            } catch {
                close(pair[1])
                throw error
            }
            let plain: Channel
            do {
                plain = try NIOPipeBootstrap(group: loop).channelOption(.autoRead, value: false)
                    .takingOwnershipOfDescriptor(inputOutput: pair[1]).wait()
            } catch {
                close(pair[1])
                secured.close(promise: nil)
                throw error
            }
            try loop.submit {
                let (left, right) = RelayHandler.matchedPair(onError: onError)
                try secured.pipeline.syncOperations.addHandler(left)
                try plain.pipeline.syncOperations.addHandler(right)
                // Now both halves may read (autoRead reads again after each read).
                try secured.syncOptions?.setOption(.autoRead, value: true)
                try plain.syncOptions?.setOption(.autoRead, value: true)
            }.wait()
        } catch {
            if pair[0] >= 0 { close(pair[0]) }
            throw Failure(description: "TLS: \(error)")
        }
        return pair[0]
    }
}

/// Passes what one channel reads to its partner channel, reading only as
/// fast as the partner writes; a channel that closes closes its partner.
/// (After swift-nio's GlueHandler example.)
final class RelayHandler: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    private var partner: RelayHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    private let onError: (@Sendable (String) -> Void)?

    private init(onError: (@Sendable (String) -> Void)?) { self.onError = onError }

    static func matchedPair(onError: (@Sendable (String) -> Void)?) -> (RelayHandler, RelayHandler) {
        let first = RelayHandler(onError: onError), second = RelayHandler(onError: onError)
        first.partner = second
        second.partner = first
        return (first, second)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if !context.channel.isActive { partner?.partnerClose() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.partnerWrite(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.partnerFlush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.partnerClose()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            partner?.partnerClose()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        onError?("\(error)")
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.partnerBecameWritable() }
    }

    func read(context: ChannelHandlerContext) {
        if let partner, partner.partnerWritable {
            context.read()
        } else {
            pendingRead = true
        }
    }

    private func partnerWrite(_ data: NIOAny) { context?.write(data, promise: nil) }
    private func partnerFlush() { context?.flush() }
    private func partnerClose() { context?.close(promise: nil) }
    private var partnerWritable: Bool { context?.channel.isWritable ?? false }

    private func partnerBecameWritable() {
        guard pendingRead else { return }
        pendingRead = false
        context?.read()
    }
}
