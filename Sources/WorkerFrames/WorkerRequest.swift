import RuntimeJSON

/// What the server asks a worker: the frames it writes to the worker's
/// request channel. Each one is a JSON header (`op`, and `rid` for those
/// that are answered) and, for inline model data, one raw part that carries
/// the client's JSON bytes unchanged.
package enum WorkerRequest: Sendable, Equatable {
    /// Run the session's program (the first frame of every worker).
    case run(RunOrder)
    /// Encode a placeholder's value.
    case read(WorkerReadRequest)
    /// Compute the statistics of a dataset natively.
    case statistics(name: String)
    /// Call a model on new data.
    case model(ModelOrder)
    /// Call a Python function (a lambda's source) on a placeholder's value.
    case apply(name: String, function: String)
    /// Stop request `rid` if it is still queued or being served.
    case cancel(rid: Int64)
    /// Raise SIGINT in the worker (a `KeyboardInterrupt` in the running
    /// program): how a stop reaches a worker the runtime cannot signal (a
    /// remote one). Local workers get the signal itself.
    case interrupt
    /// End every process the program started, keeping the worker (a stop's
    /// last step on a remote worker; local ones get SIGUSR1).
    case stopChildren

    /// Where the program runs and what it may do.
    package struct RunOrder: Sendable, Equatable {
        package var directory: String
        package var mainFile: String
        package var outputCap: Int
        /// Folders the program may read besides its own and the environment's.
        package var readable: [String]
        /// The program's files, for a worker that cannot see the runtime's
        /// disk (a remote one): it writes them into a folder of its own, which
        /// replaces `directory`. Empty: the files are in `directory` already.
        package var files: [ProgramFileOrder]

        package init(directory: String, mainFile: String, outputCap: Int, readable: [String], files: [ProgramFileOrder] = []) {
            self.directory = directory
            self.mainFile = mainFile
            self.outputCap = outputCap
            self.readable = readable
            self.files = files
        }
    }

    /// One file of a program sent with its run: a relative path and its bytes.
    package struct ProgramFileOrder: Sendable, Equatable {
        package var path: String
        package var contents: [UInt8]

        package init(path: String, contents: [UInt8]) {
            self.path = path
            self.contents = contents
        }
    }

    /// A model call: inline JSON as the client sent it, or a file already
    /// resolved against the session's folder and the allowed folders.
    package struct ModelOrder: Sendable, Equatable {
        package var name: String
        package var data: JSONFragment?
        package var path: String?
        package var method: String?
        /// Set when the worker must resolve `path` itself (it is remote):
        /// relative to its session's folder, allowed there and in these folders.
        package var allowedFolders: [String]?

        package init(name: String, data: JSONFragment?, path: String?, method: String?, allowedFolders: [String]? = nil) {
            self.name = name
            self.data = data
            self.path = path
            self.method = method
            self.allowedFolders = allowedFolders
        }
    }

    /// The frames of this request (header, then raw parts), `rid` for those answered.
    package func frames(rid: Int64?) -> [UInt8] {
        var header: [(String, JSONValue)] = []
        var parts: [[UInt8]] = []
        func add(_ op: String) {
            header.append(("op", .string(op)))
            if let rid { header.append(("rid", .int(rid))) }
        }
        switch self {
        case .run(let order):
            header = [("op", "run"), ("directory", .string(order.directory)), ("main", .string(order.mainFile)),
                      ("outputCap", .int(Int64(clamping: order.outputCap))),
                      ("readable", .array(order.readable.map { .string($0) }))]
            if !order.files.isEmpty {
                // One part holds every file, one after the other: a program
                // may have more files than a message may have parts.
                header.append(("files", .array(order.files.map { .array([.string($0.path), .int(Int64($0.contents.count))]) })))
                header.append(("parts", ["files"]))
                parts = [order.files.flatMap(\.contents)]
            }
        case .read(let read):
            add("get")
            header += read.frameFields
        case .statistics(let name):
            add("stats")
            header.append(("name", .string(name)))
        case .model(let order):
            add("model")
            header.append(("name", .string(order.name)))
            if let path = order.path { header.append(("path", .string(path))) }
            if let method = order.method { header.append(("method", .string(method))) }
            if let allowed = order.allowedFolders { header.append(("allowedFolders", .array(allowed.map { .string($0) }))) }
            if let data = order.data {
                header.append(("parts", ["data"]))
                parts.append(data.bytes)
            }
        case .apply(let name, let function):
            add("apply")
            header += [("name", .string(name)), ("function", .string(function))]
        case .cancel(let rid):
            header = [("op", "cancel"), ("rid", .int(rid))]
        case .interrupt:
            header = [("op", "interrupt")]
        case .stopChildren:
            header = [("op", "stopChildren")]
        }
        return FrameIO.frames(header: .object(header), parts: parts)
    }

    /// Reads a request from its header and parts. The worker answers a
    /// failure with an `INVALID_REQUEST` reply (to `rid` when there is one).
    package static func decode(_ header: JSONValue, parts: [[UInt8]]) throws(RuntimeError) -> WorkerRequest {
        func string(_ field: String) throws(RuntimeError) -> String {
            guard let value = header[field]?.stringValue else {
                throw RuntimeError(.invalidRequest, "\(field) is required and must be a string")
            }
            return value
        }
        func optionalString(_ field: String) throws(RuntimeError) -> String? {
            switch header[field] {
            case nil, .null?: return nil
            case .string(let value)?: return value
            case let other?: throw RuntimeError(.invalidRequest, "\(field) must be a string, not \(other.kindName)")
            }
        }
        guard case .object = header else { throw RuntimeError(.invalidRequest, "a request frame must be a JSON object") }
        switch header["op"] {
        case .string("run")?:
            guard let directory = header["directory"]?.stringValue, let main = header["main"]?.stringValue else {
                throw RuntimeError(.invalidRequest, "a run frame needs the strings directory and main")
            }
            return .run(RunOrder(directory: directory, mainFile: main, outputCap: header["outputCap"]?.intValue ?? Int.max,
                                 readable: (header["readable"]?.arrayValue ?? []).compactMap(\.stringValue),
                                 files: try Self.files(header["files"], parts: parts)))
        case .string("get")?:
            return .read(try WorkerReadRequest(frame: header))
        case .string("stats")?:
            return .statistics(name: try string("name"))
        case .string("model")?:
            let named = (header["parts"]?.arrayValue ?? []).compactMap(\.stringValue)
            var data: JSONFragment?
            if let index = named.firstIndex(of: "data") {
                guard index < parts.count, let fragment = JSONFragment(validating: parts[index]) else {
                    throw RuntimeError(.invalidRequest, "model.data: the data part is not JSON")
                }
                data = fragment
            }
            return .model(ModelOrder(name: try string("name"), data: data, path: try optionalString("path"),
                                     method: try optionalString("method"),
                                     allowedFolders: header["allowedFolders"]?.arrayValue?.compactMap(\.stringValue)))
        case .string("apply")?:
            return .apply(name: try string("name"), function: try string("function"))
        case .string("cancel")?:
            guard case .int(let rid)? = header["rid"] else {
                throw RuntimeError(.invalidRequest, "a cancel frame needs the rid of the request to cancel")
            }
            return .cancel(rid: rid)
        case .string("interrupt")?:
            return .interrupt
        case .string("stopChildren")?:
            return .stopChildren
        case .string(let op)?:
            throw RuntimeError(.invalidRequest, "unknown worker request op '\(op)'")
        case let other:
            throw RuntimeError(.invalidRequest, "a worker request needs a string op, found \(other.map { "a \($0.kindName)" } ?? "nothing")")
        }
    }

    /// The files of a run frame: `[path, size]` pairs cutting its one part.
    private static func files(_ listing: JSONValue?, parts: [[UInt8]]) throws(RuntimeError) -> [ProgramFileOrder] {
        guard let listing else { return [] }
        guard let entries = listing.arrayValue, let part = parts.first else {
            throw RuntimeError(.invalidRequest, "a run frame's files must be [path, size] pairs over one part")
        }
        var files: [ProgramFileOrder] = []
        var offset = 0
        for entry in entries {
            guard let pair = entry.arrayValue, pair.count == 2, let path = pair[0].stringValue,
                  let size = pair[1].intValue, size >= 0, size <= part.count - offset
            else {
                throw RuntimeError(.invalidRequest, "a run frame's files must be [path, size] pairs that fit its part")
            }
            files.append(ProgramFileOrder(path: path, contents: Array(part[offset..<(offset + size)])))
            offset += size
        }
        guard offset == part.count else { throw RuntimeError(.invalidRequest, "a run frame's files part has bytes no file claims") }
        return files
    }
}
