extension SessionEvent {
    /// The event as the wire contract sends it (`type`, `sessionId`, `seq`, ...).
    public var wireMessage: JSONValue {
        var fields: [(String, JSONValue)]
        switch kind {
        case .started:
            fields = [("type", "[status]:EXECUTION_STARTED"), ("message", "Execution started")]
        case .placeholderReady(let name, let valueType):
            fields = [("type", "[placeholder]:READY"), ("name", .string(name)), ("valueType", .string(valueType))]
        case .output(let stream, let text, let truncated):
            fields = [("type", "[run]:OUTPUT"), ("stream", .string(stream.rawValue)), ("text", .string(text))]
            if truncated { fields.append(("truncated", true)) }
        case .finished(let durationMs):
            fields = [("type", "[state]:EXECUTION_FINISHED"), ("status", "finished"), ("durationMs", .int(Int64(durationMs)))]
        case .failed(let error):
            fields = [("type", "[state]:EXECUTION_FAILED"), ("status", "failed"), ("error", error.json)]
        case .stopped(let killed):
            fields = [("type", "[state]:EXECUTION_STOPPED"), ("status", "stopped"), ("killed", .bool(killed))]
        }
        fields.insert(("sessionId", .string(sessionId)), at: 1)
        fields.append(("seq", .int(Int64(sequence))))
        return .object(fields)
    }
}

extension SessionSnapshot {
    /// The `[status]:STATUS` reply's fields (without `id`).
    public var wireMessage: JSONValue {
        var fields: [(String, JSONValue)] = [
            ("type", "[status]:STATUS"),
            ("sessionId", .string(sessionId)),
            ("status", .string(status.rawValue)),
            ("legacyStatus", .string(status.legacyStatus)),
            ("placeholders", .array(placeholders.map { .string($0) })),
            ("startedAt", startedAt.map { .string($0.iso8601) } ?? .null),
            ("finishedAt", finishedAt.map { .string($0.iso8601) } ?? .null),
            ("durationMs", durationMs.map { .int(Int64($0)) } ?? .null),
        ]
        if status == .stopped { fields.append(("killed", .bool(killed))) }
        if let error { fields.append(("error", error.json)) }
        if let valuesLost { fields.append(("valuesLost", .string(valuesLost))) }
        return .object(fields)
    }
}

extension PlaceholderValue {
    /// The `[placeholder]:VALUE` reply's fields (without `id`).
    public func wireMessage(sessionId: String) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("type", "[placeholder]:VALUE"),
            ("sessionId", .string(sessionId)),
            ("name", .string(name)),
            ("valueType", .string(valueType)),
            ("value", value),
        ]
        if let window {
            fields.append(("window", ["begin": .int(Int64(window.begin)), "size": .int(Int64(window.size)),
                                      "max": .int(Int64(window.max))]))
        }
        if truncated { fields.append(("truncated", true)) }
        if let rowCount { fields.append(("rowCount", .int(Int64(rowCount)))) }
        if let dtypes { fields.append(("dtypes", dtypes)) }
        if let categories { fields.append(("categories", categories)) }
        if let display { fields.append(("display", display)) }
        if let format { fields.append(("format", .string(format))) }
        return .object(fields)
    }
}
