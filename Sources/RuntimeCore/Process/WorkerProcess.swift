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
        /// Requests given up on (``request(_:giveUpAfter:)``) whose one reply
        /// has not come yet: it is dropped when it does.
        var abandoned: Set<Int64> = []
        /// When requests that must be answered in time are given up on.
        var deadlines: [Int64: RequestDeadline] = [:]
        /// One timer for all of them, made at the first; when it fires next.
        var deadlineTimer: (any DispatchSourceTimer)?
        var deadlineTimerFires: DispatchTime?
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
        /// Who reads a local worker's reply channel.
        var replies: ReplyChannel = .sameAsFrames
    }

    /// Where a worker's replies are read.
    enum ReplyChannel {
        /// On the frame channel (a remote worker's one connection).
        case sameAsFrames
        /// On the reply channel, by the reader thread.
        case readerThread
        /// On the reply channel (this descriptor), by this reader once the
        /// first request is made.
        case waiting(Int32, any WorkerReplyReader)
        case starting
        case reading(any WorkerReplyReading)
        /// The worker has ended.
        case closed
    }

    package let pid: pid_t
    /// Events in the order the worker sent them, ending with `.exited`.
    let events: AsyncStream<WorkerEvent>
    /// The worker's greeting, or why it could not start.
    let hello: Promise<Result<WorkerHello, Failure>>
    let state: Mutex<State>
    let continuation: AsyncStream<WorkerEvent>.Continuation
    let exitPromise = Promise<WorkerExit>()
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
    /// The largest part (a raw frame) accepted from the worker.
    package let maximumFrameBytes: Int

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
        for _ in 0..<5 {
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
        // The worker's fds 0 requests, 1 frames (its events), 2 and 3 the
        // program's raw stderr and stdout, 4 its replies (see WorkerReplyReader).
        let (request, frames, rawError, rawOutput, replies) = (pipes[0], pipes[1], pipes[2], pipes[3], pipes[4])
        let childEnds = [request[0], frames[1], rawError[1], rawOutput[1], replies[1]]
        let replyFD = replies[0]
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
            for fd in [request[1], replyFD, frames[0], rawError[0], rawOutput[0]] { close(fd) }
            plan.cgroup?.remove()
            plan.onEnd()
            throw Failure(description: "cannot start worker \(plan.executable): \(String(cString: strerror(error.code)))")
        }
        let worker = WorkerProcess(pid: pid, requestFD: request[1], cgroup: plan.cgroup, uid: plan.uid,
                                   maximumFrameBytes: plan.maximumFrameBytes, forked: forked != nil)
        worker.state.withLock { $0.replies = plan.replyReader.map { .waiting(replyFD, $0) } ?? .readerThread }
        let onEnd = plan.onEnd
        let threadReplies = plan.replyReader == nil ? replyFD : -1
        let reader = Thread {
            worker.readFrames(from: frames[0], replies: threadReplies, output: rawOutput[0], errors: rawError[0])
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
    func closeRequests() { writer.close() }

    /// Records the session folder handed to this worker's uid, so that it is
    /// given back to root before the uid can be leased again.
    func assign(folder: URL) { state.withLock { $0.folder = folder } }

    /// Gives the session's folder back to root (the worker has ended).
    func reclaimFolder() {
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
}
