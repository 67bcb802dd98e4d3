import RuntimeCore

/// Turns a frame's text into an ``Envelope``, checking the request's shape
/// before anything is looked up: a mistyped field is `INVALID_REQUEST` even
/// for a session that does not exist. Pure; no I/O.
public enum RequestParser {
    /// Parses a message's text.
    public static func parse(_ text: String) -> Result<Envelope, ProtocolError> {
        parse(bytes: Array(text.utf8))
    }

    /// Parses a message straight from the bytes the WebSocket delivered:
    /// once into a ``/RuntimeJSON/JSONValue`` for the checks, and inline model data is
    /// cut from the same bytes, so it reaches the worker as the client sent it.
    public static func parse(bytes: [UInt8]) -> Result<Envelope, ProtocolError> {
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            return .failure(ProtocolError(.invalidJSON, "the message is not JSON: \(error)"))
        }
        return parse(json, bytes: bytes)
    }

    /// Checks a parsed message; `bytes`, when given, are its text (for inline model data).
    public static func parse(_ json: JSONValue, bytes: [UInt8]? = nil) -> Result<Envelope, ProtocolError> {
        guard case .object = json else {
            return .failure(ProtocolError(.invalidJSON, "the message must be a JSON object, not \(json.kindName)"))
        }
        let actionValue = json["action"]
        let action = actionValue?.stringValue
        if let id = json["id"], !id.isScalar {
            // Not echoed: a reply's id is always a scalar (the schemas say so).
            return .failure(ProtocolError(.invalidRequest, "id must be a string, number, boolean or null, not \(id.kindName)",
                                          action: action, id: nil))
        }
        let id = json["id"]
        let fields = Fields(json: json, bytes: bytes, action: action, id: id)
        do {
            guard let actionValue else {
                throw ProtocolError(.unknownAction, "action is missing", action: nil, id: id)
            }
            guard let action else {
                throw ProtocolError(.unknownAction, "action must be a string, not \(actionValue.kindName)", action: nil, id: id)
            }
            let request = try fields.request(for: action)
            return .success(Envelope(action: action, id: id, request: request))
        } catch let error as ProtocolError {
            return .failure(error)
        } catch {
            return .failure(fields.invalid("\(error)"))
        }
    }
}

/// Reads typed fields from a request, naming the field in every complaint.
private struct Fields {
    let json: JSONValue
    let bytes: [UInt8]?
    let action: String?
    let id: JSONValue?

    init(json: JSONValue, bytes: [UInt8]?, action: String?, id: JSONValue?) {
        self.json = json
        self.bytes = bytes
        self.action = action
        self.id = id
    }

    func invalid(_ message: String, code: RuntimeError.Code = .invalidRequest) -> ProtocolError {
        ProtocolError(code, message, action: action, id: id)
    }

    /// `model.data` as the client wrote it, else encoded from the parsed value.
    func inlineData(_ parsed: JSONValue) -> JSONFragment {
        if let bytes, let range = JSONValidator.range(ofMemberAt: ["model", "data"], in: bytes) {
            return JSONFragment(trusted: Array(bytes[range]))
        }
        return JSONFragment(parsed)
    }

    func request(for action: String) throws -> WireRequest {
        guard let known = WireAction(rawValue: action) else {
            throw ProtocolError(.unknownAction, "unknown action '\(action)'; known: \(WireRequest.actions.joined(separator: ", "))",
                                action: action, id: id)
        }
        switch known {
        case .run: return try run()
        case .getPlaceholder:
            let placeholder = try object(json["placeholder"], "placeholder")
            var window: RowWindow?
            if let value = json["window"] ?? placeholder["window"], !value.isNull {
                window = try rowWindow(value)
            }
            return .getPlaceholder(sessionId: try sessionId(placeholder["sessionId"], "placeholder.sessionId"),
                                   name: try string(placeholder["name"], "placeholder.name"), window: window,
                                   options: try readOptions(placeholder))
        case .runModel:
            let model = try object(json["model"], "model")
            let sessionId = try sessionId(model["sessionId"], "model.sessionId")
            let name = try string(model["name"], "model.name")
            var isData = true
            if let flag = model["is_data"], !flag.isNull {
                guard let bool = flag.boolValue else { throw invalid("model.is_data must be a boolean, not \(flag.kindName)") }
                isData = bool
            }
            guard let data = model["data"] else { throw invalid("model.data is required") }
            if !isData, data.stringValue == nil {
                throw invalid("model.data must be a file path (a string) when model.is_data is false, not \(data.kindName)")
            }
            var method: String?
            if let value = model["method"], !value.isNull { method = try string(value, "model.method") }
            let input: ModelInput = isData ? .inline(inlineData(data)) : .file(data.stringValue ?? "")
            return .runModel(sessionId: sessionId, name: name, input: input, method: method)
        case .getStats:
            let placeholder = try object(json["placeholder"], "placeholder")
            return .getStats(sessionId: try sessionId(placeholder["sessionId"], "placeholder.sessionId"),
                             name: try string(placeholder["name"], "placeholder.name"))
        case .status: return .status(sessionId: try sessionId(json["sessionId"], "sessionId"))
        case .stop: return .stop(sessionId: try sessionId(json["sessionId"], "sessionId"))
        case .deleteSession: return .deleteSession(sessionId: try sessionId(json["sessionId"], "sessionId"))
        case .listSessions: return .listSessions
        case .subscribe:
            var since: Int?
            if let value = json["since"], !value.isNull { since = try count(value, "since") }
            return .subscribe(sessionId: try sessionId(json["sessionId"], "sessionId"), since: since)
        }
    }

