import RuntimeCore

/// The replies the server sends, built in one place. Each is a list of
/// members; the server adds the request's `id` and writes it once.
package enum WireReplies {
    package typealias Members = [(String, JSONMember)]

    /// The bytes of the encoded fragments a reply splices in.
    package static func splicedBytes(_ members: Members) -> Int {
        var total = 0
        for (_, member) in members {
            if case .fragment(let fragment) = member { total += fragment.bytes.count }
        }
        return total
    }

    package static func modelResult(sessionId: String, name: String, predictions: JSONFragment) -> Members {
        [("type", .value(.string(MessageType.modelResult.rawValue))), ("sessionId", .value(.string(sessionId))),
         ("name", .value(.string(name))), ("predictions", .fragment(predictions))]
    }

    package static func stats(sessionId: String, name: String, value: JSONFragment) -> Members {
        [("type", .value(.string(MessageType.stats.rawValue))), ("sessionId", .value(.string(sessionId))),
         ("name", .value(.string(name))), ("dataset_name", .value(.string(name))), ("value", .fragment(value))]
    }

    package static func stopped(sessionId: String, snapshot: SessionSnapshot) -> Members {
        members(["type": .string(MessageType.executionStopped.rawValue), "sessionId": .string(sessionId),
                 "status": .string(snapshot.status.rawValue), "killed": .bool(snapshot.killed)])
    }

    package static func sessionList(_ sessions: [JSONValue]) -> Members {
        members(["type": .string(MessageType.sessionList.rawValue), "sessions": .array(sessions)])
    }

    /// One entry of `[sessions]:LIST`.
    package static func sessionEntry(_ snapshot: SessionSnapshot) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("sessionId", .string(snapshot.sessionId)), ("status", .string(snapshot.status.rawValue)),
            ("startedAt", snapshot.startedAt.map { .string($0.iso8601) } ?? .null),
        ]
        if let node = snapshot.node { fields.append(("node", .string(node))) }
        return .object(fields)
    }

    package static func deleted(sessionId: String) -> Members {
        members(["type": .string(MessageType.deleted.rawValue), "sessionId": .string(sessionId)])
    }

    package static func subscribed(sessionId: String, status: SessionStatus) -> Members {
        members(["type": .string(MessageType.subscribed.rawValue), "sessionId": .string(sessionId), "status": .string(status.rawValue)])
    }

    /// The greeting: how many clients are connected, this one included.
    package static func greeting(count: Int) -> JSONValue {
        ["type": .string(MessageType.usersInfo.rawValue), "count": .int(Int64(count))]
    }

    /// A value's members.
    package static func members(_ value: JSONValue) -> Members {
        (value.objectValue ?? []).map { ($0.0, .value($0.1)) }
    }
}
