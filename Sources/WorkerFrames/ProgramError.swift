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

    /// Reads the contract's JSON shape (as the worker sends it).
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
