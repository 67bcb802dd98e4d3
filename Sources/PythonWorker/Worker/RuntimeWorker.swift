import CPython
import Foundation
import Glibc
import Synchronization
import RuntimeJSON
import WorkerFrames
import WorkerTLS

/// The program that runs inside each worker process: one embedded
/// interpreter, one session's program on the main thread, and requests about
/// its values served from a second thread.
///
/// Build the `runtime-worker` executable from this package, or call
/// ``runIfRequested()`` first thing in your own executable and point
/// ``WorkerLauncher`` at it.
public enum RuntimeWorker {
    /// The first argument that marks a process as a worker.
    public static let flag = FrameProtocol.workerFlag

    /// When this process was started as a worker (its first argument is
    /// ``flag``), runs the worker and never returns; otherwise returns at once.
    public static func runIfRequested() {
        let arguments = CommandLine.arguments
        guard arguments.count > 1, arguments[1] == flag else { return }
        main(arguments: Array(arguments.dropFirst(2)))
    }

    /// Runs the worker with its arguments (`--python PATH`, `--preload a,b`,
    /// and the sandbox's: `--sandbox`, `--userns`, `--network none`, `--uid N`,
    /// `--gid N`, `--max-processes N`, `--cgroup-procs PATH`).
    public static func main(arguments: [String]) -> Never {
        var python = "/usr/bin/python3"
        var preload: [String] = []
        var sandbox = WorkerSandboxOptions()
        var zygote = false
        var connect: String?
        var memoryLimit: Int?
        var index = 0
        while index < arguments.count {
            let name = arguments[index]
            let value = index + 1 < arguments.count ? arguments[index + 1] : nil
            switch name {
            case "--python" where value != nil:
                python = value ?? python; index += 1
            case "--preload" where value != nil:
                preload = (value ?? "").split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
                index += 1
            case "--zygote":
                zygote = true
            case "--connect" where value != nil:
                connect = value; index += 1
            case "--memory-limit" where value != nil:
                memoryLimit = value.flatMap { Int($0) }; index += 1
            default:
                if sandbox.consume(name, value), WorkerSandboxOptions.takesValue(name) { index += 1 }
            }
            index += 1
        }
        if zygote {
            ForkServerMain(python: python, preload: preload).run()
        }
        if let connect {
            // Before the sandbox: its network namespace may hold no route to
            // the runtime, and a socket keeps the namespace it was made in.
            let ticket = ProcessInfo.processInfo.environment[FrameProtocol.ticketVariable] ?? ""
            RemoteConnection.establish(address: connect, ticket: ticket,
                                       tlsCertificate: ProcessInfo.processInfo.environment[WorkerTLS.certificateVariable])
            // Nothing of the node's launcher (Ray's variables, its tokens) is
            // the program's business: only the variables the runtime listed stay.
            let environment = ProcessInfo.processInfo.environment
            let kept = Set((environment[FrameProtocol.keptEnvironmentVariable] ?? "").split(separator: ",").map(String.init))
            for name in environment.keys where !kept.contains(name) { unsetenv(name) }
        }
        // First of all, while this process has one thread: from here on it is
        // the session's worker inside its own namespaces.
        let (confined, refused) = WorkerSandbox(options: sandbox).enter()
        WorkerProcessMain(python: python, preload: preload, sandbox: sandbox, confined: confined, refused: refused,
                          separateReplies: connect == nil, memoryLimit: connect == nil ? nil : memoryLimit).run(prepared: nil)
    }
}

/// The state of the running worker, reachable from Python's C callbacks.
final class WorkerContext: Sendable {
    let channel: WorkerChannel
    /// The worker's own process: made in it, before the program runs.
    let pid = getpid()
    init(channel: WorkerChannel) { self.channel = channel }

    /// Set once, before the interpreter starts; read by the C callback.
    nonisolated(unsafe) static var current: WorkerContext?

    /// Whether this is a copy of the worker that the program forked
    /// (`os.fork`, multiprocessing): only the worker's own process may
    /// write frames, or the copies' frames would interleave with its own
    /// and the runtime would cut the session off.
    static var inForkedChild: Bool {
        guard let current else { return false }
        return getpid() != current.pid
    }
}

