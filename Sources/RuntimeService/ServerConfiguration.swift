import Foundation
import RuntimeCore

/// Everything the server can be told, with sensible defaults.
public struct ServerConfiguration: Sendable {
    /// The address to listen on (loopback by default).
    public var host: String
    /// The port (8765 by default, as the original server; 0 picks a free one).
    public var port: Int
    /// When set, a WebSocket upgrade needs `Authorization: Bearer TOKEN` or `?token=TOKEN`.
    public var token: String?
    /// The largest message accepted (the contract's frame limit).
    public var maximumMessageBytes: Int
    /// Sessions alive at once (running or ended but not yet freed).
    public var maximumSessions: Int
    /// An ended session nobody has asked about for this long is freed.
    public var idleSessionLifetime: Duration
    /// The runtime's own configuration (pool, limits, output cap, ...).
    public var runtime: RuntimeConfiguration

    public init(
        host: String = "127.0.0.1",
        port: Int = 8765,
        token: String? = nil,
        maximumMessageBytes: Int = 64 << 20,
        maximumSessions: Int = 256,
        idleSessionLifetime: Duration = .seconds(3600),
        runtime: RuntimeConfiguration = RuntimeConfiguration()
    ) {
        self.host = host
        self.port = port
        self.token = token
        self.maximumMessageBytes = maximumMessageBytes
        self.maximumSessions = maximumSessions
        self.idleSessionLifetime = idleSessionLifetime
        self.runtime = runtime
    }

    /// Whether `host` is a loopback address.
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
