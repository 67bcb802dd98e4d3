import Synchronization
import WorkerFrames

/// Placeholder values as their worker encoded them, kept in the runtime for
/// reads of sessions whose run has ended, so that reading the same value
/// again is answered without a round trip to the worker and without encoding
/// it again.
///
/// A value is kept only when nothing could change it, and served only while
/// nothing that could is under way:
/// - the session's run had ended before the read left (the program's main
///   thread is done);
/// - the worker found the value ``EncodedValue/stable``: no other thread or
///   process of the program running before or after it was encoded, and no
///   code of the program run by the read itself (a display form, a
///   `__repr__`, a finalizer the collector ran);
/// - every request to the worker counts as under way from its start to its
///   reply (``begin(in:)``, ``end(_:ranProgramCode:)``): while one is, no
///   kept value of the session is served; one that may have run code of the
///   program (a model, statistics, an applied function, a read that says so)
///   drops the session's values when it ends and moves its generation on, so
///   a reply to a read sent before is not kept.
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
            read.keep = false
            self.read = read
        }
    }

    /// Where a request stood when it was sent: its session's generation.
    struct Ticket: Sendable {
        fileprivate var session: String
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
        /// Requests sent to the worker and not answered yet.
        var inFlight = 0
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

    /// The value kept for this read, if any, and if nothing is under way in its session.
    func value(for key: Key) -> EncodedValue? {
        guard capacity > 0 else { return nil }
        return state.withLock { state in
            state.clock += 1
            guard let values = state.sessions[key.session], values.inFlight == 0, let entry = values.entries[key.read] else {
                state.misses += 1
                return nil
            }
            state.hits += 1
            state.sessions[key.session]?.entries[key.read]?.lastUse = state.clock
            return entry.value
        }
    }

    /// A request to the session's worker is about to leave.
    func begin(in session: String) -> Ticket {
        state.withLock { state in
            state.sessions[session, default: SessionValues()].inFlight += 1
            return Ticket(session: session, generation: state.sessions[session]?.generation ?? 0)
        }
    }

    /// The request of `ticket` was answered (or failed). One that may have run
    /// code of the program drops the session's values.
    func end(_ ticket: Ticket, ranProgramCode: Bool) {
        state.withLock { state in
            guard state.sessions[ticket.session] != nil else { return }  // forgotten meanwhile
            state.sessions[ticket.session]?.inFlight -= 1
            if ranProgramCode {
                Self.drop(ticket.session, from: &state)
                state.sessions[ticket.session]?.generation &+= 1
            }
        }
    }

    /// Keeps a read's reply if the worker found it stable and nothing that
    /// may have changed it ended since the read left.
    func store(_ value: EncodedValue, for key: Key, ticket: Ticket) {
        guard capacity > 0, value.stable, !value.ranProgramCode else { return }
        let bytes = Self.size(of: value) + key.read.name.utf8.count
        guard bytes <= capacity / 4 else { return }
        state.withLock { state in
            guard let current = state.sessions[key.session], current.generation == ticket.generation else { return }
            state.clock += 1
            let entry = Entry(value: value, bytes: bytes, lastUse: state.clock)
            if let old = state.sessions[key.session]?.entries.updateValue(entry, forKey: key.read) {
                state.bytes -= old.bytes
                state.count -= 1
            }
            state.bytes += bytes
            state.count += 1
            while state.bytes > capacity || state.count > maximumEntries { Self.evictOldest(&state) }
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
    var usage: ValueCacheUsage {
        state.withLock { ValueCacheUsage(bytes: $0.bytes, values: $0.count, hits: $0.hits, misses: $0.misses) }
    }

    /// Drops a session's values (its generation and requests under way stay).
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
        256 + value.valueType.utf8.count + value.value.bytes.count + (value.format?.utf8.count ?? 0) + (value.dtypes?.bytes.count ?? 0)
            + (value.categories?.bytes.count ?? 0) + (value.display?.bytes.count ?? 0)
    }
}
