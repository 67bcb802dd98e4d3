import RuntimeCore
import Synchronization

/// One client connection's outgoing side: a FIFO of messages drained by a
/// single writer, and the session subscriptions feeding it.
///
/// A client that stops reading cannot hold anyone else up: its queue is
/// bounded, and a connection whose queue overflows is closed.
public final class Connection: Sendable {
    /// Messages waiting to be written, at most this many.
    public static let queueLimit = 10_000

    public let id: Int
    /// The messages to send, in order; finishes when the connection closes.
    public let outbox: AsyncStream<String>
    private let continuation: AsyncStream<String>.Continuation
    private let state = Mutex(State())

    private struct State {
        var subscriptions: [String: Task<Void, Never>] = [:]
        var closed = false
        var overflowed = false
        var serverClosing = false
    }

    private let drainedPromise = Promise<Void>()

    public init(id: Int) {
        self.id = id
        (outbox, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingOldest(Connection.queueLimit))
    }

    /// Queues a message. A full queue means the client is not reading: the
    /// connection is closed rather than letting memory grow.
    public func send(_ message: JSONValue) {
        if case .dropped = continuation.yield(message.jsonString) {
            state.withLock { $0.overflowed = true }
            close()
        }
    }

    /// Whether the connection was closed because its client fell too far behind.
    public var overflowed: Bool { state.withLock { $0.overflowed } }

    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Whether the server is closing this connection because it shuts down.
    public var closedByServer: Bool { state.withLock { $0.serverClosing } }

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
                guard let self else { return }
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
    }
}
