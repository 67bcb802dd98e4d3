/// The frames the runtime sends a worker to read a value and to stop a read,
/// built in one place so that both sides agree on their shape.
///
/// `WorkerProcess.request(_:)` adds the `rid`; a `cancel` names that `rid`.
enum WorkerRequestFrames {
    /// `{"op": "get", "name": S, "maxRows": M, "window"?: {"begin": B, "size": Z}, "deadlineMs"?: D,
    /// "exact"?: true, "format"?: "jsonpickle", "displayBytes"?: N}`.
    ///
    /// - Parameters:
    ///   - maxRows: rows sent when no window is given (the reply then says `truncated`).
    ///   - deadline: the read's time cap, counted from when the worker reads the
    ///     frame; nil for none. Sent as whole milliseconds, rounded up, at least 1.
    ///   - options: `exact` and `format`, sent only when not the default.
    ///   - displayBytes: the cap of the `display` bundle; 0 asks for none.
    static func get(name: String, window: RowWindow?, maxRows: Int, deadline: Duration? = nil,
                    options: ValueReadOptions = ValueReadOptions(), displayBytes: Int = 0) -> JSONValue {
        var fields: [(String, JSONValue)] = [("op", "get"), ("name", .string(name)), ("maxRows", .int(Int64(clamping: maxRows)))]
        if let window {
            fields.append(("window", ["begin": .int(Int64(clamping: window.begin)), "size": .int(Int64(clamping: window.size))]))
        }
        if let deadline {
            fields.append(("deadlineMs", .int(milliseconds(deadline))))
        }
        if options.exact { fields.append(("exact", true)) }
        if options.format != .json { fields.append(("format", .string(options.format.rawValue))) }
        if displayBytes > 0 { fields.append(("displayBytes", .int(Int64(clamping: displayBytes)))) }
        return .object(fields)
    }

    /// `{"op": "cancel", "rid": N}`: stops request N if it is queued or being
    /// served (a read at its next check, a statistics or model request only
    /// before it starts); it then answers `LIMIT_EXCEEDED`. The cancel frame
    /// itself has no reply, and one naming a request already answered is ignored.
    static func cancel(rid: Int64) -> JSONValue {
        ["op": "cancel", "rid": .int(rid)]
    }

    /// Whole milliseconds, rounded up, between 1 and Int64.max.
    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 || seconds > 0 else { return 1 }
        let perMillisecond: Int64 = 1_000_000_000_000_000
        let fraction = attoseconds / perMillisecond + (attoseconds % perMillisecond > 0 ? 1 : 0)
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        let (total, late) = whole.addingReportingOverflow(fraction)
        return overflow || late ? Int64.max : max(1, total)
    }
}
