import CPython

/// Serves the runtime's requests inside a worker: runs the program, and reads
/// placeholders. Every method takes the GIL itself.
struct WorkerRequestHandler: @unchecked Sendable {
    // The helper module is only touched while holding the GIL; the reference
    // itself is immortal for the worker's lifetime.
    fileprivate let helper: PythonObject

    init(helper: PythonObject) { self.helper = helper }

    /// Runs the main file and answers with the outcome frame.
    func runProgram(directory: String, mainFile: String) -> JSONValue {
        PythonInterpreter.withGIL {
            // A SIGINT that arrived while idle must not hit the new run.
            if PyErr_CheckSignals() != 0 { PyErr_Clear() }
            do {
                let outcome = try helper.attribute("run").call([try .string(directory), try .string(mainFile)])
                if outcome.isNone { return ["ev": "finished"] }
                return ["ev": "failed", "error": PythonJSONConverter(helper: helper).convert(outcome, depth: 0)]
            } catch {
                // Raised outside the program's own frame (e.g. an interrupt
                // that landed while the helper was tidying up).
                let described = (error as? PythonError)?.typeName ?? "RuntimeError"
                let message = (error as? PythonError)?.message ?? "\(error)"
                return ["ev": "failed", "error": ["type": .string(described), "message": .string(message),
                                                 "traceback": [], "text": .string("\(described): \(message)\n")]]
            }
        }
    }

    /// Answers a request frame (`{"op": ..., "rid": N, ...}`) with a reply
    /// frame. Any frame gets exactly one reply, an error for a malformed one.
    ///
    /// - Parameters:
    ///   - cancellation: set by a `cancel` frame naming this request's `rid`.
    ///   - receivedAt: monotonic nanoseconds when the frame arrived; a `get`'s
    ///     `deadlineMs` counts from there.
    func handle(request: JSONValue, cancellation: ReadCancellation = ReadCancellation(),
                receivedAt: Int64 = MonotonicClock.nanoseconds()) -> JSONValue {
        let rid = request["rid"] ?? .null
        let result: Result<JSONValue, WorkerRequestError>
        switch request["op"] {
        case .string("get")?:
            do {
                let read = try WorkerReadRequest(frame: request)
                let budget = ReadBudget(cancellation: cancellation, deadlineMilliseconds: read.deadlineMilliseconds, start: receivedAt)
                result = PythonInterpreter.withGIL { readPlaceholder(read, budget: budget) }
            } catch {
                result = .failure(error)
            }
        case .string("stats")? where cancellation.isCancelled, .string("model")? where cancellation.isCancelled:
            // Statistics and model calls cannot stop half-way; one cancelled
            // while it waited in the queue is not started.
            result = .failure(WorkerRequestError(code: "LIMIT_EXCEEDED", message: ReadInterruption.cancelled.message))
        case .string("stats")?: result = PythonInterpreter.withGIL { statistics(request) }
        case .string("model")?: result = PythonInterpreter.withGIL { invokeModel(request) }
        case .string("ping")?: result = .success(["pong": true])
        case .string(let op)?:
            result = .failure(WorkerRequestError(code: "INVALID_REQUEST", message: "unknown worker request op '\(op)'"))
        case let other:
            let found = other.map { "a \($0.kindName)" } ?? "nothing"
            result = .failure(WorkerRequestError(code: "INVALID_REQUEST", message: "a worker request needs a string op, found \(found)"))
        }
        return Self.reply(rid: rid, result)
    }

    /// The reply frame for a request's outcome.
    static func reply(rid: JSONValue, _ result: Result<JSONValue, WorkerRequestError>) -> JSONValue {
        switch result {
        case .success(let value): return ["ev": "reply", "rid": rid, "ok": true, "result": value]
        case .failure(let error):
            var fields: [(String, JSONValue)] = [("code", .string(error.code)), ("message", .string(error.message))]
            if let details = error.details { fields.append(("error", details)) }
            return ["ev": "reply", "rid": rid, "ok": false, "error": .object(fields)]
        }
    }

    fileprivate func lookup(_ name: String) throws(WorkerRequestError) -> PythonObject {
        do {
            let found = try helper.attribute("lookup").call([try .string(name)])
            guard PyTuple_Size(found.pointer) == 2, shim_tuple_get(found.pointer, 0) == shim_true() else {
                throw WorkerRequestError(code: "PLACEHOLDER_NOT_FOUND", message: "No placeholder or global named '\(name)'")
            }
            return PythonObject(borrowing: shim_tuple_get(found.pointer, 1))
        } catch let error as WorkerRequestError {
            throw error
        } catch {
            throw WorkerRequestError(code: "INTERNAL", message: "\(error)")
        }
    }

