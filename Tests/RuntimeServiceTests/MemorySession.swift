import Foundation
import RuntimeCore
import Synchronization

/// A ``Session`` of the tests' own, kept in memory: a run that has ended, its
/// recorded events and its values, with no worker and no Python behind it.
/// What a session served by another engine would look like to the server.
final class MemorySession: Session {
    struct Value: Sendable {
        var name: String
        var valueType: String
        var value: JSONValue
    }

    let id: String
    let values: [Value]
    let recordedEvents: [SessionEvent]
    private let fixedSnapshot: SessionSnapshot
    private let closes = Mutex(0)

    /// A finished run that saved `values`, in order: event 1 started, one
    /// `placeholderReady` per value, then `finished`.
    init(id: String = "memory-" + UUID().uuidString.lowercased(), values: [Value], startedAt: Date, finishedAt: Date) {
        self.id = id
        self.values = values
        let durationMs = Int((finishedAt.timeIntervalSince(startedAt) * 1000).rounded())
        var events = [SessionEvent(sessionId: id, sequence: 1, kind: .started)]
        for value in values {
            events.append(SessionEvent(sessionId: id, sequence: events.count + 1,
                                       kind: .placeholderReady(name: value.name, valueType: value.valueType)))
        }
        events.append(SessionEvent(sessionId: id, sequence: events.count + 1, kind: .finished(durationMs: durationMs)))
        recordedEvents = events
        fixedSnapshot = SessionSnapshot(sessionId: id, status: .finished, placeholders: values.map(\.name),
                                        startedAt: startedAt, finishedAt: finishedAt, durationMs: durationMs,
                                        lastSequence: events.count)
    }

    /// How many times ``close()`` was called.
    var closeCount: Int { closes.withLock { $0 } }

    func snapshot() async -> SessionSnapshot { fixedSnapshot }

    /// The recorded events after `after`, then the end: the run is over.
    func events(after: Int?) async -> AsyncStream<SessionEvent> {
        let replay = after.map { after in recordedEvents.filter { $0.sequence > after } } ?? []
        return AsyncStream { continuation in
            for event in replay { continuation.yield(event) }
            continuation.finish()
        }
    }

    func waitUntilEnded() async -> SessionSnapshot { fixedSnapshot }

    func stop() async -> SessionSnapshot { fixedSnapshot }

    func placeholders() async -> [any Placeholder] {
        values.map { SessionPlaceholder(session: self, name: $0.name, valueType: $0.valueType) }
    }

    /// A list is a table of rows: a window pages it, `rowCount` is its length.
    func readPlaceholder(named name: String, window: RowWindow?) async throws(RuntimeError) -> PlaceholderValue {
        guard let saved = values.first(where: { $0.name == name }) else {
            throw RuntimeError(.placeholderNotFound, "the memory session has no value named \(name)")
        }
        guard case .array(let rows) = saved.value else {
            return PlaceholderValue(name: name, valueType: saved.valueType, value: saved.value)
        }
        guard let window else {
            return PlaceholderValue(name: name, valueType: saved.valueType, value: saved.value, rowCount: rows.count)
        }
        let begin = min(window.begin, rows.count)
        let end = begin + min(window.size, rows.count - begin)
        return PlaceholderValue(name: name, valueType: saved.valueType, value: .array(Array(rows[begin..<end])),
                                window: .init(begin: begin, size: end - begin, max: rows.count), rowCount: rows.count)
    }

    func close() async {
        closes.withLock { $0 += 1 }
    }
}


/// A ``StatsEngine`` of the tests' own: the count and sum of a
/// ``MemorySession``'s list of numbers. Records every dataset it was asked about.
final class MemoryStatsEngine: StatsEngine {
    private let asked = Mutex<[String]>([])

    /// `sessionId/name` of every request, in order.
    var calls: [String] { asked.withLock { $0 } }

    func statistics(of name: String, in session: any Session) async throws(RuntimeError) -> JSONFragment {
        asked.withLock { $0.append(session.id + "/" + name) }
        guard let memory = session as? MemorySession else {
            throw RuntimeError(.notADataset, "the memory engine serves memory sessions only")
        }
        let value = try await memory.readPlaceholder(named: name, window: nil).value
        guard let items = value.arrayValue else { throw RuntimeError(.notADataset, "\(name) is not a list of numbers") }
        let numbers = items.compactMap(\.doubleValue)
        guard numbers.count == items.count else { throw RuntimeError(.notADataset, "\(name) is not a list of numbers") }
        let count = JSONValue.int(Int64(numbers.count))
        return JSONFragment(["rowCount": count, "columns": [
            ["name": .string(name), "kind": "numeric", "count": count, "sum": .double(numbers.reduce(0, +)), "engine": "memory"],
        ]])
    }
}

/// A ``ModelInvoker`` of the tests' own: records what it was given and
/// predicts its inline data back, as a one-element list (a file: its path).
final class RecordingModelInvoker: ModelInvoker {
    struct Call: Sendable, Equatable {
        var sessionId: String
        var name: String
        var input: ModelInput
        var method: String?
    }

    private let received = Mutex<[Call]>([])

    /// Every call, in order.
    var calls: [Call] { received.withLock { $0 } }

    func predict(model name: String, input: ModelInput, method: String?,
                 in session: any Session) async throws(RuntimeError) -> JSONFragment {
        received.withLock { $0.append(Call(sessionId: session.id, name: name, input: input, method: method)) }
        switch input {
        case .inline(let data):
            // The client's bytes, spliced into the reply as they came.
            guard let echoed = JSONFragment(validating: Array("[".utf8) + data.bytes + Array("]".utf8)) else {
                throw RuntimeError(.internalError, "the inline data was not one JSON value")
            }
            return echoed
        case .file(let path):
            return JSONFragment(.array([.string("file:" + path)]))
        }
    }
}
