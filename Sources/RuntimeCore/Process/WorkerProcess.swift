import CSandbox
import Foundation
import Glibc
import Synchronization
import RuntimeJSON
import WorkerFrames

/// The runtime's handle on one worker process: its frame channel, the events
/// it reports, requests with their replies, and the signals that stop it.
package final class WorkerProcess: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    struct State {
        var nextRequest: Int64 = 1
        var pending: [Int64: CheckedContinuation<WorkerReply, any Error>] = [:]
        var exit: WorkerExit?
        /// Set once the process has ended but before it is reaped, so that no
        /// signal is ever sent to a reused pid.
        var ended = false
        /// The frame channel is closed: nothing the worker holds can be asked for any more.
        var framesClosed = false
        /// Whether raw output (fds 1 and 2) belongs to a run yet.
        var attached = false
        /// Output bytes the worker may send in frames: its channel cuts at
        /// the run's cap, so more than that (and the marker) is forged.
        var frameOutputAllowance = Int.max
        var memoryKills = 0
        var warned = false
        /// The session folder handed to this worker's uid (given back at the end).
        var folder: URL?
        /// Why a remote worker's connection ended, once known (its job
        /// failed, the runtime cut it off).
        var remoteEnd: String?
        var node: String?
    }

    package let pid: pid_t
    /// Events in the order the worker sent them, ending with `.exited`.
    let events: AsyncStream<WorkerEvent>
    /// The worker's greeting, or why it could not start.
    let hello: Promise<Result<WorkerHello, Failure>>
    let state: Mutex<State>
    private let continuation: AsyncStream<WorkerEvent>.Continuation
    private let exitPromise = Promise<WorkerExit>()
    /// The worker's cgroups, if the runtime has any.
    let cgroup: WorkerCgroup?
    /// The uid the worker's session runs as, when the server switches.
    let uid: UInt32?
    /// Whether a fork server made it (else it was spawned).
    let forked: Bool
    /// The job a remote worker runs in (nil: a local child process, `pid`).
    package let remote: (any RemoteWorkerJob)?
    /// A remote worker's connection (-1 for a local one).
    let socket: Int32
    private let maximumFrameBytes: Int

    init(pid: pid_t, requestFD: Int32, cgroup: WorkerCgroup?, uid: UInt32?, maximumFrameBytes: Int, forked: Bool,
                 remote: (any RemoteWorkerJob)? = nil, socket: Int32 = -1) {
        self.pid = pid
        self.forked = forked
        self.remote = remote
        self.socket = socket
        self.cgroup = cgroup
        self.uid = uid
        self.maximumFrameBytes = maximumFrameBytes
        self.state = Mutex(State())
        self.writer = RequestWriter(fd: requestFD, limit: 64 << 20, name: "runtime-worker-\(pid)-requests")
        (events, continuation) = AsyncStream.makeStream(of: WorkerEvent.self, bufferingPolicy: .unbounded)
        hello = Promise()
    }

    /// Starts a worker process and the thread that reads its frames and
    /// output: forked by `forkServer` when there is one that works, else
    /// spawned from the worker executable.
    static func spawn(_ plan: WorkerSpawnPlan, forkServer: ForkServer? = nil) async throws(Failure) -> WorkerProcess {
        WorkerProcess.ignoreSIGPIPE
        var pipes: [[Int32]] = []
        for _ in 0..<4 {
            var pair: [Int32] = [-1, -1]
            guard sandbox_pipe_cloexec(&pair) == 0 else {
                let reason = String(cString: strerror(errno))
                for open in pipes { close(open[0]); close(open[1]) }
                plan.cgroup?.remove()
                plan.onEnd()
                throw Failure(description: "pipe: \(reason)")
            }
            pipes.append(pair)
        }
        let (request, frames, rawError, rawOutput) = (pipes[0], pipes[1], pipes[2], pipes[3])
        let childEnds = [request[0], frames[1], rawError[1], rawOutput[1]]
        var forked: pid_t?
        if let forkServer {
            forked = try? await forkServer.fork(sandboxArguments: plan.sandboxArguments, descriptors: childEnds)
        }
        let spawned: Result<pid_t, SpawnError> = forked.map { .success($0) }
            ?? ChildSpawner.spawn(executable: plan.executable, arguments: plan.arguments,
                                  descriptors: childEnds, environment: plan.environment)
        for fd in childEnds { close(fd) }
        let pid: pid_t
        switch spawned {
        case .success(let p): pid = p
        case .failure(let error):
            for fd in [request[1], frames[0], rawError[0], rawOutput[0]] { close(fd) }
            plan.cgroup?.remove()
            plan.onEnd()
            throw Failure(description: "cannot start worker \(plan.executable): \(String(cString: strerror(error.code)))")
        }
        let worker = WorkerProcess(pid: pid, requestFD: request[1], cgroup: plan.cgroup, uid: plan.uid,
                                   maximumFrameBytes: plan.maximumFrameBytes, forked: forked != nil)
        let onEnd = plan.onEnd
        let reader = Thread {
            worker.readFrames(from: frames[0], output: rawOutput[0], errors: rawError[0])
            worker.reclaimFolder()  // before the uid can go to another session
            onEnd()
        }
        reader.name = "runtime-worker-\(pid)"
        reader.start()
        return worker
    }

    static let ignoreSIGPIPE: Void = {
        // A worker that died leaves a closed pipe: writing to it must fail, not kill us.
        _ = Glibc.signal(SIGPIPE, SIG_IGN)
    }()

    /// The node a remote worker runs on (nil: this machine, or not known).
    var node: String? { state.withLock { $0.node } }

    func placed(on node: String?) { state.withLock { $0.node = node } }

    /// Whether the process has ended.
    var hasEnded: Bool { state.withLock { $0.ended } }

    /// Whether the worker can no longer answer: ended, or its frame channel
    /// closed (a remote worker's end is learnt some seconds later).
    var isUnreachable: Bool { state.withLock { $0.ended || $0.framesClosed } }

    /// How the process ended, once it has.
    var exit: WorkerExit { get async { await exitPromise.value } }

    /// Sends a request that has no reply (`run`), queued for the writer.
    func send(_ request: WorkerRequest) throws(Failure) {
        guard !hasEnded else { throw Failure(description: "the worker process has ended") }
        do {
            try writer.enqueue(request)
        } catch {
            throw Failure(description: error.description)
        }
    }

    /// Sends a request (`rid` is added) and waits for its reply frame. When
    /// the calling task is cancelled (its client went away), the worker is
    /// told to stop the request (`cancel`); it then answers `LIMIT_EXCEEDED`.
    func request(_ request: WorkerRequest) async throws -> WorkerReply {
        let rid = state.withLock { state -> Int64 in
            defer { state.nextRequest += 1 }
            return state.nextRequest
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let registered = state.withLock { state -> Bool in
                    if state.ended { return false }
                    state.pending[rid] = continuation
                    return true
                }
                guard registered else {
                    continuation.resume(throwing: Failure(description: "the worker process has ended"))
                    return
                }
                do {
                    try writer.enqueue(request, rid: rid)
                } catch {
                    if let waiting = state.withLock({ $0.pending.removeValue(forKey: rid) }) {
                        waiting.resume(throwing: Failure(description: "\(error)"))
                    }
                }
                if Task.isCancelled { cancelRequest(rid) }
            }
        } onCancel: {
            cancelRequest(rid)
        }
    }

    /// Asks the worker to stop request `rid`, if it is still waited for.
    private func cancelRequest(_ rid: Int64) {
        guard state.withLock({ $0.pending[rid] != nil }) else { return }
        try? writer.enqueue(.cancel(rid: rid))
    }

    /// Writes request frames from a thread of its own.
    let writer: RequestWriter

    /// Sends SIGINT (a `KeyboardInterrupt` in the running program).
    func interrupt() { signal(SIGINT) }

    /// Sends SIGKILL: the worker and every process of its session end.
    func kill() { signal(SIGKILL) }

    /// Ends every process of the session but the worker (its children).
    func killChildren() { signal(SIGUSR1) }

    /// From now on raw output (what is written to fds 1 and 2) belongs to a
    /// run and is reported as events; before, it is only logged.
    func attachOutput(cap: Int) {
        state.withLock { state in
            state.attached = true
            state.frameOutputAllowance = cap.addingReportingOverflow(64 << 10).overflow ? Int.max : cap + (64 << 10)
        }
    }

    /// How often the kernel killed one of the session's processes for
    /// memory, read when the worker ended.
    var memoryKills: Int { state.withLock { $0.memoryKills } }

    private func signal(_ number: Int32) {
        guard let remote else {
            state.withLock { state in
                if !state.ended { _ = Glibc.kill(pid, number) }
            }
            return
        }
        signalRemote(number, job: remote)
    }

    /// Closes the request channel (the worker then reads its end).
    private func closeRequests() { writer.close() }

    /// Records the session folder handed to this worker's uid, so that it is
    /// given back to root before the uid can be leased again.
    func assign(folder: URL) { state.withLock { $0.folder = folder } }

    /// Gives the session's folder back to root (the worker has ended).
    fileprivate func reclaimFolder() {
        guard uid != nil, let folder = state.withLock({ $0.folder }) else { return }
        try? SessionFolder.handOver(folder, to: 0)
    }

    /// Asks the worker to leave (closing its request channel), and kills it if
    /// it has not gone within `grace`. Returns once the process is reaped.
    package func terminate(grace: Duration = .seconds(2)) async {
        closeRequests()
        if remote != nil {
            // A remote worker reads the end of its requests and leaves. Only
            // while the connection is open: its number may name another one after.
            state.withLock { state in
                if !state.ended { _ = Glibc.shutdown(socket, Int32(SHUT_WR)) }
            }
        } else if hasEnded {
            _ = await exit
            return
        }
        let killer = Task {
            try await Task.sleep(for: grace)
            self.kill()
        }
        _ = await exit
        killer.cancel()
        // Its job is stopped (and deleted) in any case.
        await remote?.stop()
    }

    /// The reader thread: decodes frames and forwards raw output until the
    /// worker's end, then reaps it. A frame that breaks the protocol ends the
    /// worker: nothing it sends is trusted.
    func readFrames(from fd: Int32, output: Int32, errors: Int32) {
        var streams = output < 0 ? [] : [RawOutputStream(fd: output, name: "stdout"), RawOutputStream(fd: errors, name: "stderr")]
        // The process's end is learnt from a pidfd, not from the pipes: a
        // process that kept a copy of them could otherwise hold the reaping up.
        // A remote worker's end is its connection's.
        let ended = remote == nil ? sandbox_pidfd_open(pid) : -1
        var framesOpen = true
        var processEnded = false
        while framesOpen {
            var polled = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                          pollfd(fd: ended, events: Int16(POLLIN), revents: 0)]
            polled += streams.map { pollfd(fd: $0.isOpen ? $0.fd : -1, events: Int16(POLLIN), revents: 0) }
            // Once the process has ended, take only what is already written.
            if poll(&polled, nfds_t(polled.count), processEnded ? 0 : -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            // Output first: what the program wrote before a frame was sent is
            // reported before that frame (a run's end comes after its output).
            for index in streams.indices where polled[index + 2].revents != 0 {
                forward(streams[index].read())
            }
            if polled[1].revents != 0 { processEnded = true }
            guard polled[0].revents != 0 else {
                if processEnded { break }
                continue
            }
            do {
                guard let (header, parts) = try FrameIO.readMessage(from: fd, maximumSize: maximumFrameBytes) else {
                    break  // the worker has ended
                }
                switch WorkerMessage.decode(header, parts: parts) {
                case .success(let message):
                    // Output written before an event is reported before it;
                    // a reply is not an event, and is not held up by a look.
                    if case .reply = message {} else { drain(&streams) }
                    if let problem = dispatch(message) { cutOff(problem); framesOpen = false }
                case .failure(let violation):
                    drain(&streams)
                    cutOff(violation.description)
                    framesOpen = false
                }
            } catch {
                cutOff(error.description)
                framesOpen = false
            }
        }
        drain(&streams)
        state.withLock { $0.framesClosed = true }
        for stream in streams { close(stream.fd) }
        let exit: WorkerExit
        if let remote {
            exit = .disconnected(reason: remoteEndReason(remote))
            // Ended and closed at once: a shutdown is never sent to a reused number.
            state.withLock { state in
                state.ended = true
                close(fd)
            }
        } else {
            close(fd)
            if ended >= 0 { close(ended) }
            // Wait for the end without reaping, mark it, then reap: a signal is
            // never sent to a pid that could have been reused.
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
            state.withLock { $0.ended = true }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            exit = WorkerExit(waitStatus: status)
        }
        let kills = cgroup?.memoryKills() ?? 0
        state.withLock { $0.memoryKills = kills }
        cgroup?.remove()
        closeRequests()
        let pending = state.withLock { state -> [CheckedContinuation<WorkerReply, any Error>] in
            state.exit = exit
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

    /// Reads whatever raw output is waiting, without blocking.
    private func drain(_ streams: inout [RawOutputStream]) {
        for index in streams.indices {
            while streams[index].isOpen {
                var probe = pollfd(fd: streams[index].fd, events: Int16(POLLIN), revents: 0)
                guard poll(&probe, 1, 0) > 0 else { break }
                let chunk = streams[index].read()
                forward(chunk)
                if chunk == nil { break }
            }
        }
    }

    private func forward(_ chunk: (stream: String, text: String)?) {
        guard let chunk, !chunk.text.isEmpty else { return }
        if state.withLock({ $0.attached }) {
            continuation.yield(.output(stream: chunk.stream == "stderr" ? .stderr : .stdout, text: chunk.text, truncated: false))
        }
    }

    /// Ends a worker that broke the protocol.
    private func cutOff(_ problem: String) {
        continuation.yield(.violation(problem))
        kill()
    }

    /// Handles one message; returns what is wrong with it, if anything.
    private func dispatch(_ message: WorkerMessage) -> String? {
        switch message {
        case .reply(let rid, let reply):
            // A reply to a request that was cancelled or never made is dropped.
            if let waiter = state.withLock({ $0.pending.removeValue(forKey: rid) }) {
                waiter.resume(returning: reply)
            }
        case .hello(let greeting):
            guard !hello.isFulfilled else { return "a second hello" }
            guard greeting.version == FrameProtocol.version else {
                hello.fulfil(.failure(Failure(description: """
                    the worker binary speaks frame protocol \(greeting.version) but this runtime speaks \
                    frame protocol \(FrameProtocol.version): use the runtime-worker built with this runtime
                    """)))
                return "a worker of another frame protocol (\(greeting.version))"
            }
            hello.fulfil(.success(greeting))
        case .fatal(let reason):
            guard !hello.isFulfilled else { return "a fatal frame after the hello" }
            hello.fulfil(.failure(Failure(description: reason)))
        case .ready(let name, let type):
            continuation.yield(.placeholderReady(name: name, valueType: type))
        case .output(let stream, let text, let truncated):
            let withinCap = state.withLock { state in
                state.frameOutputAllowance -= text.utf8.count
                return state.frameOutputAllowance >= 0
            }
            guard withinCap else { return "output frames past the run's output cap" }
            continuation.yield(.output(stream: stream, text: text, truncated: truncated))
        case .warning(let text):
            let first = state.withLock { state -> Bool in
                defer { state.warned = true }
                return !state.warned
            }
            guard first else { return "more than one warning" }
            continuation.yield(.warning(text))
        case .finished:
            continuation.yield(.finished)
        case .failed(let error):
            continuation.yield(.failed(error))
        case .memoryExceeded(let limit, let resident):
            guard remote != nil else { return "a memory frame from a local worker" }
            continuation.yield(.limitReached(
                "the session passed its memory limit of \(limit >> 20) MiB (resident \(resident >> 20) MiB) and was killed"))
        }
        return nil
    }

}
