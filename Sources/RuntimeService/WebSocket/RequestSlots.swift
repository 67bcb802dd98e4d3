import Synchronization

/// The requests of one connection in progress, and their messages' bytes:
/// the connection's reading takes a slot before it hands a request over, and
/// waits while the connection is at its bound, so a client that sends
/// faster than it is served holds at most that much of the server (NIO then
/// stops reading its socket). One request is always admitted.
final class RequestSlots: Sendable {
    private struct State {
        var requests = 0
        var bytes = 0
        /// The connection's reading, waiting for a slot (one reader per connection).
        var waiter: CheckedContinuation<Void, Never>?
        var cancelled = false
    }

    let maximumRequests: Int
    let maximumBytes: Int
    private let state = Mutex(State())

    init(maximumRequests: Int, maximumBytes: Int) {
        self.maximumRequests = max(1, maximumRequests)
        self.maximumBytes = maximumBytes
    }

    /// Takes a slot for a request of `bytes`, waiting while the connection is
    /// at its bound; false if the waiting task was cancelled (the connection closed).
    func acquire(bytes: Int) async -> Bool {
        while true {
            if Task.isCancelled { return false }
            let admitted = state.withLock { state -> Bool in
                guard fits(bytes, in: state) else { return false }
                state.requests += 1
                state.bytes += bytes
                return true
            }
            if admitted { return true }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                    let now = state.withLock { state -> Bool in
                        if state.cancelled || fits(bytes, in: state) { return true }
                        state.waiter = waiter
                        return false
                    }
                    if now { waiter.resume() }
                }
            } onCancel: {
                wake(cancelling: true)
            }
        }
    }

    /// Gives back the slot of a request of `bytes` that has been answered.
    func release(bytes: Int) {
        state.withLock { state in
            state.requests -= 1
            state.bytes -= bytes
        }
        wake(cancelling: false)
    }

    /// Requests in progress now.
    var inProgress: Int { state.withLock { $0.requests } }

    /// Whether the reading is waiting for a slot now.
    var hasWaiter: Bool { state.withLock { $0.waiter != nil } }

    private func fits(_ bytes: Int, in state: State) -> Bool {
        state.requests == 0 || (state.requests < maximumRequests && state.bytes + bytes <= maximumBytes)
    }

    private func wake(cancelling: Bool) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if cancelling { state.cancelled = true }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }
}
