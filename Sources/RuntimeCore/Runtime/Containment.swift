import Foundation
import RuntimeJSON
import WorkerFrames

/// How sessions are kept apart from the server, from each other and from the
/// machine. Every measure is on by default; see `Docs/Security.md`.
public struct Containment: Sendable, Equatable {
    /// Whose identity a session's processes run under.
    public enum Identity: Sendable, Equatable {
        /// A distinct unprivileged uid per live session, taken from this range
        /// (the server must run as root to switch to them).
        case uidRange(ClosedRange<UInt32>)
        /// The server's own user; sessions are kept apart by namespaces and
        /// Landlock. Refused for a server running as root unless
        /// ``Containment/allowRootWorkers`` is set.
        case serverUser
    }

    /// A session's network.
    public enum Network: String, Sendable, Equatable, CaseIterable {
        /// The machine's network, as the server has it.
        case full
        /// A network namespace with loopback only.
        case none
    }

    /// Whose identity sessions run under; by default a uid per session when
    /// the server runs as root, else the server's own user.
    public var identity: Identity
    /// Lets a root server run sessions as root (``Identity/serverUser``).
    public var allowRootWorkers: Bool
    /// Names of the server's environment variables passed on to programs,
    /// besides the few the Python environment needs.
    public var environmentAllowList: [String]
    /// Processes and threads a session may have at once; nil for no limit.
    public var maximumProcesses: Int?
    /// The session's network.
    public var network: Network
    /// Namespaces, Landlock and the per-session init. Off only where a test
    /// or a benchmark compares against the bare worker.
    public var isolateProcesses: Bool

    /// The uids a root server gives sessions by default.
    public static let defaultUIDRange: ClosedRange<UInt32> = 200_000...265_535

    /// Every measure on; `identity` nil picks the default for the server's
    /// user (see ``identity``).
    public init(identity: Identity? = nil, allowRootWorkers: Bool = false, environmentAllowList: [String] = [],
                maximumProcesses: Int? = 512, network: Network = .full, isolateProcesses: Bool = true) {
        self.identity = identity ?? (geteuid() == 0 ? .uidRange(Containment.defaultUIDRange) : .serverUser)
        self.allowRootWorkers = allowRootWorkers
        self.environmentAllowList = environmentAllowList
        self.maximumProcesses = maximumProcesses
        self.network = network
        self.isolateProcesses = isolateProcesses
    }

    /// Variables passed on whenever the server has them: what numerical
    /// libraries need to compute correctly here, and the locale and zone.
    public static let defaultEnvironment = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "TZ", "LANG", "LC_ALL"]

    /// Thread-pool settings of numerical libraries, set to 1 for workers.
    public static let singleThreadedLibraries = ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"]

    /// Why this containment cannot be used by a server running as `euid`, or nil.
    public func refusal(euid: uid_t = geteuid()) -> String? {
        switch identity {
        case .serverUser where euid == 0 && !allowRootWorkers:
            return "refusing to run session workers as root: give them a uid range, or allow root workers explicitly"
        case .uidRange where euid != 0:
            return "a uid range for workers needs a server running as root"
        case .uidRange(let range) where range.lowerBound == 0:
            return "the worker uid range must not include root"
        default:
            return nil
        }
    }

    /// The environment a worker starts with: nothing of the server's but
    /// what is listed.
    func workerEnvironment(python: PythonEnvironment, server: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        let bin = (python.executable as NSString).deletingLastPathComponent
        var environment = [
            "PATH": "\(bin):/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "HOME": "/nonexistent",
            // A crash is reported as WorkerCrashed; Swift's backtracer would
            // only add seconds and pages of noise.
            "SWIFT_BACKTRACE": "enable=no",
        ]
        // Numerical libraries start thread pools when imported (preloaded, before
        // the worker can apply Landlock, which binds only threads started after
        // it): one thread each, unless the operator passes their own setting.
        for name in Containment.singleThreadedLibraries where !environmentAllowList.contains(name) {
            environment[name] = "1"
        }
        for name in Containment.defaultEnvironment + environmentAllowList {
            if let value = server[name] { environment[name] = value }
        }
        return environment
    }
}
