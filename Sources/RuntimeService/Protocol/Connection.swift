import RuntimeCore
import RuntimeProtocol
import Synchronization

/// One client connection's outgoing side: the messages to send, in order,
/// written by one writer at a time, and the session subscriptions feeding it.
///
/// A reply to a request is written by the task that served the request when
/// nothing else waits and the socket takes more (``reply(_:)``): the common
/// request then crosses no task of its own on the way out. Everything else
/// (events, replies behind other messages) queues, and the connection's
/// writer (``drain()``) writes it; the two never write at once, and no message
/// overtakes one sent before it.
///
/// A client that stops reading cannot hold anyone else up, nor grow the
/// server's memory: the bytes waiting to be written are bounded
/// (``ServerConfiguration/maximumQueuedBytes``), and a connection that goes
/// past the bound is closed (``overflowed``; the WebSocket layer then closes
/// it with 1008). One message is always accepted when nothing else waits, so a
/// single reply larger than the bound still reaches a client that reads.
public final class Connection: Sendable {
    /// Writes one text message to the client (its pieces, in order, as one
    /// message); returns once the transport took it.
    public typealias Writer = @Sendable (WireMessage) async throws -> Void

    /// The connection's number, as log lines name it.
    public let id: Int
    /// Who the client authenticated as.
    public let user: ServerUser
    /// Unsent bytes allowed before the connection is closed.
    public let byteLimit: Int
    private let writer: Writer
    /// Whether the transport takes more without waiting (a socket under its high-water mark).
    private let canWriteNow: @Sendable () -> Bool
    /// Wakes the writer task when messages queue while nobody writes.
    private let wake: AsyncStream<Void>
    private let wakeContinuation: AsyncStream<Void>.Continuation
    private let state = Mutex(State())

    private struct State {
        var subscriptions: [String: Task<Void, Never>] = [:]
        var closed = false
        var overflowed = false
        var serverClosing = false
        /// Messages waiting for the writer, in order.
        var pending: [WireMessage] = []
        /// Someone (the writer task, or a reply written directly) is writing.
        var writing = false
        /// The transport refused a write: what follows is dropped.
        var failed = false
        /// Bytes queued or being written.
        var queuedBytes = 0
        var peakQueuedBytes = 0
    }

    private let drainedPromise = Promise<Void>()
    private let closedPromise = Promise<Void>()

    /// - Parameters:
    ///   - byteLimit: unsent bytes allowed before the connection is closed.
    ///   - writer: writes one message to the client; ``drain()`` and
    ///     ``reply(_:)`` call it, one call at a time.
    ///   - canWriteNow: whether `writer` would take a message without
    ///     waiting; a reply is written directly only then.
    public init(id: Int, user: ServerUser = .anonymous, byteLimit: Int = 32 << 20,
                writer: @escaping Writer, canWriteNow: @escaping @Sendable () -> Bool = { true }) {
        self.id = id
        self.user = user
        self.byteLimit = byteLimit
        self.writer = writer
        self.canWriteNow = canWriteNow
        (wake, wakeContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// A connection whose messages are queued and counted but go nowhere:
    /// ``drain()`` discards them.
    public convenience init(id: Int, user: ServerUser = .anonymous, byteLimit: Int = 32 << 20) {
        self.init(id: id, user: user, byteLimit: byteLimit, writer: { _ in }, canWriteNow: { false })
    }

    /// Queues a message. A client that lets more than ``byteLimit`` bytes pile
    /// up is not reading: the connection is closed rather than letting memory grow.
    public func send(_ message: JSONValue) {
        send(WireMessage(message))
    }

    /// Queues a message already written (a reply with spliced values).
    public func send(_ message: WireMessage) {
        let size = message.byteCount
        let (overflowed, wakeWriter): (Bool, Bool) = state.withLock { state in
            guard !state.closed else { return (false, false) }
            if state.queuedBytes > 0, size > byteLimit - state.queuedBytes {
                state.overflowed = true
                return (true, false)
            }
            state.queuedBytes += size
            state.peakQueuedBytes = max(state.peakQueuedBytes, state.queuedBytes)
            state.pending.append(message)
            return (false, !state.writing)
        }
        if overflowed { close() }
        if wakeWriter { wakeContinuation.yield() }
    }

    /// Sends a request's reply: written at once by the calling task when
    /// nothing waits before it and the transport takes it without waiting,
    /// else queued as ``send(_:)`` does.
    public func reply(_ message: WireMessage) async {
        let direct: Bool = state.withLock { state in
            guard !state.closed, !state.failed, !state.writing, state.pending.isEmpty, canWriteNow() else { return false }
            state.writing = true
            state.queuedBytes += message.byteCount
            state.peakQueuedBytes = max(state.peakQueuedBytes, state.queuedBytes)
            return true
        }
        guard direct else { return send(message) }
        let failed: Bool
        do {
            try await writer(message)
            failed = false
        } catch {
            failed = true
        }
        let wakeWriter: Bool = state.withLock { state in
            state.queuedBytes -= message.byteCount
            state.writing = false
            if failed { state.failed = true }
            return !state.pending.isEmpty || state.closed
        }
        if wakeWriter { wakeContinuation.yield() }
    }

    /// Writes queued messages until the connection is closed and everything
    /// queued has been written (or dropped: the connection overflowed, or the
    /// transport failed). The connection's writer task runs this once.
    public func drain() async {
        for await _ in wake {
            await writePending()
            if state.withLock({ $0.closed && !$0.writing && $0.pending.isEmpty }) { break }
        }
        markDrained()
    }

    /// Writes what is queued, unless someone else is writing (they look again when done).
    private func writePending() async {
        while true {
            let batch: [WireMessage]? = state.withLock { state in
                guard !state.writing, !state.pending.isEmpty else { return nil }
                state.writing = true
                defer { state.pending = [] }
                return state.pending
            }
            guard let batch else { return }
            for message in batch {
                let skip = state.withLock { $0.overflowed || $0.failed }
                if !skip {
                    do { try await writer(message) } catch { state.withLock { $0.failed = true } }
                }
                state.withLock { $0.queuedBytes -= message.byteCount }
            }
            state.withLock { $0.writing = false }
        }
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

    /// Called once the queue is drained (or cannot be written any more).
    private func markDrained() { drainedPromise.fulfil(()) }

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

    /// Stops every subscription; the writer ends once what is queued is written.
    public func close() {
        let tasks: [Task<Void, Never>] = state.withLock { state in
            state.closed = true
            defer { state.subscriptions = [:] }
            return Array(state.subscriptions.values)
        }
        for task in tasks { task.cancel() }
        // The writer looks once more: it ends when nothing is left to write.
        wakeContinuation.yield()
        closedPromise.fulfil(())
    }
}
