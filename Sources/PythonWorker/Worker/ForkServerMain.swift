import CPython
import CSandbox
import Foundation
import Glibc
import RuntimeJSON
import WorkerFrames

/// The fork server ("zygote"): one process per Python environment and
/// preload set that starts the interpreter and imports the preloaded modules
/// once, then forks a session worker for each request of the runtime.
///
/// Started as `runtime-worker --zygote --python P --preload a,b` with its
/// control socket (`SOCK_SEQPACKET`) as fd 0. It answers with one line
/// `ready VERSION` (the frame protocol) or `fatal REASON` once prepared, then serves requests: each is
/// the worker's sandbox arguments (NUL-separated) with the worker's four
/// descriptors attached (`SCM_RIGHTS`: requests, frames, raw stderr, raw
/// stdout), answered `ok PID` or `error REASON`. It ends when the runtime
/// closes the socket (which a SIGKILL of the server does too).
///
/// Each worker is made with `clone(CLONE_PARENT)`: its parent is the server,
/// which reaps it and signals it through a pidfd, exactly like a spawned
/// worker; the fork server never holds a worker, so its own death (it is
/// restarted) touches no session. The fork happens while this process has a
/// single thread (checked before every fork; numerical libraries are kept
/// single-threaded by the worker environment), between `PyOS_BeforeFork`
/// and `PyOS_AfterFork_Parent`/`_Child`, after `gc.freeze()`. No Swift
/// concurrency runs here.
struct ForkServerMain {
    var python: String
    var preload: [String]

    private static let control: Int32 = 0

    func run() -> Never {
        do {
            try PythonInterpreter.initialize(programName: python)
        } catch {
            Self.reply("fatal cannot start Python from \(python): \(error)")
            _exit(71)
        }
        let prepared: PreparedInterpreter
        do {
            prepared = try PreparedInterpreter.prepare(preload: preload)
            try prepared.freezeForForking()
        } catch {
            Self.reply("fatal cannot prepare the interpreter: \(error)")
            _exit(72)
        }
        let threads = WorkerSandbox.otherThreads()
        guard threads == 0 else {
            Self.reply("fatal the fork server has \(threads) thread(s) besides its own after preloading: forking could copy a lock held by one")
            _exit(73)
        }
        var saved = PyEval_SaveThread()
        Self.reply("ready \(FrameProtocol.version)")
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            var fds = [Int32](repeating: -1, count: Int(SANDBOX_MAX_PASSED_FDS))
            var count: Int32 = 0
            let length = buffer.withUnsafeMutableBytes { raw in
                sandbox_receive_with_fds(Self.control, raw.baseAddress, raw.count, &fds, Int32(fds.count), &count)
            }
            let received = Array(fds.prefix(Int(count)))
            if length == 0 { _exit(0) }  // the runtime went away
            if length < 0 {
                for fd in received { close(fd) }
                if length == -2 { Self.reply("error the request was cut short"); continue }
                _exit(0)
            }
            guard received.count == 5 else {
                for fd in received { close(fd) }
                Self.reply("error a fork request carries 5 descriptors, not \(received.count)")
                continue
            }
            let arguments = buffer.prefix(Int(length)).split(separator: 0, omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }.filter { !$0.isEmpty }
            let others = WorkerSandbox.otherThreads()
            guard others == 0 else {
                for fd in received { close(fd) }
                Self.reply("error the fork server has \(others) other thread(s): it will not fork")
                continue
            }
            PyEval_RestoreThread(saved)
            PyOS_BeforeFork()
            let pid = sandbox_clone_beside_parent()
            if pid == 0 {
                ForkedWorker(arguments: arguments, descriptors: received, prepared: prepared).run()
            }
            let failure = errno
            PyOS_AfterFork_Parent()
            saved = PyEval_SaveThread()
            for fd in received { close(fd) }
            Self.reply(pid > 0 ? "ok \(pid)" : "error clone: \(String(cString: strerror(failure)))")
        }
    }

    private static func reply(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { raw in sandbox_send_with_fds(control, raw.baseAddress, raw.count, nil, 0) }
    }
}

/// A worker just forked by the fork server: it becomes what a spawned worker
/// is (its five descriptors at 0...4 and nothing else, signals at their
/// defaults, a session of its own, then its sandbox), and goes on with the
/// interpreter it inherited.
private struct ForkedWorker {
    var arguments: [String]
    var descriptors: [Int32]
    var prepared: PreparedInterpreter

    func run() -> Never {
        guard sandbox_child_prepare(descriptors, Int32(descriptors.count)) == 0 else { _exit(70) }
        var sandbox = WorkerSandboxOptions()
        var index = 0
        while index < arguments.count {
            let name = arguments[index]
            let value = index + 1 < arguments.count ? arguments[index + 1] : nil
            if sandbox.consume(name, value), WorkerSandboxOptions.takesValue(name) { index += 1 }
            index += 1
        }
        // Single-threaded still: the same confinement a spawned worker enters
        // first thing. It returns in the worker (pid 2 of the session).
        let (confined, refused) = WorkerSandbox(options: sandbox).enter()
        PyOS_AfterFork_Child()
        do {
            try prepared.afterFork()
        } catch {
            PyErr_Clear()
        }
        PythonInterpreter.releaseAfterInitialization()
        WorkerProcessMain(python: prepared.pythonExecutable, preload: prepared.preloaded, sandbox: sandbox,
                          confined: confined, refused: refused, separateReplies: true).run(prepared: prepared)
    }
}
