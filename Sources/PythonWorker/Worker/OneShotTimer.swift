import CSandbox
import Glibc

/// A one-shot timer (a `timerfd`) that a thread can block on: the worker's
/// request threads arm one while a thread serves requests it read and holds
/// the reading (its expiry hands the reading to another thread), and the
/// ``ReadWatchdog`` one for the earliest deadline of the reads it watches.
///
/// Arming and disarming are one system call each and wake nobody; only an
/// expiry wakes the thread blocked in ``waitForExpiry()``.
final class OneShotTimer: Sendable {
    private let fd: Int32

    /// A timer, or nil when the kernel refuses one.
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
