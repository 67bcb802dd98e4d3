import Foundation
import Synchronization

/// Turns SIGINT at the terminal into calls instead of death. The handler
/// learns how many interrupts have arrived so far (1, 2, …), so a first
/// Ctrl-C can mean "stop" and a second "give up waiting".
final class InterruptForwarder {
    private let source: any DispatchSourceSignal

    init(_ handler: @escaping @Sendable (Int) -> Void) {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let counter = Counter()
        // Signals that arrive together are coalesced into one event; its data says how many.
        nonisolated(unsafe) let signals = source
        source.setEventHandler {
            let arrived = max(1, Int(signals.data))
            let before = counter.add(arrived)
            for count in (before + 1)...(before + arrived) { handler(count) }
        }
        source.resume()
        self.source = source
    }

    func cancel() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }

    private final class Counter: Sendable {
        private let value = Mutex(0)

        /// Adds and returns the count before.
        func add(_ n: Int) -> Int { value.withLock { let before = $0; $0 += n; return before } }
    }
}
