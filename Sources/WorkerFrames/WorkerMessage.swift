import RuntimeJSON

/// What a worker tells the server: the frames it writes to its frame
/// channel. Each is a JSON header (`ev`) and, for encoded values, raw parts
/// (one frame each) that the server splices into its replies unparsed.
///
/// A program runs inside the worker and can write to this channel, so
/// ``decode(_:parts:)`` believes nothing: every field is checked and sized.
package enum WorkerMessage: Sendable {
    /// The worker is ready: its interpreter, what it preloaded, what the kernel refused.
    case hello(WorkerHello)
    /// The worker cannot serve at all (no interpreter, no containment).
    case fatal(String)
    /// The program saved a placeholder.
    case ready(name: String, valueType: String)
    /// Program output, cut at the run's cap (`truncated` marks the cut).
    case output(stream: OutputStream, text: String, truncated: Bool)
    /// A containment measure the kernel refused (at most one per worker).
    case warning(String)
    /// The run ended normally.
    case finished
    /// The run raised.
    case failed(ProgramError)
    /// The answer to request `rid`.
    case reply(rid: Int64, WorkerReply)
    /// A remote worker's session passed its memory limit (bytes, both): the
    /// worker kills its processes after sending it. Local workers' memory is
    /// watched by the runtime itself, so from them it is a violation.
    case memoryExceeded(limit: Int, resident: Int)

    /// The stream a program wrote to.
    package enum OutputStream: String, Sendable {
        case stdout, stderr
    }

    /// Longest placeholder name or type name accepted.
    package static let maximumNameBytes = 1024
    /// Longest warning accepted.
    package static let maximumWarningBytes = 4096

    /// The frames of this message: its header, then its raw parts.
    package var frames: [UInt8] {
        switch self {
        case .hello(let hello): return FrameIO.frames(header: hello.header)
        case .fatal(let message): return FrameIO.frames(header: ["ev": "fatal", "message": .string(message)])
        case .ready(let name, let type):
            return FrameIO.frames(header: ["ev": "ready", "name": .string(name), "type": .string(type)])
        case .output(let stream, let text, let truncated):
            var header: [(String, JSONValue)] = [("ev", "output"), ("stream", .string(stream.rawValue)), ("text", .string(text))]
            if truncated { header.append(("truncated", true)) }
            return FrameIO.frames(header: .object(header))
        case .warning(let message): return FrameIO.frames(header: ["ev": "warning", "message": .string(message)])
        case .finished: return FrameIO.frames(header: ["ev": "finished"])
        case .failed(let error):
            return FrameProtocol.fitting { FrameIO.frames(header: ["ev": "failed", "error": error.cutToLimits(dividedBy: $0).json]) }
        case .reply(let rid, let reply): return reply.frames(rid: .int(rid))
        case .memoryExceeded(let limit, let resident):
            return FrameIO.frames(header: ["ev": "memory", "limit": .int(Int64(limit)), "resident": .int(Int64(resident))])
        }
    }

    /// Reads a message from its header and parts; a string saying what is
    /// wrong when it breaks the protocol.
    package static func decode(_ header: JSONValue, parts: [[UInt8]]) -> Result<WorkerMessage, ProtocolViolation> {
        func violation(_ problem: String) -> Result<WorkerMessage, ProtocolViolation> { .failure(ProtocolViolation(problem)) }
        guard case .object = header else { return violation("a frame that is not a JSON object") }
        switch header["ev"]?.stringValue {
        case "reply":
            guard case .int(let rid)? = header["rid"] else { return violation("a reply without a request id") }
            switch WorkerReply.decode(header, parts: parts) {
            case .success(let reply): return .success(.reply(rid: rid, reply))
            case .failure(let problem): return .failure(problem)
            }
        case "hello":
            return WorkerHello.decode(header).map { .hello($0) }
        case "fatal":
            return .success(.fatal(header["message"]?.stringValue ?? "the worker could not start"))
        case "ready":
            guard let name = header["name"]?.stringValue, let type = header["type"]?.stringValue else {
                return violation("a placeholder frame without a name and type")
            }
            guard name.utf8.count <= maximumNameBytes, type.utf8.count <= maximumNameBytes else {
                return violation("a placeholder name or type over \(maximumNameBytes) bytes")
            }
            return .success(.ready(name: name, valueType: type))
        case "output":
            guard let text = header["text"]?.stringValue else { return violation("an output frame without text") }
            let stream: OutputStream = header["stream"]?.stringValue == "stderr" ? .stderr : .stdout
            return .success(.output(stream: stream, text: text, truncated: header["truncated"]?.boolValue ?? false))
        case "warning":
            let message = header["message"]?.stringValue ?? ""
            guard message.utf8.count <= maximumWarningBytes else { return violation("a warning over \(maximumWarningBytes) bytes") }
            return .success(.warning(message))
        case "finished":
            return .success(.finished)
        case "failed":
            guard let error = header["error"].flatMap(ProgramError.init(checkedJSON:)) else {
                return violation("a failed run's error that is not the contract's shape or passes its limits")
            }
            return .success(.failed(error))
        case "memory":
            guard let limit = header["limit"]?.intValue, let resident = header["resident"]?.intValue else {
                return violation("a memory frame without its limit and resident size")
            }
            return .success(.memoryExceeded(limit: limit, resident: resident))
        default:
            return violation("a frame of unknown kind")
        }
    }
}

