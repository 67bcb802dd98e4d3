import CPython
import Synchronization
import RuntimeJSON
import WorkerFrames

/// Serves the runtime's requests inside a worker: runs the program, and reads
/// placeholders. Every method takes the GIL itself.
struct WorkerRequestHandler: @unchecked Sendable {
    // The helper module is only touched while holding the GIL; the reference
    // itself is immortal for the worker's lifetime.
    fileprivate let helper: PythonObject

    init(helper: PythonObject) { self.helper = helper }

    /// Where the program's forked copies write their output: pipes the
    /// worker forwards as output frames (see ``CopyOutput``).
    func setCopyOutput(stdout: Int32, stderr: Int32) {
        PythonInterpreter.withGIL {
            do {
                _ = try helper.attribute("set_copy_output").call([try .int(Int(stdout)), try .int(Int(stderr))])
            } catch let error as PythonError where error.typeName == "KeyboardInterrupt" {
                // A stop that came with the run: kept for the program (see
                // runProgram), not dropped here.
                PyErr_Clear()
                PyErr_SetInterrupt()
            } catch {
                PyErr_Clear()
            }
        }
    }

    /// Runs the main file and answers with the outcome frame.
    func runProgram(directory: String, mainFile: String) -> WorkerMessage {
        PythonInterpreter.withGIL {
            // A SIGINT that came before the program started is a stop of this
            // run (a worker runs one program): it is left pending, and ends the
            // run as a KeyboardInterrupt at its first instruction. (It used to
            // be dropped here, and a stop sent right after EXECUTION_STARTED
            // let the program run on, to its end or to the kill.)
            do {
                let outcome = try helper.attribute("run").call([try .string(directory), try .string(mainFile)])
                if outcome.isNone { return .finished }
                return .failed(ProgramError(json: PythonJSONConverter(helper: helper).convert(outcome, depth: 0)))
            } catch {
                // Raised outside the program's own frame (e.g. an interrupt
                // that landed while the helper was tidying up).
                let described = (error as? PythonError)?.typeName ?? "RuntimeError"
                let message = (error as? PythonError)?.message ?? "\(error)"
                return .failed(ProgramError(type: described, message: message))
            }
        }
    }

    /// Answers a request with its reply. Any request gets exactly one reply.
    ///
    /// - Parameters:
    ///   - cancellation: set by a `cancel` frame naming this request's `rid`.
    ///   - receivedAt: monotonic nanoseconds when the frame arrived; a read's
    ///     `deadlineMs` counts from there.
    func handle(_ request: WorkerRequest, cancellation: ReadCancellation = ReadCancellation(),
                receivedAt: Int64 = MonotonicClock.nanoseconds()) -> WorkerReply {
        let result: Result<WorkerReply, RuntimeError>
        switch request {
        case .read(let read):
            let budget = ReadBudget(cancellation: cancellation, deadlineMilliseconds: read.deadlineMilliseconds, start: receivedAt)
            result = PythonInterpreter.withGIL { readPlaceholder(read, budget: budget) }
        case .statistics, .model, .apply:
            // Statistics, model and function calls cannot stop half-way; one
            // cancelled while it waited in the queue is not started.
            if cancellation.isCancelled {
                result = .failure(RuntimeError(.limitExceeded, ReadInterruption.cancelled.message))
            } else if case .statistics(let name) = request {
                result = PythonInterpreter.withGIL { statistics(name) }
            } else if case .model(let order) = request {
                result = PythonInterpreter.withGIL { invokeModel(order) }
            } else if case .apply(let name, let function) = request {
                result = PythonInterpreter.withGIL { apply(function, to: name) }
            } else {
                result = .failure(RuntimeError(.internalError, "unreachable request kind"))
            }
        case .run, .cancel, .interrupt, .stopChildren:
            result = .failure(RuntimeError(.invalidRequest, "a run, cancel or signal frame is not a request to answer"))
        }
        switch result {
        case .success(let reply): return reply
        case .failure(let error): return .failure(error)
        }
    }

