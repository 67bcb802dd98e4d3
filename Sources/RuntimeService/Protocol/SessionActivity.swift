import Synchronization

/// When each session was last asked about, so idle ended sessions can be freed.
final class SessionActivity: Sendable {
    private let lastSeen = Mutex<[String: ContinuousClock.Instant]>([:])

    func touch(_ id: String) {
        let now = ContinuousClock.now
        lastSeen.withLock { $0[id] = now }
    }

    func forget(_ id: String) {
        _ = lastSeen.withLock { $0.removeValue(forKey: id) }
    }

    func lastActivity(_ id: String) -> ContinuousClock.Instant? {
        lastSeen.withLock { $0[id] }
    }
}