/// Why a worker's frames were refused: the worker is cut off.
package struct ProtocolViolation: Error, Sendable, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}

/// The answer to one request.
package enum WorkerReply: Sendable {
    /// An encoded placeholder value (`get`).
    case value(EncodedValue)
    /// Statistics, predictions or a function's result, encoded.
    case result(JSONFragment)
    /// The request could not be served.
    case failure(RuntimeError)

    /// The frames of this reply to `rid` (null for a request that had none).
    package func frames(rid: JSONValue) -> [UInt8] {
        var header: [(String, JSONValue)] = [("ev", "reply"), ("rid", rid)]
        var parts: [(String, JSONFragment)] = []
        switch self {
        case .value(let value):
            header.append(("ok", true))
            header.append(("kind", "value"))
            header.append(("valueType", .string(value.valueType)))
            if let window = value.window {
                header.append(("window", ["begin": .int(Int64(window.begin)), "size": .int(Int64(window.size)),
                                          "max": .int(Int64(window.max))]))
            }
            if value.truncated { header.append(("truncated", true)) }
            if let rowCount = value.rowCount { header.append(("rowCount", .int(Int64(rowCount)))) }
            if let format = value.format { header.append(("format", .string(format))) }
            if value.stable { header.append(("stable", true)) }
            if value.ranProgramCode { header.append(("ranProgram", true)) }
            parts.append(("value", value.value))
            if let dtypes = value.dtypes { parts.append(("dtypes", dtypes)) }
            if let categories = value.categories { parts.append(("categories", categories)) }
            if let display = value.display { parts.append(("display", display)) }
        case .result(let result):
            header.append(("ok", true))
            header.append(("kind", "result"))
            parts.append(("result", result))
        case .failure(let error):
            header.append(("ok", false))
            return FrameProtocol.fitting { FrameIO.frames(header: .object(header + [("error", error.frameJSON(dividedBy: $0))])) }
        }
        if !parts.isEmpty { header.append(("parts", .array(parts.map { .string($0.0) }))) }
        return FrameIO.frames(header: .object(header), parts: parts.map(\.1.bytes))
    }

    static func decode(_ header: JSONValue, parts: [[UInt8]]) -> Result<WorkerReply, ProtocolViolation> {
        guard header["ok"]?.boolValue == true else {
            guard let error = RuntimeError(checkedFrameJSON: header["error"]) else {
                return .failure(ProtocolViolation("a reply's error that is not the contract's shape or passes its limits"))
            }
            return .success(.failure(error))
        }
        let names = (header["parts"]?.arrayValue ?? []).compactMap(\.stringValue)
        guard names.count == parts.count else { return .failure(ProtocolViolation("a reply whose parts do not match its header")) }
        var fragments: [String: JSONFragment] = [:]
        for (name, bytes) in zip(names, parts) {
            guard let fragment = JSONFragment(validating: bytes) else {
                return .failure(ProtocolViolation("a reply part (\(name)) that is not JSON"))
            }
            fragments[name] = fragment
        }
        switch header["kind"]?.stringValue {
        case "value":
            guard let valueType = header["valueType"]?.stringValue, valueType.utf8.count <= WorkerMessage.maximumNameBytes,
                  let value = fragments["value"]
            else { return .failure(ProtocolViolation("a value reply without a value and its type")) }
            let window = header["window"].flatMap { window -> EncodedValue.Window? in
                guard let begin = window["begin"]?.intValue, let size = window["size"]?.intValue,
                      let max = window["max"]?.intValue else { return nil }
                return EncodedValue.Window(begin: begin, size: size, max: max)
            }
            return .success(.value(EncodedValue(
                valueType: valueType, value: value, window: window, truncated: header["truncated"]?.boolValue ?? false,
                rowCount: header["rowCount"]?.intValue, dtypes: fragments["dtypes"], categories: fragments["categories"],
                display: fragments["display"], format: header["format"]?.stringValue,
                stable: header["stable"]?.boolValue ?? false, ranProgramCode: header["ranProgram"]?.boolValue ?? false)))
        case "result":
            guard let result = fragments["result"] else { return .failure(ProtocolViolation("a result reply without its result")) }
            return .success(.result(result))
        default:
            return .failure(ProtocolViolation("a reply of unknown kind"))
        }
    }
}

