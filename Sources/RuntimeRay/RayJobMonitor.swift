import Logging
import RuntimeCore
import Synchronization

/// Watches one Ray job for everyone who waits on it: a single poll task runs
/// while someone waits and the job has not ended, and every answer goes to
/// every waiter. The task ends when the job ends, when the last waiter
/// leaves (is cancelled), or at ``finish(reason:)``.
///
/// While the job stays `RUNNING` the polls space out, doubling from the
/// shortest interval to the longest (a session's worker can run for hours
/// with someone waiting for its end); a new waiter then gets a fresh answer
/// at once rather than at the end of a long pause.
final class RayJobMonitor: Sendable {
    /// What is known of the job.
    struct Snapshot: Sendable {
        /// The latest answer about it.
        var info: RayJobInfo?
        /// Why it ended, once it has (or can no longer be watched).
        var end: String?
        /// When an answer first said the job had ended (a terminal status).
        var endedAt: ContinuousClock.Instant?
    }

    private struct Waiter {
        var isSatisfied: @Sendable (Snapshot) -> Bool
        var continuation: CheckedContinuation<Snapshot, Never>
    }

    private struct State {
        var snapshot = Snapshot()
        var waiters: [Int: Waiter] = [:]
        var lastWaiter = 0
        /// The running poll task, and which one it is (a cancelled one that
        /// still answers is not the current one).
        var poller: (generation: Int, task: Task<Void, Never>)?
        var generations = 0
        /// Whether the poll task is between two polls (it can then be
        /// replaced without losing an answer).
        var pausing = false
        /// The pause before the next poll.
        var pause: Duration
        /// When the dashboard started failing to answer, and how often it has since.
        var failingSince: ContinuousClock.Instant?
        var failures = 0
    }

    let id: String
    private let client: RayJobsClient
    private let interval: ClosedRange<Duration>
    private let unreachableLimit: Duration
    private let logger: Logger
    private let state: Mutex<State>

    /// A monitor of the job `id`, pausing `interval.lowerBound` between polls
    /// and up to `interval.upperBound` while the job runs unchanged; a
    /// dashboard that fails to answer for `unreachableLimit` ends the watch.
    init(id: String, client: RayJobsClient, interval: ClosedRange<Duration>, unreachableLimit: Duration,
         logger: Logger) {
        self.id = id
        self.client = client
        self.interval = interval
        self.unreachableLimit = unreachableLimit
        self.logger = logger
        state = Mutex(State(pause: interval.lowerBound))
    }

    /// What is known now, without asking Ray.
    var snapshot: Snapshot { state.withLock { $0.snapshot } }

    /// Waits until `isSatisfied` holds for what is known or the job has
    /// ended, and returns what is known then. Returns at once, with what is
    /// known, when the calling task is cancelled.
    func wait(until isSatisfied: @escaping @Sendable (Snapshot) -> Bool) async -> Snapshot {
        let waiter = state.withLock { state in
            state.lastWaiter += 1
            return state.lastWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Snapshot, Never>) in
                // Checked under the lock, as the cancellation handler runs under it:
                // a cancellation either is seen here or finds the waiter to resume.
                let now: Snapshot? = state.withLock { state in
                    if state.snapshot.end != nil || isSatisfied(state.snapshot) || Task.isCancelled {
                        return state.snapshot
                    }
                    state.waiters[waiter] = Waiter(isSatisfied: isSatisfied, continuation: continuation)
                    if state.pausing, state.pause > interval.lowerBound {
                        // A long pause: a fresh answer now, then the short interval again.
                        stopPolling(&state)
                    }
                    startPolling(&state)
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            let (left, snapshot) = state.withLock { state in
                let left = state.waiters.removeValue(forKey: waiter)
                if state.waiters.isEmpty { stopPolling(&state) }
                return (left, state.snapshot)
            }
            left?.continuation.resume(returning: snapshot)
        }
    }

    /// Ends the watch: `reason` is the end unless the job had already ended,
    /// every waiter returns, and the poll task stops.
    func finish(reason: String) {
        let (waiters, snapshot) = state.withLock { state in
            if state.snapshot.end == nil { state.snapshot.end = reason }
            stopPolling(&state)
            let waiters = Array(state.waiters.values)
            state.waiters = [:]
            return (waiters, state.snapshot)
        }
        for waiter in waiters { waiter.continuation.resume(returning: snapshot) }
    }

    /// Whether a poll task runs (for tests).
    var isPolling: Bool { state.withLock { $0.poller != nil } }

    /// The pause the poll task is in between two polls, if it is in one (for tests).
    var currentPause: Duration? { state.withLock { $0.poller != nil && $0.pausing ? $0.pause : nil } }

    private func startPolling(_ state: inout State) {
        guard state.poller == nil, state.snapshot.end == nil else { return }
        state.generations += 1
        let generation = state.generations
        state.pausing = false
        state.pause = interval.lowerBound
        state.poller = (generation, Task { await self.poll(generation: generation) })
    }

    private func stopPolling(_ state: inout State) {
        state.poller?.task.cancel()
        state.poller = nil
        state.pausing = false
    }

