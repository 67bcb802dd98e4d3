import CPython
import Foundation
import Synchronization

/// Stops a read whose Python code does not return: a program's endless
/// `__repr__` or `_repr_html_` runs between the checks of the read's
/// ``ReadBudget``, which come only between the values it encodes, so without
/// this such a read was never answered and held one of the worker's serving
/// threads for good.
///
/// A serving thread runs a read inside ``watch(_:_:)``. When the read's
/// deadline passes, or it is cancelled, while it still runs, the watchdog's
/// thread raises an exception in the serving thread at its next Python
/// instruction, and again every ``repeatNanoseconds`` while the read goes
/// on. The exception derives from `BaseException`, so a program's
/// `except Exception` does not swallow it. The read then answers
/// `LIMIT_EXCEEDED` as one stopped by its budget does, even when the program
/// caught the exception or the encoder put a stand-in in place of the value
/// that raised. Code that runs in C and keeps the GIL (one long numpy call)
/// is stopped only once it is back in Python.
///
/// Watching a read costs a lock and, when no earlier expiry is armed, one
/// system call; it wakes no thread. The watchdog's thread wakes at the
/// earliest deadline of the reads it watches (a timer armed lazily: it may
/// wake once for a read already answered), and at once for a cancel.
final class ReadWatchdog: Sendable {
    /// The one of the worker: its serving threads' reads.
    static let shared = ReadWatchdog()

    /// How often the exception is raised again in a read that goes on.
    static let repeatNanoseconds: Int64 = 100_000_000

    private struct Watched {
        var thread: UInt
        var deadline: Int64?
        var cancellation: ReadCancellation
        /// When the exception was last raised in it, if it was.
        var raisedAt: Int64?

        /// The moment it is next due for an exception (now when cancelled), or nil.
        func due(now: Int64) -> Int64? {
            if let raisedAt { return raisedAt + ReadWatchdog.repeatNanoseconds }
            if cancellation.isCancelled { return now }
            return deadline
        }
    }

    private struct State {
        var watched: [Int: Watched] = [:]
        var nextToken = 0
        /// The moment the timer is armed for (monotonic ns), nil when disarmed.
        var armedFor: Int64?
        /// The watchdog's thread runs: only then is the timer armed.
        var running = false
    }

    private let state = Mutex(State())
    private let timer = OneShotTimer()

    private init() {}

    /// Starts the watchdog's thread (once); without a timer from the kernel,
    /// reads are watched by their budget alone.
    func start() {
        guard let timer, state.withLock({ state in
            defer { state.running = true }
            return !state.running
        }) else { return }
        let thread = Thread { [self] in run(timer) }
        thread.name = "runtime-read-watchdog"
        thread.stackSize = 256 << 10
        thread.start()
        state.withLock { rearm(&$0, now: MonotonicClock.nanoseconds()) }
    }

    /// Runs `body`, a read holding the GIL, watched against `budget`'s
    /// deadline and cancellation; throws the budget's interruption if the
    /// watchdog had to raise in it. `helper`'s `drain_interrupt` does
    /// nothing: called after an interruption, it takes an exception raised
    /// but not yet delivered.
    func watch<T>(_ budget: ReadBudget, helper: PythonObject, _ body: () throws -> T) throws -> T {
        let thread = UInt(PyThread_get_thread_ident())
        let token = state.withLock { state in
            defer { state.nextToken += 1 }
            let watched = Watched(thread: thread, deadline: budget.deadline, cancellation: budget.cancellation)
            state.watched[state.nextToken] = watched
            // Arms only for an expiry earlier than the armed one (a read
            // already cancelled is due at once: `now` 0 stands for any time).
            if state.running, let due = watched.due(now: 0), state.armedFor.map({ due < $0 }) ?? true {
                state.armedFor = due
                timer?.arm(nanoseconds: max(1, due - MonotonicClock.nanoseconds()))
            }
            return state.nextToken
        }
        let result = Result { try body() }
        // Holding the GIL: the watchdog raises only while holding it too, so
        // nothing is raised in this thread once the read is no longer watched.
        let raised = state.withLock { $0.watched.removeValue(forKey: token)?.raisedAt != nil }
        guard raised else { return try result.get() }
        // One raised but not yet delivered is delivered now, in a call whose
        // error is dropped. (Withdrawn with a NULL exception instead, this
        // thread's next read stalled at its first Python call until the
        // watchdog raised in it again: seen with 3.11, the cause not traced.)
        PyErr_Clear()
        if let drain = try? helper.attribute("drain_interrupt"), let drained = PyObject_CallNoArgs(drain.pointer) { Py_DecRef(drained) }
        PyErr_Clear()
        throw budget.interruption
    }

    /// A read may have been cancelled: look at once.
    func poke() {
        state.withLock { state in
            guard state.running, !state.watched.isEmpty else { return }
            state.armedFor = MonotonicClock.nanoseconds()
            timer?.arm(nanoseconds: 1)
        }
    }

    private func run(_ timer: OneShotTimer) {
        var exception: UnsafeMutablePointer<PyObject>?
        while timer.waitForExpiry() {
            let due = state.withLock { state in
                state.armedFor = nil
                let now = MonotonicClock.nanoseconds()
                return state.watched.compactMap { token, watched in watched.due(now: now).map { $0 <= now ? token : nil } ?? nil }
            }
            if !due.isEmpty {
                PythonInterpreter.withGIL {
                    if exception == nil {
                        exception = shim_new_base_exception("runtime.ReadInterrupted")
                        if exception == nil { PyErr_Clear() }
                    }
                    guard let exception else { return }
                    state.withLock { state in
                        let now = MonotonicClock.nanoseconds()
                        for token in due {
                            guard var watched = state.watched[token] else { continue }  // answered meanwhile
                            _ = shim_async_exception(watched.thread, exception)
                            watched.raisedAt = now
                            state.watched[token] = watched
                        }
                    }
                }
            }
            state.withLock { rearm(&$0, now: MonotonicClock.nanoseconds()) }
        }
    }

    /// Arms the timer for the next moment a watched read is due, if any.
    private func rearm(_ state: inout State, now: Int64) {
        guard let next = state.watched.values.compactMap({ $0.due(now: now) }).min() else { return }
        if let armed = state.armedFor, armed <= next { return }
        state.armedFor = next
        timer?.arm(nanoseconds: max(1, next - now))
    }
}