    fileprivate func lookup(_ name: String) throws(RuntimeError) -> PythonObject {
        do {
            let found = try helper.attribute("lookup").call([try .string(name)])
            guard PyTuple_Size(found.pointer) == 2, shim_tuple_get(found.pointer, 0) == shim_true() else {
                throw RuntimeError(.placeholderNotFound, "No placeholder or global named '\(name)'")
            }
            return PythonObject(borrowing: shim_tuple_get(found.pointer, 1))
        } catch let error as RuntimeError {
            throw error
        } catch {
            throw RuntimeError(.internalError, "\(error)", cause: error)
        }
    }

    /// Reads a placeholder: only the rows asked for are converted (a window,
    /// else the first `maxRows`), so the first page of any table costs the
    /// same whatever the table's size.
    private func readPlaceholder(_ request: WorkerReadRequest, budget: ReadBudget) -> Result<WorkerReply, RuntimeError> {
        do {
            // A read cancelled, or past its deadline, while it waited in the queue.
            try budget.check()
            let watchdog = ReadWatchdog.shared
            guard request.keep else {
                return .success(.value(try watchdog.watch(budget, helper: helper) { try encode(request, budget: budget) }))
            }
            // The runtime may keep the value: say whether anything could change
            // it, and whether this read ran code of the program.
            let probe = ProgramCodeProbe(libraryFolders: libraryFolders())
            let quietBefore = isQuiet()
            var reply = try probe.watch { try watchdog.watch(budget, helper: helper) { try encode(request, budget: budget) } }
            reply.ranProgramCode = probe.ranProgramCode
            reply.stable = quietBefore && !probe.ranProgramCode && isQuiet() && ProcessTree.members().count == 1
            return .success(.value(reply))
        } catch let interruption as ReadInterruption {
            return .failure(RuntimeError(.limitExceeded, interruption.message))
        } catch let error as RuntimeError {
            return .failure(error)
        } catch {
            return .failure(RuntimeError(.internalError, "\(error)", cause: error))
        }
    }

    /// The Python installation's folders (the helper's `library_folders()`), asked once.
    private func libraryFolders() -> [String] {
        if let known = Self.knownLibraryFolders.withLock({ $0 }) { return known }
        guard let text = try? helper.attribute("library_folders").call([]).stringValue else {
            PyErr_Clear()
            return []
        }
        let folders = text.split(separator: "\n").map(String.init)
        Self.knownLibraryFolders.withLock { $0 = folders }
        return folders
    }

    private static let knownLibraryFolders = Mutex<[String]?>(nil)

    /// Whether no thread the program started is running (the helper's `quiet()`).
    private func isQuiet() -> Bool {
        guard let quiet = try? helper.attribute("quiet").call([]) else {
            PyErr_Clear()
            return false
        }
        return quiet.pointer == shim_true()
    }

