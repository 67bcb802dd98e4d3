import Foundation
import Logging
import RuntimeCore
import RuntimeProtocol
import Synchronization

/// Serves the wire protocol's requests against a ``Runtime``: one reply per
/// request on the connection that sent it, events to the connections that
/// started or subscribed to a session, nothing broadcast. Sessions belong to
/// the user who started them: any other user is told they do not exist.
public final class ProtocolHandler: Sendable {
    public let runtime: Runtime
    let configuration: ServerConfiguration
    let metrics: ServerMetrics
    let activity: SessionActivity
    let owners: SessionOwners
    private let logger: Logger
    private let connections = Mutex<[Int: Connection]>([:])

    init(runtime: Runtime, configuration: ServerConfiguration, metrics: ServerMetrics, logger: Logger) {
        self.runtime = runtime
        self.configuration = configuration
        self.metrics = metrics
        self.activity = SessionActivity()
        self.owners = SessionOwners()
        self.logger = logger
    }

    /// Adds a connection; returns how many are open now, this one included.
    func register(_ connection: Connection) -> Int {
        connections.withLock {
            $0[connection.id] = connection
            return $0.count
        }
    }

    func unregister(_ connection: Connection) {
        _ = connections.withLock { $0.removeValue(forKey: connection.id) }
    }

    /// Drops what the server keeps about a session that is gone.
    func forget(_ id: String) {
        activity.forget(id)
        owners.forget(id)
    }

    /// Sends what every connection has queued, then closes them all (1001, going away).
    func closeAllConnections() async {
        let open = connections.withLock { Array($0.values) }
        await withTaskGroup(of: Void.self) { group in
            for connection in open { group.addTask { await connection.closeForShutdown() } }
        }
    }

    /// Handles one text message from `connection`.
    public func handle(text: String, from connection: Connection) async {
        await handle(bytes: Array(text.utf8), from: connection)
    }

    /// Handles one message, as the WebSocket delivered its bytes, from
    /// `connection`: ``parse(bytes:)``, then ``handle(_:from:)``.
    public func handle(bytes: [UInt8], from connection: Connection) async {
        await handle(parse(bytes: bytes), from: connection)
    }

    /// A message read from a connection: its request, or why it cannot be served.
    public struct IncomingMessage: Sendable {
        let parsed: Result<Envelope, ProtocolError>
        let arrived: ContinuousClock.Instant

        /// Whether it is a request to serve (else it is answered with its error).
        public var isRequest: Bool {
            if case .success = parsed { return true }
            return false
        }

        /// Whether it is served however many requests its connection has in
        /// progress (``ServerConfiguration/maximumRequestsPerConnection``):
        /// a `stop` or a `delete_session`, so that nothing holds a stop up.
        public var isServedAtOnce: Bool {
            guard case .success(let envelope) = parsed else { return false }
            switch envelope.request {
            case .stop, .deleteSession: return true
            default: return false
            }
        }
    }

    /// Parses one message (the metrics count it from now).
    public func parse(bytes: [UInt8]) -> IncomingMessage {
        IncomingMessage(parsed: RequestParser.parse(bytes: bytes), arrived: ContinuousClock.now)
    }

    /// Serves a parsed message from `connection`: its reply, or its error. A
    /// `stop` is answered from a task of its own, which runs to its end even
    /// if the client goes away meanwhile.
    public func handle(_ message: IncomingMessage, from connection: Connection) async {
        let started = message.arrived
        metrics.request(user: connection.user)
        switch message.parsed {
        case .failure(let error):
            fail(error, on: connection)
            metrics.request(action: error.action ?? "unknown", duration: ContinuousClock.now - started)
        case .success(let envelope):
            if case .stop = envelope.request {
                await Task {
                    await self.serve(envelope, on: connection)
                    self.metrics.request(action: envelope.action, duration: ContinuousClock.now - started)
                }.value
            } else {
                await serve(envelope, on: connection)
                metrics.request(action: envelope.action, duration: ContinuousClock.now - started)
                if Task.isCancelled {
                    logger.info("request stopped: its client went away", metadata: [
                        "action": "\(envelope.action)", "connection": "\(connection.id)", "user": "\(connection.user.name)"])
                }
            }
        }
    }

    /// Answers a request that its connection has no room for now with
    /// `LIMIT_EXCEEDED`, its `action` and `id` echoed; `reason` is the message.
    public func refuse(_ message: IncomingMessage, on connection: Connection, because reason: String) {
        metrics.request(user: connection.user)
        switch message.parsed {
        case .failure(let error):
            fail(error, on: connection)
        case .success(let envelope):
            fail(ProtocolError(RuntimeError(.limitExceeded, reason), action: envelope.action, id: envelope.id), on: connection)
            metrics.request(action: envelope.action, duration: ContinuousClock.now - message.arrived)
        }
    }

    /// Answers a message that was too large to read.
    public func refuseOversizedMessage(bytes: Int, on connection: Connection) {
        fail(ProtocolError(.limitExceeded,
                           "the message of \(bytes) bytes or more is over the frame limit of \(configuration.maximumMessageBytes) bytes"),
             on: connection)
    }

    private func fail(_ error: ProtocolError, on connection: Connection) {
        metrics.error(code: error.code.rawValue)
        if error.code == .internalError {
            logger.error("request failed", metadata: ["message": "\(error.message)", "action": "\(error.action ?? "?")",
                                                      "connection": "\(connection.id)", "user": "\(connection.user.name)"])
        }
        connection.send(error.wireMessage)
    }

    /// Replies holding more encoded value bytes than this are written off the event loop.
    static let onLoopReplyBytes = 8 << 20