    private func run() throws -> WireRequest {
        let python = try object(json["python"], "python")
        guard let filesValue = python["files"] else { throw invalid("python.files is required") }
        guard case .array(let items) = filesValue else { throw invalid("python.files must be an array, not \(filesValue.kindName)") }
        var files: [SourceFile] = []
        for (index, item) in items.enumerated() {
            let file = try object(item, "python.files[\(index)]")
            let filename = try string(file["filename"], "python.files[\(index)].filename")
            if filename.isEmpty { throw invalid("python.files[\(index)].filename is empty", code: .invalidFilename) }
            files.append(SourceFile(filename: filename, content: try string(file["content"], "python.files[\(index)].content")))
        }
        let mainFile = try string(python["mainfile"], "python.mainfile")
        if mainFile.isEmpty { throw invalid("python.mainfile is empty", code: .invalidFilename) }
        var number: Int?
        if let value = python["number"], !value.isNull { number = try count(value, "python.number") }
        var resources: WorkerResources?
        if let value = json["resources"], !value.isNull { resources = try self.resources(value) }
        return .run(files: files, mainFile: mainFile, number: number, resources: resources)
    }

    /// `resources`: `{"cpus": C, "memory_mb": M, "custom": {"name": amount}}`,
    /// every member optional, every amount a finite number above zero.
    private func resources(_ value: JSONValue) throws -> WorkerResources {
        let members = try object(value, "resources")
        guard case .object(let pairs) = members else { return WorkerResources() }
        var resources = WorkerResources()
        func amount(_ value: JSONValue, _ name: String) throws -> Double {
            guard let number = value.doubleValue, number.isFinite, number > 0, number <= 1e12 else {
                throw invalid("\(name) must be a number above 0, not \(value.kindName == "number" ? "\(value)" : value.kindName)")
            }
            return number
        }
        for (key, member) in pairs {
            switch key {
            case "cpus": resources.cpus = try amount(member, "resources.cpus")
            case "memory_mb":
                let megabytes = try amount(member, "resources.memory_mb")
                guard megabytes == megabytes.rounded() else { throw invalid("resources.memory_mb must be a whole number of MiB") }
                resources.memoryMB = Int(megabytes)
            case "custom":
                guard case .object(let custom) = try object(member, "resources.custom") else { break }
                guard custom.count <= 64 else { throw invalid("resources.custom names more than 64 resources") }
                for (name, amountValue) in custom {
                    guard !name.isEmpty, name.utf8.count <= 128 else {
                        throw invalid("resources.custom: a resource name must have 1 to 128 bytes")
                    }
                    resources.custom[name] = try amount(amountValue, "resources.custom.\(name)")
                }
            default:
                throw invalid("resources.\(key) is not a resource: use cpus, memory_mb or custom")
            }
        }
        return resources
    }

    private func object(_ value: JSONValue?, _ name: String) throws -> JSONValue {
        guard let value else { throw invalid("\(name) is required") }
        guard case .object = value else { throw invalid("\(name) must be an object, not \(value.kindName)") }
        return value
    }

    private func string(_ value: JSONValue?, _ name: String) throws -> String {
        guard let value else { throw invalid("\(name) is required") }
        guard let string = value.stringValue else { throw invalid("\(name) must be a string, not \(value.kindName)") }
        return string
    }

    /// A session id: a string, or a number (read as its text).
    private func sessionId(_ value: JSONValue?, _ name: String) throws -> String {
        switch value {
        case nil: throw invalid("\(name) is required")
        case .string(let s)?: return s
        case .int(let i)?: return String(i)
        case .bigInt(let s)?: return s
        case .double(let d)? where d.rounded() == d && abs(d) < 1e15: return String(Int64(d))
        case .double(let d)?: return "\(d)"
        case let other?: throw invalid("\(name) must be a string or a number, not \(other.kindName)")
        }
    }

    /// A whole number ≥ 0.
    private func count(_ value: JSONValue, _ name: String) throws -> Int {
        guard let number = value.intValue else { throw invalid("\(name) must be a whole number, not \(value.kindName == "number" ? "a fraction or too large" : value.kindName)") }
        guard number >= 0 else { throw invalid("\(name) must not be negative") }
        return number
    }

    /// `exact` (a boolean) and `format` (`"json"` or `"jsonpickle"`), at the
    /// top level or inside `placeholder`; null is the same as absent.
    private func readOptions(_ placeholder: JSONValue) throws -> ValueReadOptions {
        var options = ValueReadOptions()
        if let value = json["exact"] ?? placeholder["exact"], !value.isNull {
            guard let flag = value.boolValue else { throw invalid("exact must be a boolean, not \(value.kindName)") }
            options.exact = flag
        }
        if let value = json["format"] ?? placeholder["format"], !value.isNull {
            guard let name = value.stringValue, let format = ValueReadOptions.Format(rawValue: name) else {
                let known = ValueReadOptions.Format.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
                throw invalid("format must be \(known), not \(value.stringValue.map { "\"\($0)\"" } ?? value.kindName)")
            }
            options.format = format
        }
        return options
    }

    /// Rows `begin ..< begin + size`: both whole numbers ≥ 0 whose sum fits
    /// in an `Int`. A size past the end is fine (the worker clamps it).
    private func rowWindow(_ value: JSONValue) throws -> RowWindow {
        let window = try object(value, "window")
        let begin = try window["begin"].map { try count($0, "window.begin") } ?? 0
        guard let sizeValue = window["size"] else { throw invalid("window.size is required") }
        let size = try count(sizeValue, "window.size")
        guard !begin.addingReportingOverflow(size).overflow else {
            throw invalid("window.size is too large: window.begin + window.size must be at most \(Int.max)")
        }
        return RowWindow(begin: begin, size: size)
    }
}

extension JSONValue {
    fileprivate var isScalar: Bool {
        switch self {
        case .array, .object: return false
        default: return true
        }
    }
}
