import Foundation
import Glibc

/// A TCP listener on 127.0.0.1 in the test's (the server's) network.
public struct LoopbackListener: Sendable {
    public let fd: Int32
    public let port: Int

    public struct Failure: Error {}

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard fd >= 0, bound else { throw Failure() }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    public func close() { _ = Glibc.close(fd) }

    /// ``release(after:)`` on a Dispatch thread, not blocking Swift's pool.
    public func releaseInBackground(after count: Int) async -> Bool {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: release(after: count)) }
        }
    }

    /// Accepts `count` connections, then sends each one byte `g`. Blocks.
    public func release(after count: Int) -> Bool {
        var clients: [Int32] = []
        while clients.count < count {
            let client = accept(fd, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return false
            }
            clients.append(client)
        }
        for client in clients {
            _ = send(client, "g", 1, 0)
            _ = Glibc.close(client)
        }
        return true
    }
}
