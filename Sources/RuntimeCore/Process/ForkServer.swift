import CSandbox
import Dispatch
import Foundation
import Glibc
import Logging
import Synchronization
import WorkerFrames

/// The runtime's handle on its fork server (`runtime-worker --zygote`): a
/// process that has started the interpreter and imported the preloaded
/// modules once, and forks session workers on request, so a session gets a
/// worker in milliseconds instead of an interpreter start.
///
/// Requests go one at a time over a `SOCK_SEQPACKET` socket, on a thread of
/// their own (the calls block for a fork, a few milliseconds). The forked
/// worker's parent is this process (`CLONE_PARENT`), so everything after the
/// fork is the spawn path's: the reader thread, the pidfd, the reaping. A fork
/// server that dies is started again on the next request; one that cannot
/// start (or refuses to fork) is reported, and workers are spawned instead.
package final class ForkServer: Sendable {
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    private struct State {
        var pid: pid_t = 0
        var control: Int32 = -1
        var stopped = false
        /// Why the fork server is not used any more (it refused to start).
        var unusable: String?
        var starts = 0
    }

    private let executable: String
    private let arguments: [String]
    private let environment: [String: String]
    private let logger: Logger
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "runtime-fork-server")
    /// How long the fork server may take to prepare (import the preloads).
    private let startLimit: Int32 = 30_000
    /// How long one fork may take.
    private let forkLimit: Int32 = 20_000

    /// - Parameters:
    ///   - arguments: the worker arguments naming the Python and the preloads.
    package init(executable: String, arguments: [String], environment: [String: String], logger: Logger) {
        self.executable = executable
        self.arguments = arguments + ["--zygote"]
        self.environment = environment
        self.logger = logger
    }

    /// The fork server's pid while it runs (for tests).
    package var pid: pid_t? { state.withLock { $0.pid > 0 ? $0.pid : nil } }

    /// Why it is not used, once it could not start.
    package var unusable: String? { state.withLock { $0.unusable } }

    /// How many fork servers were started so far (1 unless one died).
    package var starts: Int { state.withLock { $0.starts } }

    /// Forks a worker whose fds 0...3 are `descriptors`, confined by
    /// `sandboxArguments`. The descriptors stay the caller's (it closes them).
    package func fork(sandboxArguments: [String], descriptors: [Int32]) async throws(Failure) -> pid_t {
        let result: Result<pid_t, Failure> = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: self.forkNow(sandboxArguments, descriptors))
            }
        }
        return try result.get()
    }

    /// Starts the fork server now (else the first fork does).
    package func start() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                _ = self.ensureStarted()
                continuation.resume()
            }
        }
    }

    /// Ends the fork server: its socket closes, it exits, it is reaped.
    package func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                self.state.withLock { $0.stopped = true }
                self.endCurrent(kill: false)
                continuation.resume()
            }
        }
    }

    // MARK: On the queue

    private func forkNow(_ sandboxArguments: [String], _ descriptors: [Int32]) -> Result<pid_t, Failure> {
        // One retry: a fork server that died since the last request is replaced.
        var lastProblem = "the fork server is not running"
        for _ in 0..<2 {
            switch ensureStarted() {
            case .failure(let failure): return .failure(failure)
            case .success(let control):
                switch request(control, sandboxArguments, descriptors) {
                case .success(let pid): return .success(pid)
                case .failure(let problem):
                    lastProblem = problem.description
                    logger.warning("the fork server failed; starting another", metadata: ["reason": "\(problem)"])
                    endCurrent(kill: true)
                }
            }
        }
        return .failure(Failure(description: lastProblem))
    }

    private func request(_ control: Int32, _ sandboxArguments: [String], _ descriptors: [Int32]) -> Result<pid_t, Failure> {
        var message: [UInt8] = []
        for argument in sandboxArguments { message += Array(argument.utf8) + [0] }
        if message.isEmpty { message = [0] }
        let sent = message.withUnsafeBytes { raw in
            sandbox_send_with_fds(control, raw.baseAddress, raw.count, descriptors, Int32(descriptors.count))
        }
        guard sent >= 0 else { return .failure(Failure(description: "send: \(String(cString: strerror(errno)))")) }
        switch receiveLine(control, timeout: forkLimit) {
        case .failure(let failure): return .failure(failure)
        case .success(let line):
            if line.hasPrefix("ok "), let pid = pid_t(line.dropFirst(3)), pid > 0 { return .success(pid) }
            return .failure(Failure(description: line.hasPrefix("error ") ? String(line.dropFirst(6)) : "unexpected answer '\(line)'"))
        }
    }

    private func ensureStarted() -> Result<Int32, Failure> {
        let current = state.withLock { $0 }
        if current.stopped { return .failure(Failure(description: "the runtime is shutting down")) }
        if let unusable = current.unusable { return .failure(Failure(description: unusable)) }
        if current.control >= 0 { return .success(current.control) }

        var pair: [Int32] = [-1, -1]
        guard sandbox_socketpair_seqpacket(&pair) == 0 else {
            return .failure(Failure(description: "socketpair: \(String(cString: strerror(errno)))"))
        }
        let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
        // fd 0 the control socket, 1 /dev/null, 2 our stderr (its tracebacks, if any).
        let spawned = ChildSpawner.spawn(executable: executable, arguments: arguments,
                                         descriptors: [pair[1], devNull >= 0 ? devNull : pair[1], 2], environment: environment)
        close(pair[1])
        if devNull >= 0 { close(devNull) }
        guard case .success(let pid) = spawned else {
            close(pair[0])
            let reason = "cannot start the fork server \(executable)"
            state.withLock { $0.unusable = reason }
            return .failure(Failure(description: reason))
        }
        state.withLock {
            $0.pid = pid
            $0.control = pair[0]
            $0.starts += 1
        }
        switch receiveLine(pair[0], timeout: startLimit) {
        case .success("ready \(FrameProtocol.version)"):
            logger.debug("fork server ready", metadata: ["pid": "\(pid)"])
            return .success(pair[0])
        case .success(let line) where line.hasPrefix("ready"):
            let reason = "the fork server speaks another frame protocol ('\(line)', this runtime \(FrameProtocol.version))"
            endCurrent(kill: true)
            state.withLock { $0.unusable = reason }
            logger.warning("no fork server: workers are spawned instead", metadata: ["reason": "\(reason)"])
            return .failure(Failure(description: reason))
        case .success(let line):
            let reason = line.hasPrefix("fatal ") ? String(line.dropFirst(6)) : "unexpected answer '\(line)'"
            endCurrent(kill: true)
            state.withLock { $0.unusable = reason }
            logger.warning("no fork server: workers are spawned instead", metadata: ["reason": "\(reason)"])
            return .failure(Failure(description: reason))
        case .failure(let failure):
            endCurrent(kill: true)
            state.withLock { $0.unusable = failure.description }
            logger.warning("no fork server: workers are spawned instead", metadata: ["reason": "\(failure.description)"])
            return .failure(failure)
        }
    }

    private func receiveLine(_ control: Int32, timeout: Int32) -> Result<String, Failure> {
        var probe = pollfd(fd: control, events: Int16(POLLIN), revents: 0)
        var ready: Int32
        repeat { ready = poll(&probe, 1, timeout) } while ready < 0 && errno == EINTR
        guard ready > 0 else { return .failure(Failure(description: "the fork server did not answer within \(timeout) ms")) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var fds = [Int32](repeating: -1, count: Int(SANDBOX_MAX_PASSED_FDS))
        var count: Int32 = 0
        let length = buffer.withUnsafeMutableBytes { raw in
            sandbox_receive_with_fds(control, raw.baseAddress, raw.count, &fds, Int32(fds.count), &count)
        }
        for fd in fds.prefix(Int(count)) { close(fd) }  // it never sends any
        guard length > 0 else { return .failure(Failure(description: "the fork server ended")) }
        return .success(String(decoding: buffer.prefix(Int(length)), as: UTF8.self))
    }

    /// Closes the socket (the fork server then exits), kills it if asked, and reaps it.
    private func endCurrent(kill: Bool) {
        let (pid, control) = state.withLock { state -> (pid_t, Int32) in
            defer { state.pid = 0; state.control = -1 }
            return (state.pid, state.control)
        }
        if control >= 0 { close(control) }
        guard pid > 0 else { return }
        if kill { _ = Glibc.kill(pid, SIGKILL) }
        var status: Int32 = 0
        // It exits at once when its socket closes; a wedged one is killed after 2 s.
        for _ in 0..<200 {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || (reaped < 0 && errno == ECHILD) { return }
            usleep(10_000)
        }
        _ = Glibc.kill(pid, SIGKILL)
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}
