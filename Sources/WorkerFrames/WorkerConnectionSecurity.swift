/// Secures remote workers' connections to the runtime's worker port (TLS,
/// module `WorkerTLS`): set it as `RemoteWorkers.security`.
public protocol WorkerConnectionSecurity: Sendable {
    /// A short name for logs (`"TLS"`).
    var name: String { get }

    /// Variables given to every remote worker so it can secure its side
    /// (the certificate it must accept). The worker removes them from its
    /// program's environment.
    var workerEnvironment: [String: String] { get }

    /// Secures a connection the runtime accepted, before anything is read
    /// from it; returns the descriptor frames are read and written on from
    /// then on (and owns `acceptedSocket`). Blocks its thread (a handshake
    /// thread of the listener) until the connection is secured or refused.
    func secure(acceptedSocket: Int32) throws(RuntimeError) -> Int32
}
