import CPython
import Foundation
import Glibc
import Synchronization

/// What a worker process reports besides replies to requests.
enum WorkerEvent: Sendable {
    case placeholderReady(name: String, valueType: String)
    case output(stream: String, text: String, truncated: Bool)
    case finished
    case failed(JSONValue)
    /// The process ended; always the last event.
    case exited(WorkerExit)
}

/// What a worker says when it is ready.
struct WorkerHello: Sendable {
    var pid: Int32
    var pythonVersion: String
    var pythonExecutable: String
    var pythonPrefix: String
    var preloaded: [String]
    var preloadErrors: [(String, String)]
}

/// The runtime's handle on one worker process: its frame channel, the events
/// it reports, requests with their replies, and the signals that stop it.
package final class WorkerProcess: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private struct State {
        var nextRequest: Int64 = 1
        var pending: [Int64: CheckedContinuation<JSONValue, any Error>] = [:]
        var exit: WorkerExit?
        /// Set once the process has ended but before it is reaped, so that no
        /// signal is ever sent to a reused pid.
        var ended = false
        var requestFD: Int32
    }

    package let pid: pid_t
    /// Events in the order the worker sent them, ending with `.exited`.
    let events: AsyncStream<WorkerEvent>
    /// The worker's greeting, or why it could not start.
    let hello: Promise<Result<WorkerHello, Failure>>
    private let state: Mutex<State>
    private let continuation: AsyncStream<WorkerEvent>.Continuation
    private let exitPromise = Promise<WorkerExit>()

    private init(pid: pid_t, requestFD: Int32) {
        self.pid = pid
        self.state = Mutex(State(requestFD: requestFD))
        (events, continuation) = AsyncStream.makeStream(of: WorkerEvent.self, bufferingPolicy: .unbounded)
        hello = Promise()
    }

    /// Starts a worker process and the thread that reads its frames.
    static func spawn(executable: String, arguments: [String]) throws(Failure) -> WorkerProcess {
        WorkerProcess.ignoreSIGPIPE
        var requestPipe: [Int32] = [-1, -1]
        var framePipe: [Int32] = [-1, -1]
        guard shim_pipe_cloexec(&requestPipe) == 0 else { throw Failure(description: "pipe: \(String(cString: strerror(errno)))") }
        guard shim_pipe_cloexec(&framePipe) == 0 else {
            close(requestPipe[0]); close(requestPipe[1])
            throw Failure(description: "pipe: \(String(cString: strerror(errno)))")
        }
        let spawned = ChildSpawner.spawn(executable: executable, arguments: arguments,
                                         stdinFD: requestPipe[0], stdoutFD: framePipe[1])
        close(requestPipe[0])
        close(framePipe[1])
        let pid: pid_t
        switch spawned {
        case .success(let p): pid = p
        case .failure(let error):
            close(requestPipe[1]); close(framePipe[0])
            throw Failure(description: "cannot start worker \(executable): \(String(cString: strerror(error.code)))")
        }
        let worker = WorkerProcess(pid: pid, requestFD: requestPipe[1])
        let frameFD = framePipe[0]
        let reader = Thread { worker.readFrames(from: frameFD) }
        reader.name = "runtime-worker-\(pid)"
        reader.start()
        return worker
    }

    private static let ignoreSIGPIPE: Void = {
        // A worker that died leaves a closed pipe: writing to it must fail, not kill us.
        _ = Glibc.signal(SIGPIPE, SIG_IGN)
    }()

    /// Whether the process has ended.
    var hasEnded: Bool { state.withLock { $0.ended } }

    /// How the process ended, once it has.
    var exit: WorkerExit { get async { await exitPromise.value } }

    /// Sends a frame without waiting for an answer.
    func send(_ frame: JSONValue) throws(Failure) {
        let fd = state.withLock { $0.ended ? -1 : $0.requestFD }
        guard fd >= 0 else { throw Failure(description: "the worker process has ended") }
        do {
            try FrameIO.write(frame, to: fd)
        } catch {
            throw Failure(description: "the worker process is gone (\(error))")
        }
    }

    /// Sends a request (`rid` is added) and waits for its reply frame.
    func request(_ frame: JSONValue) async throws -> JSONValue {
        guard case .object(var pairs) = frame else { throw Failure(description: "requests are objects") }
        return try await withCheckedThrowingContinuation { continuation in
            let outcome: Result<(Int32, Int64), Failure> = state.withLock { state in
                if state.ended { return .failure(Failure(description: "the worker process has ended")) }
                let rid = state.nextRequest
                state.nextRequest += 1
                state.pending[rid] = continuation
                return .success((state.requestFD, rid))
            }
            switch outcome {
            case .failure(let failure):
                continuation.resume(throwing: failure)
            case .success(let (fd, rid)):
                pairs.append(("rid", .int(rid)))
                do {
                    // Frames are written whole by one writer at a time.
                    try writeLock.withLock { _ in try FrameIO.write(.object(pairs), to: fd) }
                } catch {
                    if let waiting = state.withLock({ $0.pending.removeValue(forKey: rid) }) {
                        waiting.resume(throwing: Failure(description: "the worker process is gone (\(error))"))
                    }
                }
            }
        }
    }

    private let writeLock = Mutex(())

    /// Sends SIGINT (a `KeyboardInterrupt` in the running program).
    func interrupt() { signal(SIGINT) }

    /// Sends SIGKILL.
    func kill() { signal(SIGKILL) }

    private func signal(_ number: Int32) {
        state.withLock { state in
            if !state.ended { _ = Glibc.kill(pid, number) }
        }
    }

    /// Asks the worker to leave (closing its request channel), and kills it if
    /// it has not gone within `grace`. Returns once the process is reaped.
    package func terminate(grace: Duration = .seconds(2)) async {
        state.withLock { state in
            if state.requestFD >= 0 { close(state.requestFD); state.requestFD = -1 }
        }
        if hasEnded { _ = await exit; return }
        let killer = Task {
            try await Task.sleep(for: grace)
            self.kill()
        }
        _ = await exit
        killer.cancel()
    }

    /// The reader thread: decodes frames until the worker's end, then reaps it.
    private func readFrames(from fd: Int32) {
        while true {
            let frame: JSONValue?
            do {
                frame = try FrameIO.read(from: fd)
            } catch {
                frame = nil
            }
            guard let frame else { break }
            dispatch(frame)
        }
        close(fd)
        // Wait for the end without reaping, mark it, then reap: a signal is
        // never sent to a pid that could have been reused.
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        state.withLock { $0.ended = true }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exit = WorkerExit(waitStatus: status)
        let pending = state.withLock { state -> [CheckedContinuation<JSONValue, any Error>] in
            state.exit = exit
            if state.requestFD >= 0 { close(state.requestFD); state.requestFD = -1 }
            let waiting = Array(state.pending.values)
            state.pending = [:]
            return waiting
        }
        for waiter in pending { waiter.resume(throwing: Failure(description: "the worker process \(exit)")) }
        hello.fulfil(.failure(Failure(description: "the worker process \(exit) before it was ready")))
        exitPromise.fulfil(exit)
        continuation.yield(.exited(exit))
        continuation.finish()
    }

    private func dispatch(_ frame: JSONValue) {
        switch frame["ev"]?.stringValue {
        case "reply":
            guard case .int(let rid)? = frame["rid"],
                let waiter = state.withLock({ $0.pending.removeValue(forKey: rid) })
            else { return }
            waiter.resume(returning: frame)
        case "hello":
            let errors = (frame["preloadErrors"]?.objectValue ?? []).map { ($0.0, $0.1.stringValue ?? "") }
            hello.fulfil(.success(WorkerHello(
                pid: Int32(frame["pid"]?.intValue ?? Int(pid)),
                pythonVersion: frame["version"]?.stringValue ?? "",
                pythonExecutable: frame["executable"]?.stringValue ?? "",
                pythonPrefix: frame["prefix"]?.stringValue ?? "",
                preloaded: (frame["preloaded"]?.arrayValue ?? []).compactMap(\.stringValue),
                preloadErrors: errors)))
        case "fatal":
            hello.fulfil(.failure(Failure(description: frame["message"]?.stringValue ?? "the worker could not start")))
        case "ready":
            continuation.yield(.placeholderReady(name: frame["name"]?.stringValue ?? "", valueType: frame["type"]?.stringValue ?? ""))
        case "output":
            continuation.yield(.output(stream: frame["stream"]?.stringValue ?? "stdout", text: frame["text"]?.stringValue ?? "",
                                       truncated: frame["truncated"]?.boolValue ?? false))
        case "finished":
            continuation.yield(.finished)
        case "failed":
            continuation.yield(.failed(frame["error"] ?? .null))
        default:
            break
        }
    }
}