    /// The poll task: asks, shares the answer, pauses, until there is nobody
    /// left to tell or nothing left to learn.
    private func poll(generation: Int) async {
        while true {
            let answer: Result<RayJobInfo?, RuntimeError>
            do {
                answer = .success(try await client.info(id))
            } catch {
                answer = .failure(error)
            }
            let (done, pause) = state.withLock { state -> ([(Waiter, Snapshot)], Duration?) in
                guard state.poller?.generation == generation else { return ([], nil) }
                let before = state.snapshot.info?.status
                record(answer, in: &state)
                var done: [(Waiter, Snapshot)] = []
                for (key, waiter) in state.waiters
                where state.snapshot.end != nil || waiter.isSatisfied(state.snapshot) {
                    done.append((waiter, state.snapshot))
                    state.waiters[key] = nil
                }
                if state.snapshot.end != nil || state.waiters.isEmpty {
                    state.poller = nil
                    return (done, nil)
                }
                let status = state.snapshot.info?.status
                state.pause = status == .running && status == before
                    ? min(state.pause * 2, interval.upperBound) : interval.lowerBound
                state.pausing = true
                return (done, state.pause)
            }
            for (waiter, snapshot) in done { waiter.continuation.resume(returning: snapshot) }
            guard let pause else { return }
            do {
                try await Task.sleep(for: pause)
            } catch {
                return  // cancelled by whoever stopped or replaced the polling
            }
            let current = state.withLock { state in
                guard state.poller?.generation == generation else { return false }
                state.pausing = false
                return true
            }
            guard current else { return }
        }
    }

    private func record(_ answer: Result<RayJobInfo?, RuntimeError>, in state: inout State) {
        switch answer {
        case .success(let info?):
            state.failingSince = nil
            state.failures = 0
            state.snapshot.info = info
            if info.status.isTerminal {
                state.snapshot.end = Self.reason(id: id, info: info)
                state.snapshot.endedAt = state.snapshot.endedAt ?? .now
            }
        case .success(nil):
            state.snapshot.end = "the Ray job \(id) no longer exists in the cluster (it was deleted)"
        case .failure(let error):
            let now = ContinuousClock.now
            let since = state.failingSince ?? now
            state.failingSince = since
            state.failures += 1
            if state.failures == 1 || state.failures % 20 == 0 {
                logger.warning("cannot ask Ray about a job", metadata: ["error": "\(error.message)",
                                                                       "failures": "\(state.failures)"])
            }
            if now - since >= unreachableLimit {
                state.snapshot.end = "the Ray dashboard did not answer about the Ray job \(id) for \(unreachableLimit): \(error.message)"
            }
        }
    }

    /// Why a job in a terminal status ended, as a run's error says it:
    /// `the Ray job ID FAILED: Ray's message`, `the Ray job ID was STOPPED`,
    /// `the Ray job ID SUCCEEDED ...`. Of the command's output that Ray puts
    /// in a failure's message, Ray's own lines are left out and the rest
    /// keeps its last 1,500 characters.
    static func reason(id: String, info: RayJobInfo) -> String {
        switch info.status {
        case .stopped:
            return "the Ray job \(id) was STOPPED"
        case .succeeded:
            return "the Ray job \(id) SUCCEEDED (its command exited with code 0)"
        default:
            let message = describe(info.message ?? "")
            return message.isEmpty ? "the Ray job \(id) \(info.status)" : "the Ray job \(id) \(info.status): \(message)"
        }
    }

    /// Ray's failure message with the command's output as above.
    private static func describe(_ message: String) -> String {
        let marker = ", last available logs (truncated to 20,000 chars):"
        guard let range = message.firstRange(of: marker) else { return clipped(message.trimmingWhitespace(), keeping: 2_000) }
        let output = message[range.upperBound...].split(separator: "\n", omittingEmptySubsequences: true)
            .filter { !isRaysOwnLine($0) }.joined(separator: "\n").trimmingWhitespace()
        let head = String(message[..<range.lowerBound]).trimmingWhitespace()
        return output.isEmpty ? head + "." : head + ". Its last output:\n" + clipped(output, keeping: 1_500)
    }

    /// A line Ray writes into a job's log itself: `2026-12-01 18:18:05,056\tINFO job_manager.py:581 -- ...`
    /// and `Running entrypoint for job ID: COMMAND`.
    private static func isRaysOwnLine(_ line: Substring) -> Bool {
        if line.hasPrefix("Running entrypoint for job ") { return true }
        let parts = line.split(separator: "\t", maxSplits: 1)
        guard parts.count == 2, parts[0].count == 23, parts[0].first?.isNumber == true else { return false }
        return ["INFO ", "WARNING ", "ERROR ", "DEBUG "].contains { parts[1].hasPrefix($0) }
    }

    /// The text, or its last `limit` characters after `…`.
    private static func clipped(_ text: String, keeping limit: Int) -> String {
        guard text.count > limit else { return text }
        return "…" + text.suffix(limit)
    }
}
