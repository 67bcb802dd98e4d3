import Synchronization

/// Hands out the uids of a range so that no two live workers share one.
package final class UIDAllocator: Sendable {
    private let range: ClosedRange<UInt32>
    private let state: Mutex<(next: UInt32, used: Set<UInt32>)>

    package init(range: ClosedRange<UInt32>) {
        self.range = range
        state = Mutex((range.lowerBound, []))
    }

    /// A uid no live worker has, or nil when the range is exhausted.
    package func take() -> UInt32? {
        state.withLock { state in
            let count = Int(range.upperBound - range.lowerBound) + 1
            guard state.used.count < count else { return nil }
            while state.used.contains(state.next) {
                state.next = state.next == range.upperBound ? range.lowerBound : state.next + 1
            }
            let uid = state.next
            state.used.insert(uid)
            state.next = uid == range.upperBound ? range.lowerBound : uid + 1
            return uid
        }
    }

    /// Gives a uid back once every process that had it has ended.
    package func give(_ uid: UInt32) {
        _ = state.withLock { $0.used.remove(uid) }
    }
}