/// `_runtime_native.emit(kind, a, b)`: how Python code reaches the frame channel.
let emitCallback: @convention(c) (UnsafeMutablePointer<PyObject>?, UnsafeMutablePointer<PyObject>?) -> UnsafeMutablePointer<PyObject>? = { _, args in
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
    // The Python side sends a forked process's output to the raw streams
    // and refuses its saves; this is the last guard of the frame channel.
    guard !WorkerContext.inForkedChild else {
        shim_raise_runtime_error("the runtime's channel belongs to the session's own process, not to one the program forked")
        return nil
    }
    // Writing may block on a full pipe: let other Python threads run meanwhile.
    let saved = PyEval_SaveThread()
    // What the program's copies wrote before comes first: a Pool worker's
    // line does not overtake the header the parent printed before it.
    RawOutputForwarder.current?.flush()
    switch kind {
    case "output": context.channel.sendOutput(stream: a == "stderr" ? .stderr : .stdout, text: b)
    case "ready": context.channel.send(.ready(name: a, valueType: b.cut(toBytes: WorkerMessage.maximumNameBytes)))
    default: break
    }
    PyEval_RestoreThread(saved)
    return shim_newref_none()
}

struct WorkerProcessMain {
    var python: String
    var preload: [String]
    var sandbox: WorkerSandboxOptions
    /// False when the kernel refused the namespaces: no program may run then.
    var confined: Bool
    /// Sandbox measures the kernel refused, reported in the hello.
    var refused: [String]
    /// A remote worker's session memory limit in bytes, watched by the worker itself.
    /// A local worker answers requests on fd 4, a pipe of its own; a remote
    /// one on its connection, with everything else.
    var separateReplies: Bool
    var memoryLimit: Int? = nil

    /// Runs the worker. `prepared` is the interpreter a fork server set up
    /// before forking this process; nil starts one here.
    func run(prepared: PreparedInterpreter?) -> Never {
        // The runtime hands a local worker five descriptors: 0 requests,
        // 1 frames, 2 and 3 the program's raw stderr and stdout, 4 replies
        // (a remote one has no 4: it answers on its connection, as does a
        // worker started with four by hand). Keep the frame channels off 0
        // and 1, which the program and its subprocesses use: fd 1 becomes the
        // raw stdout pipe, fd 0 reads /dev/null. Off 4 too, closed on exec
        // like the others.
        var replyFD: Int32?
        if separateReplies, fcntl(4, F_GETFD) >= 0 {
            replyFD = fcntl(4, F_DUPFD_CLOEXEC, 5)
            close(4)
        }
        let requestFD = fcntl(0, F_DUPFD_CLOEXEC, 5)
        let frameFD = fcntl(1, F_DUPFD_CLOEXEC, 5)
        guard requestFD >= 0, frameFD >= 0, replyFD ?? 0 >= 0 else { _exit(70) }
        if fcntl(3, F_GETFD) >= 0 {
            dup2(3, 1)
            close(3)
        } else {
            dup2(2, 1)
        }
        let devNull = open("/dev/null", O_RDONLY)
        if devNull >= 0 { dup2(devNull, 0); close(devNull) }

        let channel = WorkerChannel(fd: frameFD, replyFD: replyFD)
        WorkerContext.current = WorkerContext(channel: channel)
        guard confined else {
            // Fail closed: without its namespaces a program could signal the
            // server and outlive its session.
            channel.send(.fatal("cannot contain a session here: \(refused.joined(separator: "; "))"))
            _exit(76)
        }

        let interpreter: PreparedInterpreter
        if let prepared {
            interpreter = prepared
        } else {
            do {
                try PythonInterpreter.initialize(programName: python)
            } catch {
                channel.send(.fatal("cannot start Python from \(python): \(error)"))
                _exit(71)
            }
            do {
                interpreter = try PreparedInterpreter.prepare(preload: preload)
            } catch {
                channel.send(.fatal("cannot prepare the interpreter: \(error)"))
                _exit(72)
            }
            PythonInterpreter.releaseAfterInitialization()
        }
        let handler = interpreter.handler
        let pythonFolders = interpreter.pythonFolders
        channel.send(.hello(interpreter.hello(pid: getpid(), refused: refused)))

        // Wait for the run on this thread, confine the files it may touch,
        // and only then start the thread that serves requests: Landlock binds
        // the thread that applies it and the threads it starts afterwards.
        // One reader for the channel's whole life: it keeps what it read past a frame.
        let requests = WorkerFrameReader(fd: requestFD)
        let job = awaitRun(requests, handler: handler, channel: channel)
        var refusedFiles = WorkerSandbox.restrictFiles(session: job.directory, readable: pythonFolders + job.readable)
        let unbound = WorkerSandbox.otherThreads()
        if sandbox.enabled, unbound > 0 {
            // A program could run code on a thread Landlock does not bind.
            refusedFiles.append("\(unbound) thread(s) started before Landlock (a preloaded library's pool?) are not bound by it")
        }
        var first: WorkerRequest.RunOrder? = job
        if !refusedFiles.isEmpty {
            let reason = refusedFiles.joined(separator: "; ")
            if sandbox.enabled && sandbox.uid == nil {
                // Sessions share the server's uid: Landlock is their only
                // file barrier, so without it no program runs.
                channel.send(.failed(ProgramError(type: "ContainmentUnavailable",
                                                  message: "the session's files cannot be confined here: \(reason)")))
                first = nil
            } else {
                channel.send(.warning(reason))
            }
        }
        let runs = RunMailbox()
        // Reads requests until the runtime closes the channel, then ends the process.
        WorkerRequestServer(reader: requests, handler: handler, channel: channel, runs: runs).start()
        if let raw = RemoteConnection.rawOutput {
            // A remote worker's fds 1 and 2, which its copies write to too.
            RawOutputForwarder(stdout: raw.stdout, stderr: raw.stderr, channel: channel).start()
        } else if let copies = CopyOutput.make() {
            RawOutputForwarder(stdout: copies.stdout.read, stderr: copies.stderr.read, channel: channel).start()
            handler.setCopyOutput(stdout: copies.stdout.write, stderr: copies.stderr.write)
        }
        if let memoryLimit { MemoryWatch(limit: memoryLimit, channel: channel).start() }

        // The main thread runs the session's program, so that SIGINT raises
        // KeyboardInterrupt in it.
        var next: WorkerRequest.RunOrder? = first
        while true {
            let current = next ?? runs.next()
            next = nil
            channel.setOutputCap(current.outputCap)
            SessionFolder.current = current.directory
            enterSession(current.directory)
            let result = handler.runProgram(directory: current.directory, mainFile: current.mainFile)
            // The helper ends a forked copy that comes back from the main
            // file; one that got here anyway ends without a word.
            if WorkerContext.inForkedChild { _exit(1) }
            RawOutputForwarder.current?.flush()
            channel.send(result)
        }
    }

