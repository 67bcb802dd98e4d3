import Foundation
import RuntimeCore
import RuntimeProtocol

/// Everything the server can be told, with sensible defaults.
public struct ServerConfiguration: Sendable {
    /// How clients prove who they are at the WebSocket upgrade.
    public enum Authentication: Sendable {
        /// Anyone who can reach the port; every client is ``ServerUser/anonymous``.
        case open
        /// One shared secret; every client that sends it is one user, ``ServerUser/tokenHolder``.
        case token(Secret)
        /// Several users, each with a token of their own; sessions are private to their user.
        case users(UserTable)
    }

    /// The address to listen on (loopback by default).
    public var host: String
    /// The port (8765 by default, as the original server; 0 picks a free one).
    public var port: Int
    /// Who may connect: open, one token, or a users file. A token is sent as
    /// `Authorization: Bearer TOKEN` or `?token=TOKEN`.
    public var authentication: Authentication
    /// The largest message accepted (the contract's frame limit).
    public var maximumMessageBytes: Int
    /// Bytes a connection may have waiting to be sent before it is closed
    /// (1008) as a client that does not read (32 MiB by default).
    public var maximumQueuedBytes: Int
    /// How long a client cut off for not reading has to take the 1008 close
    /// frame before its socket is closed under it (1 s by default).
    public var slowClientCloseGrace: Duration = .seconds(1)
    /// Requests of one connection in progress at once (128 by default),
    /// their messages together at most twice ``maximumMessageBytes`` (one is
    /// always taken): a request past either bound is answered
    /// `LIMIT_EXCEEDED` at once, and the connection's reading never waits, so
    /// a slow request never holds a stop up. `stop` and `delete_session` have
    /// 32 slots of their own.
    public var maximumRequestsPerConnection = 128
    /// Sessions alive at once (running or ended but not yet freed).
    public var maximumSessions: Int
    /// An ended session nobody has asked about for this long is freed.
    public var idleSessionLifetime: Duration
    /// The runtime's own configuration (pool, limits, output cap, ...).
    public var runtime: RuntimeConfiguration

    public init(
        host: String = "127.0.0.1",
        port: Int = 8765,
        authentication: Authentication = .open,
        maximumMessageBytes: Int = 64 << 20,
        maximumQueuedBytes: Int = 32 << 20,
        maximumSessions: Int = 256,
        idleSessionLifetime: Duration = .seconds(3600),
        runtime: RuntimeConfiguration = RuntimeConfiguration()
    ) {
        self.host = host
        self.port = port
        self.authentication = authentication
        self.maximumMessageBytes = maximumMessageBytes
        self.maximumQueuedBytes = maximumQueuedBytes
        self.maximumSessions = maximumSessions
        self.idleSessionLifetime = idleSessionLifetime
        self.runtime = runtime
    }

    /// Sessions alive at once as enforced: ``maximumSessions``, or fewer when
    /// each session's worker needs a uid of its own from a smaller
    /// `Containment.Identity.uidRange` (less the warm workers, which hold
    /// uids too). A run past it is `LIMIT_EXCEEDED` at once, not a run that
    /// fails later for want of a uid.
    public var sessionLimit: Int {
        guard runtime.placement.remote == nil, runtime.containment.isolateProcesses, geteuid() == 0,
              case .uidRange(let range) = runtime.containment.identity
        else { return maximumSessions }
        return max(1, min(maximumSessions, range.count - runtime.warmWorkers))
    }

    /// The single shared token, when ``authentication`` is `.token`; setting
    /// it replaces the authentication (`nil`: open).
    public var token: Secret? {
        get {
            if case .token(let secret) = authentication { return secret }
            return nil
        }
        set { authentication = newValue.map { .token($0) } ?? .open }
    }

    /// Whether clients must present a token.
    public var requiresToken: Bool {
        if case .open = authentication { return false }
        return true
    }

    /// Whether `host` is a loopback address.
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