/// A placeholder's value as the worker encoded it: fragments for the parts
/// that are passed on, fields for what the server reads.
package struct EncodedValue: Sendable, Equatable {
    package struct Window: Sendable, Equatable {
        package var begin: Int
        package var size: Int
        package var max: Int

        package init(begin: Int, size: Int, max: Int) {
            self.begin = begin
            self.size = size
            self.max = max
        }
    }

    package var valueType: String
    package var value: JSONFragment
    package var window: Window?
    package var truncated: Bool
    package var rowCount: Int?
    package var dtypes: JSONFragment?
    package var categories: JSONFragment?
    package var display: JSONFragment?
    package var format: String?
    /// Nothing could change the value while it was encoded nor after: no
    /// thread or process of the program was running, and the read ran no code
    /// of the program (a display form, a `__repr__`, a finalizer). Set only
    /// for reads that asked (``WorkerReadRequest/keep``).
    package var stable: Bool
    /// The read ran code of the program, which may have changed any value.
    /// Set only for reads that asked (``WorkerReadRequest/keep``).
    package var ranProgramCode: Bool

    package init(valueType: String, value: JSONFragment, window: Window? = nil, truncated: Bool = false, rowCount: Int? = nil,
                 dtypes: JSONFragment? = nil, categories: JSONFragment? = nil, display: JSONFragment? = nil, format: String? = nil,
                 stable: Bool = false, ranProgramCode: Bool = false) {
        self.valueType = valueType
        self.value = value
        self.window = window
        self.truncated = truncated
        self.rowCount = rowCount
        self.dtypes = dtypes
        self.categories = categories
        self.display = display
        self.format = format
        self.stable = stable
        self.ranProgramCode = ranProgramCode
    }
}

/// A worker's greeting.
package struct WorkerHello: Sendable {
    /// The frame protocol the worker speaks (``FrameProtocol/version``).
    package var version: Int
    package var pid: Int32
    package var pythonVersion: String
    package var pythonExecutable: String
    package var pythonPrefix: String
    package var preloaded: [String]
    package var preloadErrors: [(String, String)]
    /// Sandbox measures the kernel refused at start.
    package var refused: [String]

    package init(version: Int = FrameProtocol.version, pid: Int32, pythonVersion: String, pythonExecutable: String,
                 pythonPrefix: String, preloaded: [String], preloadErrors: [(String, String)], refused: [String]) {
        self.version = version
        self.pid = pid
        self.pythonVersion = pythonVersion
        self.pythonExecutable = pythonExecutable
        self.pythonPrefix = pythonPrefix
        self.preloaded = preloaded
        self.preloadErrors = preloadErrors
        self.refused = refused
    }

    var header: JSONValue {
        [
            "ev": "hello",
            "protocol": .int(Int64(version)),
            "pid": .int(Int64(pid)),
            "version": .string(pythonVersion),
            "executable": .string(pythonExecutable),
            "prefix": .string(pythonPrefix),
            "preloaded": .array(preloaded.map { .string($0) }),
            "preloadErrors": .object(preloadErrors.map { ($0.0, .string($0.1)) }),
            "refused": .array(refused.map { .string($0) }),
        ]
    }

    static func decode(_ header: JSONValue) -> Result<WorkerHello, ProtocolViolation> {
        guard let reported = header["pid"]?.intValue, let pid = Int32(exactly: reported) else {
            return .failure(ProtocolViolation("a hello without a valid pid"))
        }
        return .success(WorkerHello(
            version: header["protocol"]?.intValue ?? 1, pid: pid,
            pythonVersion: header["version"]?.stringValue ?? "",
            pythonExecutable: header["executable"]?.stringValue ?? "",
            pythonPrefix: header["prefix"]?.stringValue ?? "",
            preloaded: (header["preloaded"]?.arrayValue ?? []).compactMap(\.stringValue),
            preloadErrors: (header["preloadErrors"]?.objectValue ?? []).map { ($0.0, $0.1.stringValue ?? "") },
            refused: (header["refused"]?.arrayValue ?? []).compactMap(\.stringValue)))
    }
}
