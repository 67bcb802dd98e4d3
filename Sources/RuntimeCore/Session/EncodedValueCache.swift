import Synchronization
import WorkerFrames

/// Placeholder values as their worker encoded them, kept in the runtime for
/// reads of sessions whose run has ended, so that reading the same value
/// again is answered without a round trip to the worker and without encoding
/// it again.
///
/// A value is kept only when nothing can change it any more:
/// - the session's run had ended before the read was sent (the program's
///   main thread is done);
/// - the worker found no other Python thread running when it encoded the
///   value (``EncodedValue/stable``): a thread the program started could
///   still change it;
/// - no user code (a model call, a function applied) ran in the session
///   between the read's sending and its reply: ``userCodeStarts(in:)`` drops
///   the session's values and bumps its generation, and a reply that comes
///   back under another generation is not kept.
///
/// The bytes kept are bounded (least recently read go first), and one value
/// larger than a quarter of the bound is never kept.
final class EncodedValueCache: Sendable {
    /// A read's identity: the session and every field of the read that shapes its reply.
    struct Key: Hashable, Sendable {
        var session: String
        var read: WorkerReadRequest

        init(session: String, read: WorkerReadRequest) {
            self.session = session
            var read = read
            read.deadlineMilliseconds = nil  // how long it may take does not change what it is
            self.read = read
        }
    }

    /// Where a read stood when it was sent: its session's generation.
    struct Ticket: Sendable {
        fileprivate var generation: UInt64
    }

    private struct Entry {
        var value: EncodedValue
        var bytes: Int
        var lastUse: UInt64
    }

    private struct SessionValues {
        var entries: [WorkerReadRequest: Entry] = [:]
        var generation: UInt64 = 0
        var userCalls = 0
    }

    private struct State {
        var sessions: [String: SessionValues] = [:]
        var bytes = 0
        var count = 0
        var clock: UInt64 = 0
        var hits = 0
        var misses = 0
    }

    /// Bytes of encoded values kept at most, over all sessions.
    let capacity: Int
    /// Values kept at most, over all sessions.
    let maximumEntries: Int
    private let state = Mutex(State())

    init(capacity: Int, maximumEntries: Int = 4096) {
        self.capacity = max(0, capacity)
        self.maximumEntries = maximumEntries
    }

    /// The value kept for this read, if any.
    func value(for key: Key) -> EncodedValue? {
        guard capacity > 0 else { return nil }
        return state.withLock { state in
            state.clock += 1
            guard let entry = state.sessions[key.session]?.entries[key.read] else {
                state.misses += 1
                return nil
            }
            state.hits += 1
            state.sessions[key.session]?.entries[key.read]?.lastUse = state.clock
            return entry.value
        }
    }

    /// A ticket for a read about to be sent, or nil when its reply may not be
    /// kept (user code is running in the session).
    func ticket(for session: String) -> Ticket? {
        guard capacity > 0 else { return nil }
        return state.withLock { state in
            let values = state.sessions[session] ?? SessionValues()
            guard values.userCalls == 0 else { return nil }
            return Ticket(generation: values.generation)
        }
    }

    /// Keeps a read's reply if its session is where the ticket left it.
    func store(_ value: EncodedValue, for key: Key, ticket: Ticket) {
        let bytes = Self.size(of: value)
        guard value.stable, bytes <= capacity / 4 else { return }
        state.withLock { state in
            let current = state.sessions[key.session]
            guard current?.userCalls ?? 0 == 0, current?.generation ?? 0 == ticket.generation else { return }
            state.clock += 1
            let entry = Entry(value: value, bytes: bytes, lastUse: state.clock)
            if let old = state.sessions[key.session, default: SessionValues()].entries.updateValue(entry, forKey: key.read) {
                state.bytes -= old.bytes
                state.count -= 1
            }
            state.bytes += bytes
            state.count += 1
            while state.bytes > capacity || state.count > maximumEntries { Self.evictOldest(&state) }
        }
    }

    /// User code is about to run in the session: what it keeps may change.
    func userCodeStarts(in session: String) {
        state.withLock { state in
            Self.drop(session, from: &state)
            state.sessions[session, default: SessionValues()].generation &+= 1
            state.sessions[session, default: SessionValues()].userCalls += 1
        }
    }

    /// User code the session ran has returned.
    func userCodeEnded(in session: String) {
        state.withLock { state in
            guard state.sessions[session] != nil else { return }
            Self.drop(session, from: &state)
            state.sessions[session]?.generation &+= 1
            state.sessions[session]?.userCalls -= 1
        }
    }

    /// Drops everything kept for a session that is gone.
    func forget(_ session: String) {
        state.withLock { state in
            Self.drop(session, from: &state)
            state.sessions[session] = nil
        }
    }

    /// Bytes and values kept now, and the reads answered from here and not.
    var usage: (bytes: Int, values: Int, hits: Int, misses: Int) {
        state.withLock { ($0.bytes, $0.count, $0.hits, $0.misses) }
    }

    /// Drops a session's values (its generation and user calls stay).
    private static func drop(_ session: String, from state: inout State) {
        guard let entries = state.sessions[session]?.entries, !entries.isEmpty else { return }
        for entry in entries.values {
            state.bytes -= entry.bytes
            state.count -= 1
        }
        state.sessions[session]?.entries = [:]
    }

    private static func evictOldest(_ state: inout State) {
        var oldest: (session: String, read: WorkerReadRequest, use: UInt64)?
        for (session, values) in state.sessions {
            for (read, entry) in values.entries where entry.lastUse < oldest?.use ?? .max {
                oldest = (session, read, entry.lastUse)
            }
        }
        guard let oldest, let entry = state.sessions[oldest.session]?.entries.removeValue(forKey: oldest.read) else {
            state.bytes = 0
            state.count = 0
            return
        }
        state.bytes -= entry.bytes
        state.count -= 1
    }

    private static func size(of value: EncodedValue) -> Int {
        256 + value.valueType.utf8.count + value.value.bytes.count + (value.dtypes?.bytes.count ?? 0)
            + (value.categories?.bytes.count ?? 0) + (value.display?.bytes.count ?? 0)
    }
}
