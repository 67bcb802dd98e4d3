import Synchronization

/// Which user started each session. Ownership is the server's concept (the
/// runtime knows nothing of users): a session is visible only to its owner,
/// and to anyone else it does not exist.
final class SessionOwners: Sendable {
    private let owners = Mutex<[String: ServerUser]>([:])

    func record(_ id: String, owner: ServerUser) {
        owners.withLock { $0[id] = owner }
    }

    func owner(of id: String) -> ServerUser? {
        owners.withLock { $0[id] }
    }

    /// Whether `user` may see the session (unknown sessions: no).
    func isVisible(_ id: String, to user: ServerUser) -> Bool {
        owners.withLock { $0[id] } == user
    }

    func forget(_ id: String) {
        _ = owners.withLock { $0.removeValue(forKey: id) }
    }
}
