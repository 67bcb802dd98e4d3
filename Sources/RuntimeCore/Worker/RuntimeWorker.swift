import CPython
import Foundation
import Glibc
import Synchronization

/// The program that runs inside each worker process: one embedded
/// interpreter, one session's program on the main thread, and requests about
/// its values served from a second thread.
///
/// Build the `runtime-worker` executable from this package, or call
/// ``runIfRequested()`` first thing in your own executable and point
/// ``WorkerLauncher`` at it.
public enum RuntimeWorker {
    /// The first argument that marks a process as a worker.
    public static let flag = "--runtime-worker"

    /// When this process was started as a worker (its first argument is
    /// ``flag``), runs the worker and never returns; otherwise returns at once.
    public static func runIfRequested() {
        let arguments = CommandLine.arguments
        guard arguments.count > 1, arguments[1] == flag else { return }
        main(arguments: Array(arguments.dropFirst(2)))
    }

    /// Runs the worker with its arguments (`--python PATH`, `--preload a,b`).
    public static func main(arguments: [String]) -> Never {
        var python = "/usr/bin/python3"
        var preload: [String] = []
        var index = 0
        while index < arguments.count {
            switch arguments[index] {
            case "--python" where index + 1 < arguments.count:
                python = arguments[index + 1]; index += 1
            case "--preload" where index + 1 < arguments.count:
                preload = arguments[index + 1].split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
                index += 1
            default: break
            }
            index += 1
        }
        WorkerProcessMain(python: python, preload: preload).run()
    }
}

/// The state of the running worker, reachable from Python's C callbacks.
final class WorkerContext: Sendable {
    let channel: WorkerChannel
    init(channel: WorkerChannel) { self.channel = channel }

    /// Set once, before the interpreter starts; read by the C callback.
    nonisolated(unsafe) static var current: WorkerContext?
}

/// `_runtime_native.emit(kind, a, b)`: how Python code reaches the frame channel.
private let emitCallback: @convention(c) (UnsafeMutablePointer<PyObject>?, UnsafeMutablePointer<PyObject>?) -> UnsafeMutablePointer<PyObject>? = { _, args in
    guard let args, let context = WorkerContext.current, PyTuple_Size(args) == 3 else {
        shim_raise_type_error("emit(kind, a, b) takes three str arguments")
        return nil
    }
    guard let kind = PythonObject.string(from: shim_tuple_get(args, 0)),
        let a = PythonObject.string(from: shim_tuple_get(args, 1)),
        let b = PythonObject.string(from: shim_tuple_get(args, 2))
    else {
        shim_raise_type_error("emit(kind, a, b) takes three str arguments")
        return nil
    }
    // Writing may block on a full pipe: let other Python threads run meanwhile.
    let saved = PyEval_SaveThread()
    switch kind {
    case "output": context.channel.sendOutput(stream: a, text: b)
    case "ready": context.channel.send(["ev": "ready", "name": .string(a), "type": .string(b)])
    default: break
    }
    PyEval_RestoreThread(saved)
    return shim_newref_none()
}

private struct WorkerProcessMain {
    var python: String
    var preload: [String]

    func run() -> Never {
        // Keep the frame channels off fds 0 and 1, which the program and any
        // subprocess it starts may use: requests come on a private copy of fd
        // 0, frames go out on a private copy of fd 1; fd 1 then writes to
        // stderr and fd 0 reads /dev/null.
        let requestFD = fcntl(0, F_DUPFD_CLOEXEC, 3)
        let frameFD = fcntl(1, F_DUPFD_CLOEXEC, 3)
        guard requestFD >= 0, frameFD >= 0 else { _exit(70) }
        dup2(2, 1)
        let devNull = open("/dev/null", O_RDONLY)
        if devNull >= 0 { dup2(devNull, 0); close(devNull) }

        let channel = WorkerChannel(fd: frameFD)
        WorkerContext.current = WorkerContext(channel: channel)

        do {
            try PythonInterpreter.initialize(programName: python)
        } catch {
            channel.send(["ev": "fatal", "message": .string("cannot start Python from \(python): \(error)")])
            _exit(71)
        }
        let hello: JSONValue
        let handler: WorkerRequestHandler
        do {
            (hello, handler) = try setUp(channel: channel)
        } catch {
            channel.send(["ev": "fatal", "message": .string("cannot prepare the interpreter: \(error)")])
            _exit(72)
        }
        PythonInterpreter.releaseAfterInitialization()

        let runs = RunMailbox()
        let reader = Thread {
            serveRequests(fd: requestFD, handler: handler, channel: channel, runs: runs)
        }
        reader.stackSize = 8 << 20
        reader.start()
        channel.send(hello)

        // The main thread runs the session's program, so that SIGINT raises
        // KeyboardInterrupt in it.
        while true {
            let job = runs.next()
            channel.setOutputCap(job.outputCap)
            let result = handler.runProgram(directory: job.directory, mainFile: job.mainFile)
            channel.send(result)
        }
    }

    private func setUp(channel: WorkerChannel) throws -> (JSONValue, WorkerRequestHandler) {
        let native = try PythonObject.check(PyModule_New("_runtime_native"))
        let emit = try PythonObject.check(shim_make_function("emit", emitCallback))
        guard PyObject_SetAttrString(native.pointer, "emit", emit.pointer) == 0,
            let modules = PyImport_GetModuleDict(),
            PyDict_SetItemString(modules, "_runtime_native", native.pointer) == 0
        else { throw PythonError.fetch() }
        let helper = try PythonInterpreter.defineModule(named: "_runtime_worker", source: WorkerPythonSource.helper)
        _ = try PythonInterpreter.defineModule(named: "runtimeBridge", source: WorkerPythonSource.bridge)
        _ = try helper.attribute("prepare_interpreter").call([])

        var loaded: [JSONValue] = []
        var failures: [(String, JSONValue)] = []
        for name in preload {
            do {
                _ = try PythonInterpreter.importModule(name)
                loaded.append(.string(name))
            } catch {
                failures.append((name, .string(error.description)))
            }
        }
        let sys = try PythonInterpreter.importModule("sys")
        let hello: JSONValue = [
            "ev": "hello",
            "pid": .int(Int64(getpid())),
            "version": .string(try sys.attribute("version").stringValue ?? ""),
            "executable": .string(try sys.attribute("executable").stringValue ?? ""),
            "prefix": .string(try sys.attribute("prefix").stringValue ?? ""),
            "preloaded": .array(loaded),
            "preloadErrors": .object(failures),
        ]
        return (hello, WorkerRequestHandler(helper: helper))
    }
}

/// Reads requests until the runtime closes the channel, then ends the process.
private func serveRequests(fd: Int32, handler: WorkerRequestHandler, channel: WorkerChannel, runs: RunMailbox) {
    WorkerRequestRouter(fd: fd, handler: handler, channel: channel, runs: runs).run()
}

struct RunJob: Sendable {
    var directory: String
    var mainFile: String
    var outputCap: Int
}

/// Hands run requests from the request thread to the main thread.
final class RunMailbox: Sendable {
    private let jobs = Mutex<[RunJob]>([])
    private let signal = DispatchSemaphore(value: 0)

    func post(_ job: RunJob) {
        jobs.withLock { $0.append(job) }
        signal.signal()
    }

    func next() -> RunJob {
        while true {
            signal.wait()
            if let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return job }
        }
    }
}
