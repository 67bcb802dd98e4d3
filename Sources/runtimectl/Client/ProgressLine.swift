import Foundation
import Synchronization

/// A one-line spinner on stderr while waiting, only when stderr is a terminal.
final class ProgressLine: Sendable {
    private let text = Mutex("")
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)
    private let enabled = isatty(2) == 1

    func start(_ initial: String) {
        guard enabled else { return }
        text.withLock { $0 = initial }
        let started = ContinuousClock.now
        task.withLock {
            $0 = Task { [self] in
                let frames = Array("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")
                var i = 0
                while !Task.isCancelled {
                    let elapsed = ContinuousClock.now - started
                    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                    let line = String(format: "\r\u{1B}[K%@ %@ %.1fs", String(frames[i % frames.count]), self.text.withLock { $0 }, seconds)
                    Console.err(line)
                    i += 1
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
        }
    }

    func update(_ newText: String) { text.withLock { $0 = newText } }

    /// Stops and erases the line.
    func stop() {
        guard enabled else { return }
        task.withLock { $0?.cancel(); $0 = nil }
        Console.err("\r\u{1B}[K")
    }
}