    /// Reads a placeholder: only the rows asked for are converted (a window,
    /// else the first `maxRows`), so the first page of any table costs the
    /// same whatever the table's size.
    private func readPlaceholder(_ request: WorkerReadRequest, budget: ReadBudget) -> Result<JSONValue, WorkerRequestError> {
        do {
            // A read cancelled, or past its deadline, while it waited in the queue.
            try budget.check()
            let object = try lookup(request.name)
            var converter = PythonJSONConverter(helper: helper, budget: budget)
            converter.exact = request.exact
            var reply: [(String, JSONValue)] = [("valueType", .string(object.shortTypeName))]
            if request.format == "jsonpickle" {
                let flattened = try helper.attribute("jsonpickle_flatten").call([object])
                reply.append(("value", try converter.convertTopLevel(flattened)))
                reply.append(("format", "jsonpickle"))
                return .success(.object(reply))
            }
            if request.displayBytes > 0, let display = display(of: object, limit: request.displayBytes) {
                reply.append(("display", display))
            }
            if let info = converter.tableInfo(of: object) {
                reply.append(("dtypes", info.dtypes))
                if let categories = info.categories { reply.append(("categories", categories)) }
            }
            guard let total = converter.rowCount(of: object) else {
                reply.append(("value", try converter.convertTopLevel(object)))
                return .success(.object(reply))
            }
            let rows = request.rows(total: total)
            if request.window != nil {
                let page = try converter.rows(of: object, rows.lowerBound, rows.upperBound)
                reply.append(("value", try converter.convertTopLevel(page)))
                reply.append(("window", ["begin": .int(Int64(rows.lowerBound)), "size": .int(Int64(rows.count)),
                                         "max": .int(Int64(total))]))
            } else if rows.count < total {
                let page = try converter.rows(of: object, rows.lowerBound, rows.upperBound)
                reply.append(("value", try converter.convertTopLevel(page)))
                reply.append(("truncated", true))
            } else {
                reply.append(("value", try converter.convertTopLevel(object)))
            }
            reply.append(("rowCount", .int(Int64(total))))
            return .success(.object(reply))
        } catch let interruption as ReadInterruption {
            return .failure(WorkerRequestError(code: "LIMIT_EXCEEDED", message: interruption.message))
        } catch let error as WorkerRequestError {
            return .failure(error)
        } catch {
            return .failure(WorkerRequestError(code: "INTERNAL", message: "\(error)"))
        }
    }
}

extension WorkerRequestHandler {
    /// The value's `display` bundle (MIME type → content), or nil when it has
    /// no display form or building one failed.
    fileprivate func display(of object: PythonObject, limit: Int) -> JSONValue? {
        do {
            let bundle = try helper.attribute("display_bundle").call([object, try .int(limit)])
            if bundle.isNone { return nil }
            return PythonJSONConverter(helper: helper).convert(bundle, depth: 0)
        } catch {
            return nil
        }
    }

    fileprivate func statistics(_ request: JSONValue) -> Result<JSONValue, WorkerRequestError> {
        guard let name = request["name"]?.stringValue else {
            return .failure(WorkerRequestError(code: "INVALID_REQUEST", message: "name is required"))
        }
        do {
            let object = try lookup(name)
            return .success(try DatasetStatistics(helper: helper).compute(object, name: name))
        } catch {
            return .failure(error)
        }
    }

    fileprivate func invokeModel(_ request: JSONValue) -> Result<JSONValue, WorkerRequestError> {
        guard let name = request["name"]?.stringValue else {
            return .failure(WorkerRequestError(code: "INVALID_REQUEST", message: "name is required"))
        }
        do {
            let model = try lookup(name)
            let data = try PythonObject.string((request["data"] ?? .null).jsonString)
            let path = try request["path"]?.stringValue.map { try PythonObject.string($0) } ?? .none
            let method = try request["method"]?.stringValue.map { try PythonObject.string($0) } ?? .none
            let outcome: PythonObject
            do {
                outcome = try helper.attribute("invoke_model").call([model, data, path, method])
            } catch {
                switch error.typeName {
                case "NotAModel": throw WorkerRequestError(code: "NOT_A_MODEL", message: error.message)
                case "BadModelInput", "JSONDecodeError": throw WorkerRequestError(code: "INVALID_REQUEST", message: "model.data: \(error.message)")
                default: throw WorkerRequestError(code: "INTERNAL", message: "\(error)")
                }
            }
            let status = PythonObject.string(from: shim_tuple_get(outcome.pointer, 0)) ?? ""
            let payload = PythonObject(borrowing: shim_tuple_get(outcome.pointer, 1))
            let converter = PythonJSONConverter(helper: helper)
            if status == "model_error" {
                let error = converter.convert(payload, depth: 0)
                let message = "the model raised \(error["type"]?.stringValue ?? "an exception"): \(error["message"]?.stringValue ?? "")"
                throw WorkerRequestError(code: "MODEL_ERROR", message: message, details: error)
            }
            return .success(["predictions": converter.convert(payload, depth: 0)])
        } catch let error as WorkerRequestError {
            return .failure(error)
        } catch {
            return .failure(WorkerRequestError(code: "INTERNAL", message: "\(error)"))
        }
    }
}

/// A request the worker could not serve, with the contract's error code.
struct WorkerRequestError: Error {
    var code: String
    var message: String
    /// For `MODEL_ERROR`: the Python error object.
    var details: JSONValue?

    init(code: String, message: String, details: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.details = details
    }
}
