import Foundation

/// A session's bookkeeping as a value: status, timings, placeholders and the
/// event log with its sequence numbers. No I/O; ``WorkerSession`` drives it.
struct SessionState {
    let sessionId: String
    private(set) var status: SessionStatus = .queued
    private(set) var startedAt: Date?
    private(set) var finishedAt: Date?
    private(set) var placeholders: [(name: String, valueType: String)] = []
    private(set) var error: ProgramError?
    private(set) var killed = false
    private(set) var events: [SessionEvent] = []

    init(sessionId: String) {
        self.sessionId = sessionId
    }

    /// Records an event with the next sequence number and returns it.
    private mutating func record(_ kind: SessionEvent.Kind) -> SessionEvent {
        let event = SessionEvent(sessionId: sessionId, sequence: events.count + 1, kind: kind)
        events.append(event)
        return event
    }

    mutating func accepted() -> SessionEvent { record(.started) }

    mutating func began(at date: Date = Date()) {
        guard status == .queued else { return }
        status = .running
        startedAt = date
    }

    mutating func placeholderSaved(name: String, valueType: String) -> SessionEvent? {
        guard !status.hasEnded else { return nil }
        if let index = placeholders.firstIndex(where: { $0.name == name }) {
            placeholders[index].valueType = valueType
        } else {
            placeholders.append((name, valueType))
        }
        return record(.placeholderReady(name: name, valueType: valueType))
    }

    mutating func output(stream: SessionEvent.Stream, text: String, truncated: Bool) -> SessionEvent? {
        guard !status.hasEnded else { return nil }
        return record(.output(stream: stream, text: text, truncated: truncated))
    }

    /// Ends the run; nil if it had already ended.
    mutating func ended(_ outcome: SessionStatus, error: ProgramError? = nil, killed: Bool = false,
                        at date: Date = Date()) -> SessionEvent? {
        guard !status.hasEnded else { return nil }
        status = outcome
        finishedAt = date
        self.error = error
        self.killed = killed
        switch outcome {
        case .finished: return record(.finished(durationMs: durationMs(now: date) ?? 0))
        case .failed: return record(.failed(error ?? ProgramError(type: "RuntimeError", message: "the run failed")))
        default: return record(.stopped(killed: killed))
        }
    }

    func durationMs(now: Date = Date()) -> Int? {
        guard let startedAt else { return nil }
        return max(0, Int(((finishedAt ?? now).timeIntervalSince(startedAt) * 1000).rounded()))
    }

    func snapshot(now: Date = Date()) -> SessionSnapshot {
        SessionSnapshot(sessionId: sessionId, status: status, placeholders: placeholders.map(\.name),
                        startedAt: startedAt, finishedAt: finishedAt, durationMs: durationMs(now: now),
                        error: error, killed: killed, lastSequence: events.count)
    }
}
