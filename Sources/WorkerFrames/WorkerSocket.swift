import Glibc

/// The TCP settings of a remote worker's connection, the same on both ends.
package enum WorkerSocket {
    /// No delay for small frames; keep-alive probes after 3 s idle, every
    /// 1 s, 3 missed, and 10 s for unacknowledged data: a peer that vanished
    /// without closing (a lost machine) is noticed within about 10 s.
    package static func tune(_ fd: Int32) {
        func set(_ level: Int32, _ name: Int32, _ value: Int32) {
            var value = value
            _ = setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
        }
        set(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        set(SOL_SOCKET, SO_KEEPALIVE, 1)
        set(Int32(IPPROTO_TCP), TCP_KEEPIDLE, 3)
        set(Int32(IPPROTO_TCP), TCP_KEEPINTVL, 1)
        set(Int32(IPPROTO_TCP), TCP_KEEPCNT, 3)
        set(Int32(IPPROTO_TCP), TCP_USER_TIMEOUT, 10_000)
    }
}
