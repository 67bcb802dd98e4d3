import RuntimeCore

extension SessionEvent {
    /// The event as the wire contract sends it (`type`, `sessionId`, `seq`, ...).
    public var wireMessage: JSONValue {
        var fields: [(String, JSONValue)]
        switch kind {
        case .started:
            fields = [("type", .string(MessageType.executionStarted.rawValue)), ("message", "Execution started")]
        case .placeholderReady(let name, let valueType):
            fields = [("type", .string(MessageType.placeholderReady.rawValue)), ("name", .string(name)), ("valueType", .string(valueType))]
        case .output(let stream, let text, let truncated):
            fields = [("type", .string(MessageType.output.rawValue)), ("stream", .string(stream.rawValue)), ("text", .string(text))]
            if truncated { fields.append(("truncated", true)) }
        case .finished(let durationMs):
            fields = [("type", .string(MessageType.executionFinished.rawValue)), ("status", .string(SessionStatus.finished.rawValue)),
                      ("durationMs", .int(Int64(durationMs)))]
        case .failed(let error):
            fields = [("type", .string(MessageType.executionFailed.rawValue)), ("status", .string(SessionStatus.failed.rawValue)),
                      ("error", error.json)]
        case .stopped(let killed):
            fields = [("type", .string(MessageType.executionStoppedEvent.rawValue)), ("status", .string(SessionStatus.stopped.rawValue)),
                      ("killed", .bool(killed))]
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
            ("type", .string(MessageType.status.rawValue)),
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
        if let node { fields.append(("node", .string(node))) }
        return .object(fields)
    }
}

extension PlaceholderValue {
    /// The `[placeholder]:VALUE` reply's members (without `id`): the encoded
    /// parts are spliced in as the worker wrote them.
    package func wireMembers(sessionId: String) -> [(String, JSONMember)] {
        var fields: [(String, JSONMember)] = [
            ("type", .value(.string(MessageType.placeholderValue.rawValue))),
            ("sessionId", .value(.string(sessionId))),
            ("name", .value(.string(name))),
            ("valueType", .value(.string(valueType))),
            ("value", .fragment(encodedValue)),
        ]
        if let window {
            fields.append(("window", .value(["begin": .int(Int64(window.begin)), "size": .int(Int64(window.size)),
                                              "max": .int(Int64(window.max))])))
        }
        if truncated { fields.append(("truncated", .value(true))) }
        if let rowCount { fields.append(("rowCount", .value(.int(Int64(rowCount))))) }
        if let encodedDtypes { fields.append(("dtypes", .fragment(encodedDtypes))) }
        if let encodedCategories { fields.append(("categories", .fragment(encodedCategories))) }
        if let encodedDisplay { fields.append(("display", .fragment(encodedDisplay))) }
        if let format { fields.append(("format", .value(.string(format)))) }
        return fields
    }

    /// The `[placeholder]:VALUE` reply (without `id`), parsed: for callers
    /// that print or inspect it. The server sends `wireMembers(sessionId:)`.
    public func wireMessage(sessionId: String) -> JSONValue {
        (try? WireMessage(wireMembers(sessionId: sessionId)).fragment.decoded()) ?? .null
    }
}
