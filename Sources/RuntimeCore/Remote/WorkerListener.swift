import CSandbox
import Foundation
import Glibc
import Logging
import Synchronization
import RuntimeJSON
import WorkerFrames

/// The runtime's worker port: remote workers connect here and present the
/// one-time ticket the runtime issued for them. Nothing else is served on
/// it, and it is never the clients' port.
///
/// A ticket is 256 random bits, good for one connection, and expires; a
/// connection that does not show a valid one within seconds is refused and
/// closed. What a connection sends before its ticket is accepted is read
/// within ``FrameProtocol/maximumTicketFrameBytes``.
package final class WorkerListener: Sendable {
    /// Why a ticket's connection did not come.
    package struct Refusal: Error, CustomStringConvertible {
        package var description: String
    }

    private struct Pending {
        var expiry: ContinuousClock.Instant
        var arrival: Promise<Result<Int32, Refusal>>
    }

    private struct Tickets {
        var open: [String: Pending] = [:]
        /// Set by ``close()``: a ticket issued later is refused at once.
        var closed = false
    }

    /// The address and port bound (the port chosen when 0 was asked).
    package let host: String
    package let port: Int
    private let fd: Int32
    private let tickets = Mutex(Tickets())
    private let handshakes = Atomic<Int>(0)
    private let logger: Logger
    private let security: (any WorkerConnectionSecurity)?
    /// Tickets refused so far (forged, reused, expired): for tests and diagnostics.
    private let refusals = Atomic<Int>(0)

    /// Binds `host:port` and starts accepting workers.
    package init(host: String, port: Int, security: (any WorkerConnectionSecurity)? = nil, logger: Logger) throws(RuntimeError) {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var found: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, "\(port)", &hints, &found)
        guard resolved == 0, let info = found else {
            throw RuntimeError(.internalError, "cannot resolve the worker listen address \(host): \(String(cString: gai_strerror(resolved)))")
        }
        defer { freeaddrinfo(found) }
        let socket = Glibc.socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw RuntimeError(.internalError, "socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        _ = setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(socket, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0, listen(socket, 128) == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(socket)
            throw RuntimeError(.internalError, "cannot listen for workers on \(host):\(port): \(reason)")
        }
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        let bound: UInt16 = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
        self.fd = socket
        self.host = host
        self.port = Int(bound)
        self.logger = logger
        self.security = security
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "runtime-worker-listener"
        thread.start()
    }

    /// The `HOST:PORT` workers are told to connect to, unless advertised otherwise.
    package var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Connections refused so far.
    package var refusedCount: Int { refusals.load(ordering: .relaxed) }

    /// A new single-use ticket, and where its connection arrives (a
    /// connected socket, or why none came: expiry or ``withdraw(_:reason:)``).
    package func issueTicket(lifetime: Duration) -> (ticket: String, arrival: Promise<Result<Int32, Refusal>>) {
        var generator = SystemRandomNumberGenerator()
        let ticket = (0..<4).map { _ in String(generator.next() as UInt64, radix: 16).leftPadded(to: 16) }.joined()
        let arrival = Promise<Result<Int32, Refusal>>()
        let closed = tickets.withLock { tickets in
            if !tickets.closed { tickets.open[ticket] = Pending(expiry: .now + lifetime, arrival: arrival) }
            return tickets.closed
        }
        if closed { arrival.fulfil(.failure(Refusal(description: "the runtime is shutting down"))) }
        return (ticket, arrival)
    }

    /// Takes a ticket back (its worker failed or took too long); a later
    /// connection with it is refused.
    package func withdraw(_ ticket: String, reason: String) {
        guard let pending = tickets.withLock({ $0.open.removeValue(forKey: ticket) }) else { return }
        pending.arrival.fulfil(.failure(Refusal(description: reason)))
    }

    /// Stops accepting; tickets still out are withdrawn.
    package func close() {
        _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
        let open = tickets.withLock { tickets in
            defer { tickets.open = [:] }
            tickets.closed = true
            return Array(tickets.open.values)
        }
        for pending in open { pending.arrival.fulfil(.failure(Refusal(description: "the runtime is shutting down"))) }
    }

    private func acceptLoop() {
        while true {
            let connection = sandbox_accept_cloexec(fd)
            if connection < 0 {
                if errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE {
                    if errno == EMFILE || errno == ENFILE { usleep(100_000) }
                    continue
                }
                break  // closed
            }
            // A bounded number of handshakes at once: a flood of idle
            // connections costs threads only up to this.
            guard handshakes.add(1, ordering: .relaxed).newValue <= 32 else {
                handshakes.subtract(1, ordering: .relaxed)
                Glibc.close(connection)
                continue
            }
            let thread = Thread { [self] in
                handshake(connection)
                handshakes.subtract(1, ordering: .relaxed)
            }
            thread.name = "runtime-worker-handshake"
            thread.start()
        }
        Glibc.close(fd)
    }

    /// Reads the ticket frame (within seconds and a kilobyte) and hands the
    /// connection to whoever waits for that ticket, or refuses it.
    private func handshake(_ accepted: Int32) {
        Self.setTimeout(accepted, seconds: 5)
        WorkerSocket.tune(accepted)
        let connection: Int32
        if let security {
            do {
                connection = try security.secure(acceptedSocket: accepted)
            } catch {
                refusals.add(1, ordering: .relaxed)
                logger.warning("a worker connection was refused", metadata: ["reason": "\(security.name): \(error.message.quotedForMessage(limit: 1024))"])
                return
            }
            // The handshake's read limit, on the secured side too.
            Self.setTimeout(connection, seconds: 5)
        } else {
            connection = accepted
        }
        let verdict: Result<Pending, Refusal>
        do {
            guard let (header, _) = try FrameIO.readMessage(from: connection, maximumSize: FrameProtocol.maximumTicketFrameBytes)
            else { Glibc.close(connection); return }
            verdict = check(header)
        } catch {
            verdict = .failure(Refusal(description: "no ticket frame: \(error.description)"))
        }
        switch verdict {
        case .success(let pending):
            Self.setTimeout(connection, seconds: 0)
            if !pending.arrival.fulfil(ifWaiting: .success(connection)) { Glibc.close(connection) }
        case .failure(let refusal):
            refusals.add(1, ordering: .relaxed)
            logger.warning("a worker connection was refused", metadata: ["reason": "\(refusal.description.quotedForMessage(limit: 1024))"])
            try? FrameIO.write(bytes: FrameIO.frames(header: .object([("refused", .string(refusal.description))])), to: connection)
            Glibc.close(connection)
        }
    }

    private func check(_ header: JSONValue) -> Result<Pending, Refusal> {
        guard let ticket = header["ticket"]?.stringValue else { return .failure(Refusal(description: "no ticket")) }
        guard let pending = tickets.withLock({ $0.open.removeValue(forKey: ticket) }) else {
            return .failure(Refusal(description: "an unknown or used ticket"))
        }
        guard pending.expiry > .now else {
            pending.arrival.fulfil(.failure(Refusal(description: "its ticket expired before it connected")))
            return .failure(Refusal(description: "an expired ticket"))
        }
        let version = header["protocol"]?.intValue ?? 0
        guard version == FrameProtocol.version else {
            let reason = "the worker binary speaks frame protocol \(version) but this runtime speaks \(FrameProtocol.version): use the runtime-worker built with this runtime"
            pending.arrival.fulfil(.failure(Refusal(description: reason)))
            return .failure(Refusal(description: reason))
        }
        return .success(pending)
    }

    private static func setTimeout(_ fd: Int32, seconds: Int) {
        var limit = timeval(tv_sec: seconds, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
