import CSandbox
import Glibc

/// A one-shot timer (a `timerfd`) that a thread can block on: the worker's
/// request threads arm it while a thread serves requests it read and holds
/// the reading, and its expiry hands the reading to another thread.
///
/// Arming and disarming are one system call each and wake nobody; only an
/// expiry wakes the thread blocked in ``waitForExpiry()``.
final class HandoverTimer: Sendable {
    private let fd: Int32

    /// A timer, or nil when the kernel refuses one (the request threads then
    /// hand the reading over at once, as without it).
    init?() {
        let fd = sandbox_timer_create()
        guard fd >= 0 else { return nil }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Expires once, `nanoseconds` from now (re-arming replaces an earlier setting).
    func arm(nanoseconds: Int64) {
        _ = sandbox_timer_arm(fd, nanoseconds)
    }

    /// No expiry pending.
    func disarm() {
        _ = sandbox_timer_arm(fd, 0)
    }

    /// Blocks until the timer expires; false when the timer cannot be read
    /// (it will never expire).
    func waitForExpiry() -> Bool {
        var expirations: UInt64 = 0
        while true {
            if read(fd, &expirations, MemoryLayout<UInt64>.size) == MemoryLayout<UInt64>.size { return true }
            if errno != EINTR { return false }
        }
    }
}
