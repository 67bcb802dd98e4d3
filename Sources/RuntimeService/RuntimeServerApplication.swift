import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import RuntimeCore
import RuntimeProtocol
import ServiceLifecycle

/// The whole server as a `Service`: WebSocket protocol on any path, the demo
/// page, `/healthz` and `/metrics` on the same port, and the runtime behind.
///
/// On graceful shutdown it first ends every run (their clients still get the
/// `EXECUTION_STOPPED` events), then closes each WebSocket with 1001 (going
/// away), then stops listening; no worker process is left.
public struct RuntimeServerService: Service, CustomStringConvertible {
    private let application: any Service
    private let lifecycle: RuntimeLifecycle
    private let handler: ProtocolHandler
    private let logger: Logger

    /// - Parameter onServerRunning: called with the bound port once listening (useful with port 0).
    public init(configuration: ServerConfiguration, logger: Logger,
                onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) {
        var runtimeConfiguration = configuration.runtime
        // Replies are read on the event loop of the connection that asks.
        if runtimeConfiguration.replyReader == nil { runtimeConfiguration.replyReader = EventLoopReplyReader() }
        let runtime = Runtime(configuration: runtimeConfiguration, logger: logger)
        let metrics = ServerMetrics()
        let handler = ProtocolHandler(runtime: runtime, configuration: configuration, metrics: metrics, logger: logger)
        self.handler = handler
        self.logger = logger
        self.lifecycle = RuntimeLifecycle(runtime: runtime, handler: handler, configuration: configuration, logger: logger)
        self.application = makeApplication(configuration: configuration, runtime: runtime, handler: handler, metrics: metrics,
                                           logger: logger, onServerRunning: onServerRunning)
        if !configuration.isLoopback && !configuration.requiresToken {
            logger.warning("listening on a non-loopback address with no token: anyone who can reach it can run code",
                           metadata: ["host": "\(configuration.host)"])
        }
    }

    /// Serves `session`, a ``Session`` of your own, beside the runtime's (see
    /// ``Runtime/adopt(_:)``), as `owner`'s: that user's clients find it in
    /// `list_sessions` and reach it by its id with every action, like a session
    /// they started; to everyone else it does not exist. Every client of an
    /// open server is ``ServerUser/anonymous``; of a server with one token,
    /// ``ServerUser/tokenHolder``.
    public func adopt(_ session: any Session, owner: ServerUser) async throws(RuntimeError) {
        try await handler.runtime.adopt(session)
        handler.owners.record(session.id, owner: owner)
        handler.activity.touch(session.id)
    }

    /// Just the name: ServiceLifecycle logs services by their description,
    /// which would otherwise print the whole configuration.
    public var description: String { "RuntimeServerService" }

    public func run() async throws {
        // Services shut down in reverse order: the runtime first, then the HTTP server.
        // Named, so that the group's log lines do not print the services' contents.
        let group = ServiceGroup(configuration: .init(services: [.init(service: application, serviceName: "HTTPServer"),
                                                                 .init(service: lifecycle, serviceName: "RuntimeLifecycle")],
                                                      logger: logger))
        try await withGracefulShutdownHandler {
            try await group.run()
        } onGracefulShutdown: {
            Task { await group.triggerGracefulShutdown() }
        }
    }

    /// Runs until SIGTERM or SIGINT, then shuts down gracefully.
    public func runUntilSignalled() async throws {
        let group = ServiceGroup(configuration: .init(services: [self], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

private func makeApplication(
    configuration: ServerConfiguration, runtime: Runtime, handler: ProtocolHandler, metrics: ServerMetrics,
    logger: Logger, onServerRunning: @escaping @Sendable (Int) async -> Void
) -> some ApplicationProtocol {
    let session = WebSocketSession(handler: handler, maximumMessageBytes: configuration.maximumMessageBytes,
                                   maximumQueuedBytes: configuration.maximumQueuedBytes,
                                   maximumRequestsPerConnection: configuration.maximumRequestsPerConnection,
                                   slowClientCloseGrace: configuration.slowClientCloseGrace, logger: logger)
    let authorizer = UpgradeAuthorizer(configuration.authentication)
    let router = Router()
    addHTTPRoutes(to: router, runtime: runtime, metrics: metrics)

    // NIO refuses single frames above this outright (closing with 1009);
    // messages up to it get a structured LIMIT_EXCEEDED and the connection stays.
    let frameCeiling = configuration.maximumMessageBytes > Int.max / 2 ? Int.max : max(1 << 16, configuration.maximumMessageBytes * 2)
    let webSocketConfiguration = WebSocketServerConfiguration(maxFrameSize: min(frameCeiling, Int(UInt32.max)), autoPing: .disabled)

    return Application(
        router: router,
        server: HTTPServerBuilder { responder in
            UpgradeGatedChannel(
                inner: HTTP1WebSocketUpgradeChannel(responder: responder, configuration: .init(ws: webSocketConfiguration)) { request, channel, _ in
                    // Second line of defence (e.g. an upgrade later on a kept-alive connection): an empty 400.
                    guard let user = authorizer.user(for: request) else { return .dontUpgrade }
                    return .upgrade([:]) { inbound, outbound, _ in
                        await session.serve(inbound: inbound, outbound: outbound, user: user, channel: channel)
                    }
                },
                authorizer: authorizer)
        },
        configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port),
                                                serverName: "RuntimeServer"),
        onServerRunning: { channel in
            await onServerRunning(channel.localAddress?.port ?? configuration.port)
        },
        logger: logger
    )
}

/// Warms the worker pool at start, frees idle ended sessions while running,
/// and on graceful shutdown stops every run and worker.
struct RuntimeLifecycle: Service, CustomStringConvertible {
    let runtime: Runtime
    let handler: ProtocolHandler
    let configuration: ServerConfiguration
    let logger: Logger

    var description: String { "RuntimeLifecycle" }

    func run() async throws {
        logger.info("python environment", metadata: ["python": "\(configuration.runtime.python)",
                                                      "worker": "\(configuration.runtime.worker.executable)"])
        if configuration.sessionLimit < configuration.maximumSessions {
            logger.warning("fewer sessions than --max-sessions: each session and each warm worker holds a uid of --worker-uids",
                           metadata: ["sessions": "\(configuration.sessionLimit)", "max-sessions": "\(configuration.maximumSessions)"])
        }
        await runtime.warmUp()
        let period = min(configuration.idleSessionLifetime / 4, .seconds(30))
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: max(period, .milliseconds(10)))
                await freeIdleSessions()
            }
        }
        logger.info("shutting down: stopping runs and workers")
        await runtime.shutdown()
        await handler.closeAllConnections()
    }

    private func freeIdleSessions() async {
        let now = ContinuousClock.now
        for session in await runtime.allSessions() {
            let snapshot = await session.snapshot()
            // A request about it still being answered: not idle, however long
            // it takes. (A subscription alone does not count: an ended session
            // sends no more events, and an IDE keeps its connection open all day.)
            guard snapshot.status.hasEnded, !handler.activity.isBusy(session.id) else { continue }
            let last = handler.activity.lastActivity(session.id) ?? now
            let endedAgo = Duration.seconds(Date().timeIntervalSince(snapshot.finishedAt ?? Date()))
            if now - last >= configuration.idleSessionLifetime && endedAgo >= configuration.idleSessionLifetime {
                logger.info("freeing idle session", metadata: ["session": "\(session.id)",
                                                              "user": "\(handler.owners.owner(of: session.id)?.name ?? "?")"])
                try? await runtime.deleteSession(id: session.id)
                handler.forget(session.id)
            }
        }
    }
}
