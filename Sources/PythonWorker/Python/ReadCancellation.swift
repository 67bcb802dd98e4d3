import Synchronization
import RuntimeJSON
import WorkerFrames

/// A flag that ends a read in progress: set from the worker's request reader
/// (a `cancel` frame) while a serving thread encodes the value.
final class ReadCancellation: Sendable {
    private let cancelled = Atomic<Bool>(false)

    init() {}

    /// Asks the read to stop at its next check.
    func cancel() { cancelled.store(true, ordering: .relaxed) }

    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
}

/// Why a read stopped before its value was encoded.
enum ReadInterruption: Error, Equatable {
    /// A `cancel` frame named the read (its client went away).
    case cancelled
    /// The read ran past the `deadlineMs` of its request.
    case deadlinePassed(milliseconds: Int)

    /// The reply's message; it names the cap.
    var message: String {
        switch self {
        case .cancelled:
            return "the request was cancelled before its answer was sent (its client went away)"
        case .deadlinePassed(let milliseconds):
            return "the read ran past its time cap of \(milliseconds) ms (deadlineMs) and was stopped"
        }
    }
}
