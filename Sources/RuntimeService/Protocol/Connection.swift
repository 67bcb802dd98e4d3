import RuntimeCore
import RuntimeProtocol
import Synchronization

/// One client connection's outgoing side: a FIFO of messages drained by a
/// single writer, and the session subscriptions feeding it.
///
/// A client that stops reading cannot hold anyone else up, nor grow the
/// server's memory: the bytes waiting to be written are bounded
/// (``ServerConfiguration/maximumQueuedBytes``), and a connection that goes
/// past the bound is closed (``overflowed``; the WebSocket layer then closes
/// it with 1008). One message is always accepted when nothing else waits, so a
/// single reply larger than the bound still reaches a client that reads.
public final class Connection: Sendable {
    /// The connection's number, as log lines name it.
    public let id: Int
    /// Who the client authenticated as.
    public let user: ServerUser
    /// Unsent bytes allowed before the connection is closed.
    public let byteLimit: Int
    /// The messages to send, in order; finishes when the connection closes.
    public let outbox: AsyncStream<[UInt8]>
    private let continuation: AsyncStream<[UInt8]>.Continuation
    private let state = Mutex(State())

    private struct State {
        var subscriptions: [String: Task<Void, Never>] = [:]
        var closed = false
        var overflowed = false
        var serverClosing = false
        /// Bytes queued or being written.
        var queuedBytes = 0
        var peakQueuedBytes = 0
    }

    private let drainedPromise = Promise<Void>()
    private let closedPromise = Promise<Void>()

    /// - Parameter byteLimit: unsent bytes allowed before the connection is closed.
    public init(id: Int, user: ServerUser = .anonymous, byteLimit: Int = 32 << 20) {
        self.id = id
        self.user = user
        self.byteLimit = byteLimit
        (outbox, continuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .unbounded)
    }

    /// Queues a message. A client that lets more than ``byteLimit`` bytes pile
    /// up is not reading: the connection is closed rather than letting memory grow.
    public func send(_ message: JSONValue) {
        send(WireMessage(message))
    }

    /// Queues a message already written (a reply with spliced values).
    public func send(_ message: WireMessage) {
        let text = message.bytes
        let size = text.count
        let overflowed: Bool = state.withLock { state in
            guard !state.closed else { return false }
            if state.queuedBytes > 0, size > byteLimit - state.queuedBytes {
                state.overflowed = true
                return true
            }
            state.queuedBytes += size
            state.peakQueuedBytes = max(state.peakQueuedBytes, state.queuedBytes)
            continuation.yield(text)
            return false
        }
        if overflowed { close() }
    }

    /// The writer calls this once a message has been written (or dropped).
    public func didWrite(_ message: [UInt8]) {
        let size = message.count
        state.withLock { $0.queuedBytes -= size }
    }

    /// Bytes queued or being written now.
    public var queuedBytes: Int { state.withLock { $0.queuedBytes } }

    /// The most bytes that were ever queued at once on this connection.
    public var peakQueuedBytes: Int { state.withLock { $0.peakQueuedBytes } }

    /// Whether the connection was closed because its client fell too far behind.
    public var overflowed: Bool { state.withLock { $0.overflowed } }

    /// Whether ``close()`` has been called.
    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Whether the server is closing this connection because it shuts down.
    public var closedByServer: Bool { state.withLock { $0.serverClosing } }

    /// Returns once ``close()`` has been called, for whatever reason.
    public func waitUntilClosed() async { await closedPromise.value }

    /// Closes the connection because the server shuts down: what is queued is
    /// still sent; returns once it has been.
    public func closeForShutdown() async {
        state.withLock { $0.serverClosing = true }
        close()
        await drainedPromise.value
    }

    /// Called by the writer once the outbox is drained (or cannot be written any more).
    public func markDrained() { drainedPromise.fulfil(()) }

    /// Forwards a session's events to this connection, replacing an earlier
    /// subscription to the same session.
    func subscribe(to session: any Session, after sequence: Int) {
        let task = Task { [weak self] in
            for await event in await session.events(after: sequence) {
                guard let self, !self.isClosed else { return }
                self.send(event.wireMessage)
            }
        }
        let previous: Task<Void, Never>? = state.withLock { state in
            if state.closed { return task }
            let old = state.subscriptions[session.id]
            state.subscriptions[session.id] = task
            return old
        }
        previous?.cancel()
    }

    /// Stops every subscription and ends the outbox.
    public func close() {
        let tasks: [Task<Void, Never>] = state.withLock { state in
            state.closed = true
            defer { state.subscriptions = [:] }
            return Array(state.subscriptions.values)
        }
        for task in tasks { task.cancel() }
        continuation.finish()
        closedPromise.fulfil(())
    }
}