    /// The value of a read, encoded.
    private func encode(_ request: WorkerReadRequest, budget: ReadBudget) throws -> EncodedValue {
        let object = try lookup(request.name)
        var converter = PythonJSONConverter(helper: helper, budget: budget)
        converter.exact = request.exact
        var reply = EncodedValue(valueType: object.shortTypeName, value: .null)
        if request.format == "jsonpickle" {
            let flattened = try helper.attribute("jsonpickle_flatten").call([object])
            reply.value = JSONFragment(try converter.convertTopLevel(flattened))
            reply.format = "jsonpickle"
            return reply
        }
        if request.displayBytes > 0, let display = display(of: object, limit: request.displayBytes) {
            reply.display = JSONFragment(display)
        }
        if let info = converter.tableInfo(of: object) {
            reply.dtypes = JSONFragment(info.dtypes)
            reply.categories = info.categories.map(JSONFragment.init)
        }
        guard let total = converter.rowCount(of: object) else {
            reply.value = try converter.encodeTopLevel(object)
            return reply
        }
        let rows = request.rows(total: total)
        if request.window != nil {
            let page = try converter.rows(of: object, rows.lowerBound, rows.upperBound)
            reply.value = try converter.encodeTopLevel(page)
            // The begin asked for, also past the end (no row sent then).
            reply.window = EncodedValue.Window(begin: request.window?.begin ?? rows.lowerBound, size: rows.count, max: total)
        } else if rows.count < total {
            let page = try converter.rows(of: object, rows.lowerBound, rows.upperBound)
            reply.value = try converter.encodeTopLevel(page)
            reply.truncated = true
        } else {
            reply.value = try converter.encodeTopLevel(object)
        }
        reply.rowCount = total
        return reply
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

    fileprivate func statistics(_ name: String) -> Result<WorkerReply, RuntimeError> {
        do {
            let object = try lookup(name)
            return .success(.result(JSONFragment(try DatasetStatistics(helper: helper).compute(object, name: name))))
        } catch {
            return .failure(error)
        }
    }

    fileprivate func invokeModel(_ order: WorkerRequest.ModelOrder) -> Result<WorkerReply, RuntimeError> {
        do {
            let model = try lookup(order.name)
            // The client's JSON bytes, unchanged: Python's json.loads reads them.
            let data = try order.data.map { try PythonObject.bytes($0.bytes) } ?? .none
            var resolved = order.path
            if let allowed = order.allowedFolders, let path = order.path {
                // A remote worker: the session's files are here, so the policy is applied here.
                resolved = try DataPathPolicy(sessionFolder: SessionFolder.current, allowedFolders: allowed).resolve(path)
            }
            let path = try resolved.map { try PythonObject.string($0) } ?? .none
            let method = try order.method.map { try PythonObject.string($0) } ?? .none
            let outcome: PythonObject
            do {
                outcome = try helper.attribute("invoke_model").call([model, data, path, method])
            } catch {
                switch error.typeName {
                case "NotAModel": throw RuntimeError(.notAModel, error.message)
                case "BadModelInput", "JSONDecodeError": throw RuntimeError(.invalidRequest, "model.data: \(error.message)")
                default: throw RuntimeError(.internalError, "\(error)", cause: error)
                }
            }
            let status = PythonObject.string(from: shim_tuple_get(outcome.pointer, 0)) ?? ""
            let payload = PythonObject(borrowing: shim_tuple_get(outcome.pointer, 1))
            let converter = PythonJSONConverter(helper: helper)
            if status == "model_error" {
                let error = ProgramError(json: converter.convert(payload, depth: 0))
                throw RuntimeError(.modelError, "the model raised \(error.type): \(error.message)", programError: error)
            }
            return .success(.result(JSONFragment(converter.convert(payload, depth: 0))))
        } catch let error as RuntimeError {
            return .failure(error)
        } catch {
            return .failure(RuntimeError(.internalError, "\(error)", cause: error))
        }
    }

    /// Calls a function (the source of a Python callable, e.g. a lambda) on
    /// the value of `name`, and encodes what it returns by the placeholder rules.
    fileprivate func apply(_ function: String, to name: String) -> Result<WorkerReply, RuntimeError> {
        do {
            let value = try lookup(name)
            let outcome = try helper.attribute("apply_function").call([try .string(function), value])
            let status = PythonObject.string(from: shim_tuple_get(outcome.pointer, 0)) ?? ""
            let payload = PythonObject(borrowing: shim_tuple_get(outcome.pointer, 1))
            let converter = PythonJSONConverter(helper: helper)
            if status == "error" {
                let error = ProgramError(json: converter.convert(payload, depth: 0))
                throw RuntimeError(.invalidRequest, "the function raised \(error.type): \(error.message)", programError: error)
            }
            return .success(.result(JSONFragment(try converter.convertTopLevel(payload))))
        } catch let error as RuntimeError {
            return .failure(error)
        } catch {
            return .failure(RuntimeError(.internalError, "\(error)", cause: error))
        }
    }
}
