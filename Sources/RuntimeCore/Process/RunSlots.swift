import RuntimeJSON
import WorkerFrames
/// A first-come, first-served limit on runs executing at once.
actor RunSlots {
    private let limit: Int
    private var inUse = 0
    private var waiting: [(id: String, continuation: CheckedContinuation<Bool, Never>)] = []
    private var closed = false

    init(limit: Int) { self.limit = max(1, limit) }

    /// Waits for a slot; false when the wait was cancelled with ``cancel(_:)``.
    func acquire(_ id: String) async -> Bool {
        if closed { return false }
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

    /// Refuses every wait from now on (the runtime is shutting down): the
    /// runs waiting for a slot get false, as if each had been stopped.
    func close() {
        closed = true
        for waiter in waiting { waiter.continuation.resume(returning: false) }
        waiting = []
    }

    func release() {
        if waiting.isEmpty {
            inUse = max(0, inUse - 1)
        } else {
            waiting.removeFirst().continuation.resume(returning: true)
        }
    }
}
