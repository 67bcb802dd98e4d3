import Synchronization

/// The requests of one connection in progress, and their messages' bytes.
/// The connection's reading takes a slot before it hands a request over and
/// never waits for one: a request past the bound is answered
/// `LIMIT_EXCEEDED` at once, so the reading always goes on and a `stop`
/// sent behind any number of slow requests is read and served. `stop` and
/// `delete_session` have slots of their own.
final class RequestSlots: Sendable {
    private struct State {
        var requests = 0
        var bytes = 0
        var stops = 0
    }

    /// Requests at once (``ServerConfiguration/maximumRequestsPerConnection``).
    let maximumRequests: Int
    /// Their messages' bytes together; one request is always admitted.
    let maximumBytes: Int
    /// `stop` and `delete_session` requests at once.
    let maximumStops: Int
    private let state = Mutex(State())

    init(maximumRequests: Int, maximumBytes: Int, maximumStops: Int = 32) {
        self.maximumRequests = max(1, maximumRequests)
        self.maximumBytes = maximumBytes
        self.maximumStops = max(1, maximumStops)
    }

    /// Takes a slot for a request of `bytes`; false when the connection is at its bound.
    func tryAcquire(bytes: Int) -> Bool {
        state.withLock { state in
            guard state.requests == 0 || (state.requests < maximumRequests && state.bytes + bytes <= maximumBytes) else { return false }
            state.requests += 1
            state.bytes += bytes
            return true
        }
    }

    /// Gives back the slot of a request of `bytes` that has been answered.
    func release(bytes: Int) {
        state.withLock { state in
            state.requests -= 1
            state.bytes -= bytes
        }
    }

    /// Takes a slot for a `stop` or `delete_session`; false when that many are in progress.
    func tryAcquireStop() -> Bool {
        state.withLock { state in
            guard state.stops < maximumStops else { return false }
            state.stops += 1
            return true
        }
    }

    func releaseStop() {
        state.withLock { $0.stops -= 1 }
    }

    /// Requests in progress now (stops aside).
    var inProgress: Int { state.withLock { $0.requests } }
}
