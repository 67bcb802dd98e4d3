import RuntimeCore

extension WireRequest {
    /// The request as a client sends it: the inverse of ``RequestParser``,
    /// for the Swift client and `runtimectl` (so field names and actions are
    /// spelt in this module only). `id` is added when given.
    public func message(id: JSONValue? = nil) -> JSONValue {
        var fields: [(String, JSONValue)] = [("action", .string(action.rawValue))]
        switch self {
        case .run(let files, let mainFile, let number, let resources):
            var python: [(String, JSONValue)] = []
            if let number { python.append(("number", .int(Int64(number)))) }
            python.append(("files", .array(files.map { ["filename": .string($0.filename), "content": .string($0.content)] })))
            python.append(("mainfile", .string(mainFile)))
            fields.append(("python", .object(python)))
            if let resources {
                var members: [(String, JSONValue)] = []
                if let cpus = resources.cpus { members.append(("cpus", .double(cpus))) }
                if let memory = resources.memoryMB { members.append(("memory_mb", .int(Int64(memory)))) }
                if !resources.custom.isEmpty {
                    members.append(("custom", .object(resources.custom.sorted { $0.key < $1.key }.map { ($0.key, .double($0.value)) })))
                }
                fields.append(("resources", .object(members)))
            }
        case .getPlaceholder(let sessionId, let name, let window, let options):
            var placeholder: [(String, JSONValue)] = [("sessionId", .string(sessionId)), ("name", .string(name))]
            if options.exact { placeholder.append(("exact", true)) }
            if options.format != .json { placeholder.append(("format", .string(options.format.rawValue))) }
            fields.append(("placeholder", .object(placeholder)))
            if let window {
                fields.append(("window", ["begin": .int(Int64(window.begin)), "size": .int(Int64(window.size))]))
            }
        case .runModel(let sessionId, let name, let input, let method):
            var model: [(String, JSONValue)] = [("sessionId", .string(sessionId)), ("name", .string(name))]
            switch input {
            case .inline(let data): model += [("is_data", true), ("data", (try? data.decoded()) ?? .null)]
            case .file(let path): model += [("is_data", false), ("data", .string(path))]
            }
            if let method { model.append(("method", .string(method))) }
            fields.append(("model", .object(model)))
        case .getStats(let sessionId, let name):
            fields.append(("placeholder", ["sessionId": .string(sessionId), "name": .string(name)]))
        case .status(let sessionId), .stop(let sessionId), .deleteSession(let sessionId):
            fields.append(("sessionId", .string(sessionId)))
        case .listSessions:
            break
        case .subscribe(let sessionId, let since):
            fields.append(("sessionId", .string(sessionId)))
            if let since { fields.append(("since", .int(Int64(since)))) }
        }
        if let id { fields.append(("id", id)) }
        return .object(fields)
    }

    /// The request's action.
    public var action: WireAction {
        switch self {
        case .run: return .run
        case .getPlaceholder: return .getPlaceholder
        case .runModel: return .runModel
        case .getStats: return .getStats
        case .status: return .status
        case .stop: return .stop
        case .listSessions: return .listSessions
        case .deleteSession: return .deleteSession
        case .subscribe: return .subscribe
        }
    }
}

extension JSONValue {
    /// The `type` of a server message, when it is one the protocol knows.
    public var messageType: MessageType? { self["type"]?.stringValue.flatMap(MessageType.init(rawValue:)) }

    /// The error code of an `[error]:CODE` message.
    public var errorCode: RuntimeError.Code? { self["type"]?.stringValue.flatMap(MessageType.errorCode(ofType:)) }
}
