import RuntimeJSON

/// The error object of a failed run (the contract's `error`): the Python
/// exception's type name, its message, the stack with the client's own file
/// names, and the formatted traceback.
public struct ProgramError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One frame of the traceback, innermost last.
    public struct Frame: Sendable, Equatable {
        /// The file: a program's file by the name the client gave it
        /// (`main.py`, `pkg/util.py`), or a library's path.
        public var file: String
        /// The line number, from 1.
        public var line: Int
        /// The function's name; `<module>` for a module's top level.
        public var function: String

        /// A frame at `line` of `function` in `file`.
        public init(file: String, line: Int, function: String) {
            self.file = file
            self.line = line
            self.function = function
        }
    }

    /// The exception's type name, e.g. `ZeroDivisionError`; for a run the
    /// runtime ended, its own name (`WorkerCrashed`, `RuntimeUnavailable`).
    public var type: String
    /// The exception's message (`str(exception)`).
    public var message: String
    /// The stack, outermost frame first.
    public var traceback: [Frame]
    /// The traceback formatted as Python prints it.
    public var text: String

    /// An error; without `text`, the text is `Type: message` on one line.
    public init(type: String, message: String, traceback: [Frame] = [], text: String? = nil) {
        self.type = type
        self.message = message
        self.traceback = traceback
        self.text = text ?? "\(type): \(message)\n"
    }

    /// `Type: message`, or the type alone when there is no message.
    public var description: String { message.isEmpty ? type : "\(type): \(message)" }

    /// A worker that died under the run.
    public static func workerCrashed(_ message: String) -> ProgramError {
        ProgramError(type: "WorkerCrashed", message: message)
    }

    /// The contract's JSON shape.
    public var json: JSONValue {
        [
            "type": .string(type),
            "message": .string(message),
            "traceback": .array(traceback.map {
                ["file": .string($0.file), "line": .int(Int64($0.line)), "function": .string($0.function)]
            }),
            "text": .string(text),
        ]
    }

    /// Most frames a traceback keeps (the innermost ones).
    package static let maximumFrames = 1000
    /// Longest file or function name of a frame, and longest type name, in UTF-8 bytes.
    package static let maximumNameBytes = 512
    /// Longest message, in UTF-8 bytes.
    package static let maximumMessageBytes = 64 << 10
    /// Longest formatted traceback, in UTF-8 bytes.
    package static let maximumTextBytes = 256 << 10

    /// This error cut to the limits above, the message's, the text's and the
    /// frame count divided by `divisor` (to fit a header the server takes:
    /// JSON escaping can make text up to six times longer). Long strings keep
    /// their start and say how much was cut; a deep traceback keeps its
    /// innermost frames.
    package func cutToLimits(dividedBy divisor: Int = 1) -> ProgramError {
        let frames = traceback.suffix(Self.maximumFrames / divisor).map {
            Frame(file: $0.file.cut(toBytes: Self.maximumNameBytes), line: $0.line,
                  function: $0.function.cut(toBytes: Self.maximumNameBytes))
        }
        return ProgramError(type: type.cut(toBytes: Self.maximumNameBytes),
                            message: message.cut(toBytes: Self.maximumMessageBytes / divisor),
                            traceback: Array(frames), text: text.cut(toBytes: Self.maximumTextBytes / divisor))
    }

    /// Reads the error object a worker sent, which nothing vouches for: nil
    /// when it is not the contract's shape or passes a limit above (the
    /// worker cuts a program's errors to them before sending).
    package init?(checkedJSON json: JSONValue) {
        guard case .object = json,
              let type = json["type"]?.stringValue, type.utf8.count <= Self.maximumNameBytes,
              let message = json["message"]?.stringValue, message.utf8.count <= Self.maximumMessageBytes,
              let text = json["text"]?.stringValue, text.utf8.count <= Self.maximumTextBytes,
              let listed = json["traceback"]?.arrayValue, listed.count <= Self.maximumFrames
        else { return nil }
        var frames: [Frame] = []
        frames.reserveCapacity(listed.count)
        for entry in listed {
            guard let file = entry["file"]?.stringValue, file.utf8.count <= Self.maximumNameBytes,
                  let function = entry["function"]?.stringValue, function.utf8.count <= Self.maximumNameBytes,
                  let line = entry["line"]?.intValue
            else { return nil }
            frames.append(Frame(file: file, line: line, function: function))
        }
        self.init(type: type, message: message, traceback: frames, text: text)
    }

    /// Reads the contract's JSON shape leniently: a missing field gets a
    /// default (the worker reads its Python's description of an exception
    /// so). What a worker sends is read with `init(checkedJSON:)`.
    public init(json: JSONValue) {
        let frames = (json["traceback"]?.arrayValue ?? []).map {
            Frame(file: $0["file"]?.stringValue ?? "?", line: $0["line"]?.intValue ?? 0,
                  function: $0["function"]?.stringValue ?? "?")
        }
        self.init(type: json["type"]?.stringValue ?? "Exception",
                  message: json["message"]?.stringValue ?? "",
                  traceback: frames,
                  text: json["text"]?.stringValue)
    }
}
