import Dispatch
import Glibc
import NIOCore
import NIOPosix
import RuntimeCore
import Synchronization
import WorkerFrames

/// Reads local workers' replies on an event loop: the loop of the
/// connection whose requests the worker answers (``current``), where those
/// requests' tasks wait for their replies. A reply then wakes that loop,
/// which runs the task at once, instead of waking a reader thread that hands
/// the reply to the loop (a wake-up less per request).
///
/// The reading starts on the loop of the first request's connection, and
/// moves to another connection's loop when that connection sends two
/// requests in a row while no reply is awaited (a session set up through
/// one connection and then used through another). Requests from elsewhere
/// get their replies handed to their loops, as before.
struct EventLoopReplyReader: WorkerReplyReader {
    /// The event loop the current task's connection runs on, set around its
    /// requests by ``WebSocketSession``.
    @TaskLocal static var current: (any EventLoop)?

    /// Loops used when no connection started the reading.
    let fallback: any EventLoopGroup

    init(fallback: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.fallback = fallback
    }

    func startReading(_ fd: Int32, for worker: WorkerProcess) -> any WorkerReplyReading {
        let eventLoop = Self.current.flatMap { $0.inEventLoop ? $0 : nil } ?? fallback.any()
        return EventLoopReplyReading(fd: fd, worker: worker, on: eventLoop)
    }
}

/// One worker's reply channel, read by a pipe channel on one event loop at
/// a time. Each channel reads a duplicate of the descriptor, so one can be
/// closed to move the reading while the pipe stays open.
final class EventLoopReplyReading: WorkerReplyReading, Sendable {
    private struct State {
        var channel: EventLoopFuture<any Channel>
        var eventLoop: any EventLoop
        /// The loop of the request before, to move only for a second one in a row.
        var lastRequester: ObjectIdentifier?
        var moving = false
        /// The worker has ended: `fd` is closed, nothing moves any more.
        var finished = false
    }

    private let fd: Int32
    private let worker: WorkerProcess
    private let state: Mutex<State>

    init(fd: Int32, worker: WorkerProcess, on eventLoop: any EventLoop) {
        self.fd = fd
        self.worker = worker
        let channel = Self.open(fcntl(fd, F_DUPFD_CLOEXEC, 0), for: worker, on: eventLoop)
        state = Mutex(State(channel: channel, eventLoop: eventLoop))
    }

    private static func open(_ fd: Int32, for worker: WorkerProcess, on eventLoop: any EventLoop) -> EventLoopFuture<any Channel> {
        guard fd >= 0 else {
            worker.cutOff("cannot read the worker's replies: \(String(cString: strerror(errno)))")
            return eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
        }
        let channel = NIOPipeBootstrap(group: eventLoop)
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 16 << 10, maximum: 1 << 20))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(WorkerReplyFramer(worker: worker))
                }
            }
            .takingOwnershipOfDescriptor(input: fd)
        channel.whenFailure { error in worker.cutOff("cannot read the worker's replies: \(error)") }
        return channel
    }

    /// The loop that reads the replies now.
    var eventLoop: any EventLoop { state.withLock { $0.eventLoop } }

    func willSend(idle: Bool) {
        guard let here = EventLoopReplyReader.current, here.inEventLoop else { return }
        let requester = ObjectIdentifier(here)
        let old: EventLoopFuture<any Channel>? = state.withLock { state in
            defer { state.lastRequester = requester }
            guard !state.eventLoop.inEventLoop, idle, !state.moving, !state.finished,
                  state.lastRequester == requester else { return nil }
            state.moving = true
            return state.channel
        }
        guard let old else { return }
        // On the old loop: moved only between messages, so that no byte read
        // there is lost; else it stays, and the move is tried again later.
        old.whenComplete { [self] result in
            var moved = false
            defer { if !moved { state.withLock { $0.moving = false } } }
            guard case .success(let channel) = result,
                  let framer = try? channel.pipeline.syncOperations.handler(type: WorkerReplyFramer.self),
                  framer.atMessageBoundary else { return }
            let copy = state.withLock { $0.finished ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 0) }
            guard copy >= 0 else { return }
            framer.leave()
            channel.close(promise: nil)
            let reopened = Self.open(copy, for: worker, on: here)
            let finished = state.withLock { state in
                state.channel = reopened
                state.eventLoop = here
                state.moving = false
                return state.finished
            }
            // The worker ended while the reading moved: `finish` may have
            // closed only the old channel.
            if finished { reopened.whenSuccess { $0.close(promise: nil) } }
            moved = true
        }
    }

    func finish(grace: Duration) {
        let channel = state.withLock { state in
            state.finished = true
            return state.channel
        }
        let closed = DispatchSemaphore(value: 0)
        channel.whenComplete { result in
            guard case .success(let channel) = result else {
                closed.signal()
                return
            }
            channel.closeFuture.whenComplete { _ in _ = closed.signal() }
        }
        _ = closed.wait(timeout: .now() + .nanoseconds(Int(clamping: grace.nanoseconds)))
        // A move may have opened another channel meanwhile: close what is current.
        let current = state.withLock { state in
            close(fd)
            return state.channel
        }
        channel.whenSuccess { $0.close(promise: nil) }
        current.whenSuccess { $0.close(promise: nil) }
    }
}

/// Splits a worker's reply channel into messages (``WorkerReplyDecoder``)
/// and hands each to the worker's handle; one that breaks the protocol ends
/// the worker and the reading.
final class WorkerReplyFramer: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let worker: WorkerProcess
    private var decoder: WorkerReplyDecoder
    private var buffer: ByteBuffer?
    /// Broken, or left for another loop's channel: nothing more is read here.
    private var done = false

    init(worker: WorkerProcess) {
        self.worker = worker
        decoder = WorkerReplyDecoder()
    }

    /// Nothing of a message is held here: the reading can move.
    var atMessageBoundary: Bool { !done && (buffer?.readableBytes ?? 0) == 0 && decoder.atMessageBoundary }

    /// The reading moves to another channel: this one's end is no violation.
    func leave() { done = true }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        var incoming = unwrapInboundIn(data)
        if buffer == nil {
            buffer = incoming
        } else {
            buffer?.writeBuffer(&incoming)
        }
        guard var bytes = buffer else { return }
        buffer = nil  // one reference: the reads below do not copy it
        do {
            while let next = try decoder.next(from: &bytes) {
                guard let message = next else { continue }
                if let problem = worker.receiveReply(header: message.header, parts: message.parts) {
                    return fail(problem, context: context)
                }
            }
        } catch {
            return fail(error.description, context: context)
        }
        if bytes.readableBytes > 0 {
            bytes.discardReadBytes()
            buffer = bytes
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        guard !done else { return }
        do {
            try decoder.checkEnd(leaving: buffer ?? ByteBuffer())
        } catch {
            fail(error.description, context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !done else { return }
        fail("\(error)", context: context)
    }

    private func fail(_ problem: String, context: ChannelHandlerContext) {
        done = true
        worker.cutOff(problem)
        context.close(promise: nil)
    }
}
