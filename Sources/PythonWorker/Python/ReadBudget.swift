import CPython
import Glibc
import RuntimeJSON
import WorkerFrames

/// The checks a long value encoding makes as it goes: whether its read was
/// cancelled, whether its deadline passed, and a moment without the GIL so
/// that other threads (another read, the running program) are not starved.
///
/// The encoder calls ``tick(_:)`` once per element it produces. Every
/// ``checkInterval`` elements the budget looks at the cancellation flag and
/// the monotonic clock, and releases and retakes the GIL. Counting elements
/// rather than timing each one keeps the common path to a decrement; 4096
/// elements take well under a millisecond to encode in a release build, so a
/// cancel or a deadline is noticed within about a millisecond of work. The
/// calls into numpy and pandas between ticks (a column's `tolist()`, an
/// index) are not interrupted; they cost tens of milliseconds per million rows.
///
/// Used on one thread, holding the GIL; not `Sendable`.
final class ReadBudget {
    /// Elements encoded between two checks.
    static let checkInterval = 4096

    let cancellation: ReadCancellation
    /// Monotonic nanoseconds after which the read stops, or nil for no cap.
    let deadline: Int64?
    private let deadlineMilliseconds: Int
    private var countdown = ReadBudget.checkInterval

    /// - Parameters:
    ///   - cancellation: the flag a `cancel` frame sets.
    ///   - milliseconds: the request's `deadlineMs`, or nil for no cap.
    ///   - start: monotonic nanoseconds when the request arrived (the cap
    ///     counts time spent queued too).
    init(cancellation: ReadCancellation, deadlineMilliseconds milliseconds: Int?, start: Int64) {
        self.cancellation = cancellation
        self.deadlineMilliseconds = milliseconds ?? 0
        if let milliseconds {
            let (nanoseconds, overflow) = Int64(clamping: milliseconds).multipliedReportingOverflow(by: 1_000_000)
            let (end, late) = start.addingReportingOverflow(nanoseconds)
            deadline = overflow || late ? Int64.max : end
        } else {
            deadline = nil
        }
    }

    /// Counts `elements` encoded; every ``checkInterval`` of them checks the
    /// cap and lets other threads take the GIL. Must hold the GIL.
    @inline(__always)
    func tick(_ elements: Int = 1) throws(ReadInterruption) {
        countdown -= elements
        if countdown <= 0 { try checkpoint() }
    }

    /// Why the read was stopped from outside (``ReadWatchdog``): its
    /// cancellation if it was cancelled, else its deadline.
    var interruption: ReadInterruption {
        cancellation.isCancelled ? .cancelled : .deadlinePassed(milliseconds: deadlineMilliseconds)
    }

    /// Checks at once (before starting and between phases of a read).
    func check() throws(ReadInterruption) {
        if cancellation.isCancelled { throw .cancelled }
        if let deadline, MonotonicClock.nanoseconds() >= deadline {
            throw .deadlinePassed(milliseconds: deadlineMilliseconds)
        }
    }

    private func checkpoint() throws(ReadInterruption) {
        countdown = ReadBudget.checkInterval
        try check()
        // Give the GIL away for a moment: a thread waiting for it (a small
        // read, the program) asks for it after 5 ms and then gets it here.
        let state = PyEval_SaveThread()
        PyEval_RestoreThread(state)
        try check()
    }
}

/// `CLOCK_MONOTONIC` in nanoseconds.
enum MonotonicClock {
    static func nanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) &* 1_000_000_000 &+ Int64(now.tv_nsec)
    }
}