    /// Points HOME and TMPDIR into the session's folder. A stop that lands
    /// here (a KeyboardInterrupt raised in this Python code) is kept for the
    /// program: dropped, the program would run on until the stop's kill.
    private func enterSession(_ directory: String) {
        PythonInterpreter.withGIL {
            do {
                _ = try PythonInterpreter.importModule("_runtime_sandbox").attribute("enter_session").call([try .string(directory)])
            } catch let error as PythonError where error.typeName == "KeyboardInterrupt" {
                PyErr_Clear()
                PyErr_SetInterrupt()  // raised again at the program's first instruction
            } catch {
                PyErr_Clear()
            }
        }
    }

    /// Reads frames until the run arrives; anything asked before it is
    /// answered with an error (there is nothing to read yet).
    private func awaitRun(_ requests: WorkerFrameReader, handler: WorkerRequestHandler, channel: WorkerChannel) -> WorkerRequest.RunOrder {
        while true {
            guard case .frame(let header, let parts) = requests.next() else { _exit(0) }
            if let refusal = header["refused"]?.stringValue {
                FileHandle.standardError.write(Data("runtime-worker: the runtime refused this worker: \(refusal)\n".utf8))
                _exit(77)
            }
            if case .run(var order)? = try? WorkerRequest.decode(header, parts: parts) {
                guard !order.files.isEmpty else { return order }
                do {
                    order.directory = try RemoteConnection.writeFiles(order.files)
                    order.files = []
                    return order
                } catch {
                    channel.send(.failed(ProgramError(type: "RuntimeUnavailable", message: "cannot write the program's files: \(error)")))
                    _exit(74)
                }
            }
            if let rid = header["rid"] {
                channel.send(.failure(RuntimeError(.placeholderNotFound, "the run has not started: nothing is saved yet")), rid: rid)
            }
        }
    }
}


/// The folder of the session being run: where a remote worker resolves data paths.
enum SessionFolder {
    private static let folder = Mutex<String>("/nonexistent")
    static var current: String {
        get { folder.withLock { $0 } }
        set { folder.withLock { $0 = newValue } }
    }
}

/// Hands run requests from the request thread to the main thread.
final class RunMailbox: Sendable {
    private let jobs = Mutex<[WorkerRequest.RunOrder]>([])
    private let signal = DispatchSemaphore(value: 0)

    func post(_ job: WorkerRequest.RunOrder) {
        jobs.withLock { $0.append(job) }
        signal.signal()
    }

    func next() -> WorkerRequest.RunOrder {
        while true {
            signal.wait()
            if let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return job }
        }
    }
}
