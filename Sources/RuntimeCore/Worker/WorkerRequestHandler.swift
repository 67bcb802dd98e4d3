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

    /// Answers a request frame (`{"op": ..., "rid": N, ...}`) with a reply frame.
    func handle(request: JSONValue) -> JSONValue {
        let rid = request["rid"] ?? .null
        let result: Result<JSONValue, WorkerRequestError>
        switch request["op"]?.stringValue {
        case "get": result = PythonInterpreter.withGIL { readPlaceholder(request) }
        case "stats": result = PythonInterpreter.withGIL { statistics(request) }
        case "model": result = PythonInterpreter.withGIL { invokeModel(request) }
        case "ping": result = .success(["pong": true])
        default: result = .failure(WorkerRequestError(code: "INTERNAL", message: "unknown worker request"))
        }
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

    private func readPlaceholder(_ request: JSONValue) -> Result<JSONValue, WorkerRequestError> {
        guard let name = request["name"]?.stringValue else {
            return .failure(WorkerRequestError(code: "INVALID_REQUEST", message: "name is required"))
        }
        do {
            let object = try lookup(name)
            let converter = PythonJSONConverter(helper: helper)
            var reply: [(String, JSONValue)] = [("valueType", .string(object.shortTypeName))]
            guard let total = converter.rowCount(of: object) else {
                reply.append(("value", converter.convertTopLevel(object)))
                return .success(.object(reply))
            }
            let maxRows = max(0, request["maxRows"]?.intValue ?? 1000)
            if let window = request["window"], !window.isNull {
                let begin = min(max(0, window["begin"]?.intValue ?? 0), total)
                let size = max(0, window["size"]?.intValue ?? maxRows)
                let end = min(total, begin + size)
                let rows = try converter.rows(of: object, begin, end)
                reply.append(("value", converter.convertTopLevel(rows)))
                reply.append(("window", ["begin": .int(Int64(begin)), "size": .int(Int64(end - begin)), "max": .int(Int64(total))]))
            } else if total > maxRows {
                let rows = try converter.rows(of: object, 0, maxRows)
                reply.append(("value", converter.convertTopLevel(rows)))
                reply.append(("truncated", true))
            } else {
                reply.append(("value", converter.convertTopLevel(object)))
            }
            reply.append(("rowCount", .int(Int64(total))))
            return .success(.object(reply))
        } catch let error as WorkerRequestError {
            return .failure(error)
        } catch {
            return .failure(WorkerRequestError(code: "INTERNAL", message: "\(error)"))
        }
    }
}

extension WorkerRequestHandler {
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