    private func serve(_ envelope: Envelope, on connection: Connection) async {
        // A session a request is about is not idle while it is answered.
        let busy = envelope.request.sessionId
        if let busy { activity.begin(busy) }
        defer { if let busy { activity.end(busy) } }
        do {
            let reply = try await reply(to: envelope.request, on: connection)
            var members = reply.members
            if let id = envelope.id { members.append(("id", .value(id))) }
            let spliced = WireReplies.splicedBytes(members)
            if spliced > Self.onLoopReplyBytes {
                // Copying a value this large would hold the connection's event loop.
                await withTaskExecutorPreference(globalConcurrentExecutor) { [members] in
                    await connection.reply(WireMessage(members, splicedBytes: spliced))
                }
            } else {
                await connection.reply(WireMessage(members, splicedBytes: spliced))
            }
            // Only now may events follow: they must come after the reply.
            reply.then?()
        } catch let error as RuntimeError {
            fail(ProtocolError(error, action: envelope.action, id: envelope.id), on: connection)
        } catch let error as ProtocolError {
            var error = error
            error.action = envelope.action
            error.id = envelope.id
            fail(error, on: connection)
        } catch {
            fail(ProtocolError(RuntimeError(.internalError, "\(error)", cause: error), action: envelope.action, id: envelope.id),
                 on: connection)
        }
    }

    /// The session, when `connection`'s user owns it; another user's session
    /// is `SESSION_NOT_FOUND` exactly as a missing one.
    private func session(_ id: String, for connection: Connection) throws -> any Session {
        guard owners.isVisible(id, to: connection.user) else { throw RuntimeError.sessionNotFound(id) }
        let session = try runtime.session(id: id)
        activity.touch(id)
        return session
    }

    /// A reply, and what to do once it is queued (start forwarding events).
    private struct Reply {
        var members: WireReplies.Members
        var then: (() -> Void)?

        init(_ members: WireReplies.Members, then: (() -> Void)? = nil) {
            self.members = members
            self.then = then
        }

        init(_ message: JSONValue, then: (() -> Void)? = nil) {
            self.init(WireReplies.members(message), then: then)
        }
    }

    private func reply(to request: WireRequest, on connection: Connection) async throws -> Reply {
        switch request {
        case .run, .stop, .deleteSession:
            // Files written, processes ended, a stop awaited: not on a
            // connection's event loop, which serves other connections too.
            return try await withTaskExecutorPreference(globalConcurrentExecutor) {
                try await answer(to: request, on: connection)
            }
        default:
            return try await answer(to: request, on: connection)
        }
    }

    /// Starts a run within the session limit; when the uid range lowered
    /// that limit, the refusal says so.
    private func run(_ program: Program, resources: WorkerResources?) async throws -> any Session {
        let limit = configuration.sessionLimit
        do {
            return try await runtime.run(program, resources: resources, sessionLimit: limit)
        } catch {
            guard error.code == .limitExceeded, limit < configuration.maximumSessions else { throw error }
            throw RuntimeError(.limitExceeded, error.message + " (each session and each warm worker holds a uid of --worker-uids)")
        }
    }

    private func answer(to request: WireRequest, on connection: Connection) async throws -> Reply {
        switch request {
        case .run(let files, let mainFile, let number, let resources):
            let program = try Program(files: files, mainFile: mainFile, declaredCount: number,
                                      limits: configuration.runtime.programLimits)
            let session = try await run(program, resources: resources)
            owners.record(session.id, owner: connection.user)
            activity.touch(session.id)
            metrics.runStarted(user: connection.user)
            logger.info("run started", metadata: ["session": "\(session.id)", "user": "\(connection.user.name)",
                                                  "connection": "\(connection.id)"])
            // Event 1 is the reply itself; the rest follow it on this connection.
            return Reply(SessionEvent(sessionId: session.id, sequence: 1, kind: .started).wireMessage) {
                connection.subscribe(to: session, after: 1)
            }

        case .getPlaceholder(let id, let name, let window, let options):
            let session = try session(id, for: connection)
            return Reply(try await session.readPlaceholder(named: name, window: window, options: options).wireMembers(sessionId: id))

        case .runModel(let id, let name, let input, let method):
            let session = try session(id, for: connection)
            let predictions = try await session.predict(model: name, input: input, method: method,
                                                        using: runtime.configuration.modelInvoker)
            return Reply(WireReplies.modelResult(sessionId: id, name: name, predictions: predictions))

        case .getStats(let id, let name):
            let session = try session(id, for: connection)
            let value = try await session.statistics(of: name, using: runtime.configuration.statsEngine)
            return Reply(WireReplies.stats(sessionId: id, name: name, value: value))

        case .status(let id):
            return Reply(try await session(id, for: connection).snapshot().wireMessage)

        case .stop(let id):
            let session = try session(id, for: connection)
            let before = await session.snapshot()
            guard !before.status.hasEnded else { return Reply(before.wireMessage) }
            let after = await session.stop()
            return Reply(WireReplies.stopped(sessionId: id, snapshot: after))

        case .listSessions:
            var sessions: [JSONValue] = []
            for session in await runtime.allSessions() where owners.isVisible(session.id, to: connection.user) {
                sessions.append(WireReplies.sessionEntry(await session.snapshot()))
            }
            return Reply(WireReplies.sessionList(sessions))

        case .deleteSession(let id):
            _ = try session(id, for: connection)
            try await runtime.deleteSession(id: id)
            forget(id)
            return Reply(WireReplies.deleted(sessionId: id))

        case .subscribe(let id, let since):
            let session = try session(id, for: connection)
            let snapshot = await session.snapshot()
            return Reply(WireReplies.subscribed(sessionId: id, status: snapshot.status)) {
                connection.subscribe(to: session, after: since ?? snapshot.lastSequence)
            }
        }
    }
}
