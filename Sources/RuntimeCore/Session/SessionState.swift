import Foundation
import RuntimeJSON
import WorkerFrames

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
    /// Placeholder events recorded for this run, the bytes of their names
    /// and type names, and whether a cap stopped them.
    private var placeholderEvents = 0
    private var placeholderEventBytes = 0
    private var placeholderEventsCut = false
    /// A new name was saved past the cap of listed names.
    private var placeholdersUnlisted = false
    /// Why the session's values are gone, once its worker ended after the run.
    private(set) var valuesLost: String?
    /// Output bytes and output events recorded for this run, and whether a
    /// cap cut it.
    private var outputBytes = 0
    private var outputEvents = 0
    private var outputCut = false

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

    /// Lists a saved placeholder; its event, or nil when there is none to
    /// send:
    /// - the session has ended: a thread of the program may still save after
    ///   the run's end (the worker lives on to answer reads), and the list
    ///   shows what can be read, but nothing follows the session's end event;
    /// - the run's placeholder events passed `eventCap`, or their names and
    ///   types `byteCap` bytes: a loop that saves the same name on every
    ///   step would otherwise fill the event log. The value is kept and
    ///   listed all the same; the first save past a cap records one `stderr`
    ///   output event that says so.
    /// The list holds each name once, so it grows only with new names (the
    /// runtime bounds their number).
    mutating func placeholderSaved(name: String, valueType: String, eventCap: Int = .max,
                                   byteCap: Int = .max) -> SessionEvent? {
        if let index = placeholders.firstIndex(where: { $0.name == name }) {
            placeholders[index].valueType = valueType
        } else {
            placeholders.append((name, valueType))
        }
        guard !status.hasEnded, !placeholderEventsCut else { return nil }
        let size = name.utf8.count + valueType.utf8.count
        guard placeholderEvents < eventCap, placeholderEventBytes + size <= byteCap else {
            placeholderEventsCut = true
            let cap = placeholderEvents < eventCap ? "cap of \(byteCap) bytes of names" : "cap of \(eventCap) events"
            return record(.output(stream: .stderr, text: "\n[runtime: this run's placeholder events passed their \(cap); "
                                  + "later saves are kept and listed in status, without an event]\n", truncated: false))
        }
        placeholderEvents += 1
        placeholderEventBytes += size
        return record(.placeholderReady(name: name, valueType: valueType))
    }

    /// A save of a new name past the session's `cap` of listed names: the
    /// value is kept by the worker and readable, but not listed; the first
    /// such save records one `stderr` output event that says so (none once
    /// the session has ended).
    mutating func placeholderNotListed(cap: Int) -> SessionEvent? {
        guard !placeholdersUnlisted else { return nil }
        placeholdersUnlisted = true
        guard !status.hasEnded else { return nil }
        return record(.output(stream: .stderr, text: "\n[runtime: this session passed its cap of \(cap) placeholder names; "
                              + "values saved under new names are kept and readable by name, but not listed, without an event]\n",
                              truncated: false))
    }

    /// Records output, keeping at most `cap` bytes and `eventCap` events per
    /// run whatever the worker claims: past either one marker is recorded and
    /// the rest dropped. (A program printing a line at a time, flushed, sends
    /// an event per line: 300,000 short lines are far under the byte cap.)
    mutating func output(stream: SessionEvent.Stream, text: String, truncated: Bool, cap: Int = .max,
                         eventCap: Int = .max) -> [SessionEvent] {
        guard !status.hasEnded, !outputCut else { return [] }
        guard outputEvents < eventCap else {
            outputCut = true
            return [record(.output(stream: stream, text: "\n[output truncated: this run's output passed its cap of \(eventCap) writes]\n",
                                   truncated: true))]
        }
        outputEvents += 1
        let size = text.utf8.count
        let (total, overflow) = outputBytes.addingReportingOverflow(size)
        if !overflow, total <= cap {
            outputBytes = total
            if truncated { outputCut = true }
            return [record(.output(stream: stream, text: text, truncated: truncated))]
        }
        outputCut = true
        var events: [SessionEvent] = []
        var prefix = Substring(text).utf8.prefix(max(0, cap - outputBytes))
        while String(prefix) == nil, !prefix.isEmpty { prefix = prefix.dropLast() }
        outputBytes = cap
        if let kept = String(prefix), !kept.isEmpty { events.append(record(.output(stream: stream, text: kept, truncated: false))) }
        events.append(record(.output(stream: stream, text: "\n[output truncated: this run's output passed its cap of \(cap) bytes]\n",
                                     truncated: true)))
        return events
    }

    /// Marks the values as lost after the run ended (the worker is gone).
    mutating func lost(_ reason: String) {
        if valuesLost == nil { valuesLost = reason }
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

    /// The node a remote worker runs on.
    var node: String?

    func snapshot(now: Date = Date()) -> SessionSnapshot {
        SessionSnapshot(sessionId: sessionId, status: status, placeholders: placeholders.map(\.name),
                        startedAt: startedAt, finishedAt: finishedAt, durationMs: durationMs(now: now),
                        error: error, killed: killed, lastSequence: events.count, valuesLost: valuesLost, node: node)
    }
}
