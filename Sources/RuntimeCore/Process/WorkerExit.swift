import Glibc
import RuntimeJSON
import WorkerFrames

/// How a worker process ended.
public enum WorkerExit: Sendable, Equatable, CustomStringConvertible {
    /// It exited with this code.
    case exited(code: Int32)
    /// A signal killed it.
    case signalled(signal: Int32)
    /// A remote worker's connection ended, for this reason.
    case disconnected(reason: String)

    init(waitStatus status: Int32) {
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros; decode by hand.
        let low = status & 0x7F
        if low == 0 {
            self = .exited(code: (status >> 8) & 0xFF)
        } else {
            self = .signalled(signal: low)
        }
    }

    /// How it ended, as an error message says it: `exited with code 1`,
    /// `was killed by signal 9 (SIGKILL)`.
    public var description: String {
        switch self {
        case .exited(let code): return "exited with code \(code)"
        case .signalled(let signal): return "was killed by signal \(signal) (\(WorkerExit.signalName(signal)))"
        case .disconnected(let reason): return "ended remotely: \(reason)"
        }
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGKILL: return "SIGKILL"
        case SIGSEGV: return "SIGSEGV"
        case SIGABRT: return "SIGABRT"
        case SIGBUS: return "SIGBUS"
        case SIGFPE: return "SIGFPE"
        case SIGILL: return "SIGILL"
        case SIGTERM: return "SIGTERM"
        case SIGINT: return "SIGINT"
        default: return "signal \(signal)"
        }
    }
}
