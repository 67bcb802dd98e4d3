import Synchronization

/// When each session was last asked about, and how many requests about it
/// are being answered, so that idle ended sessions can be freed and busy
/// ones are not.
final class SessionActivity: Sendable {
    private struct State {
        var lastSeen: [String: ContinuousClock.Instant] = [:]
        var inFlight: [String: Int] = [:]
    }

    private let state = Mutex(State())

    func touch(_ id: String) {
        let now = ContinuousClock.now
        state.withLock { $0.lastSeen[id] = now }
    }

    /// A request about `id` is being answered (until ``end(_:)``). Only a
    /// session found for its caller is ``touch(_:)``ed: an id nobody has
    /// leaves nothing behind.
    func begin(_ id: String) {
        state.withLock { $0.inFlight[id, default: 0] += 1 }
    }

    /// The request of ``begin(_:)`` is answered: the session is idle from now.
    func end(_ id: String) {
        let now = ContinuousClock.now
        state.withLock { state in
            let left = (state.inFlight[id] ?? 1) - 1
            state.inFlight[id] = left > 0 ? left : nil
            if state.lastSeen[id] != nil { state.lastSeen[id] = now }
        }
    }

    /// Whether a request about `id` is being answered.
    func isBusy(_ id: String) -> Bool {
        state.withLock { $0.inFlight[id] != nil }
    }

    func forget(_ id: String) {
        state.withLock { state in
            state.lastSeen.removeValue(forKey: id)
            state.inFlight.removeValue(forKey: id)
        }
    }

    func lastActivity(_ id: String) -> ContinuousClock.Instant? {
        state.withLock { $0.lastSeen[id] }
    }
}
