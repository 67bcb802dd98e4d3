import RuntimeJSON
import WorkerFrames
/// A first-come, first-served limit on runs executing at once.
actor RunSlots {
    private let limit: Int
    private var inUse = 0
    private var waiting: [(id: String, continuation: CheckedContinuation<Bool, Never>)] = []

    init(limit: Int) { self.limit = max(1, limit) }

    /// Waits for a slot; false when the wait was cancelled with ``cancel(_:)``.
    func acquire(_ id: String) async -> Bool {
        if inUse < limit {
            inUse += 1
            return true
        }
        return await withCheckedContinuation { waiting.append((id, $0)) }
    }

    /// Gives up a wait (a queued run that was stopped).
    func cancel(_ id: String) {
        if let index = waiting.firstIndex(where: { $0.id == id }) {
            waiting.remove(at: index).continuation.resume(returning: false)
        }
    }

    func release() {
        if waiting.isEmpty {
            inUse = max(0, inUse - 1)
        } else {
            waiting.removeFirst().continuation.resume(returning: true)
        }
    }
}
