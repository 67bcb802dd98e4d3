import Synchronization
import RuntimeJSON
import WorkerFrames

/// A value that is set once and awaited by any number of tasks (a one-shot
/// broadcast), for bridging callbacks and threads into async code.
package final class Promise<Value: Sendable>: Sendable {
    private enum State {
        case waiting([CheckedContinuation<Value, Never>])
        case done(Value)
    }

    private let state = Mutex(State.waiting([]))

    package init() {}

    /// Sets the value (only the first call counts) and wakes every waiter.
    package func fulfil(_ value: Value) {
        fulfil(ifWaiting: value)
    }

    /// Sets the value unless it is set already; returns whether this call set it.
    @discardableResult
    package func fulfil(ifWaiting value: Value) -> Bool {
        let waiters: [CheckedContinuation<Value, Never>]? = state.withLock { state in
            guard case .waiting(let waiters) = state else { return nil }
            state = .done(value)
            return waiters
        }
        guard let waiters else { return false }
        for waiter in waiters { waiter.resume(returning: value) }
        return true
    }

    /// Whether the value has been set.
    package var isFulfilled: Bool {
        state.withLock { state in
            if case .done = state { return true }
            return false
        }
    }

    /// The value, once it is set.
    package var value: Value {
        get async {
            await withCheckedContinuation { continuation in
                let ready: Value? = state.withLock { state in
                    switch state {
                    case .done(let value): return value
                    case .waiting(var waiters):
                        waiters.append(continuation)
                        state = .waiting(waiters)
                        return nil
                    }
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }
}
