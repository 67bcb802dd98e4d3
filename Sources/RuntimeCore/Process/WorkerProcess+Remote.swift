import Dispatch
import Foundation
import Glibc
import Synchronization
import RuntimeJSON
import WorkerFrames

/// A remote worker: the same handle, over one connected socket instead of a
/// child process's pipes. Its end is the connection's end, the job ending
/// cuts the connection, and what would be signals travel as frames.
extension WorkerProcess {
    /// A remote worker that connected on `fd` (its ticket checked) from
    /// inside `job`: the same frames as a local one, on one socket. Its end
    /// is the connection's end; the job ending closes the connection.
    static func connected(fd: Int32, job: any RemoteWorkerJob, maximumFrameBytes: Int) -> WorkerProcess {
        WorkerProcess.ignoreSIGPIPE
        // The writer gets a descriptor of its own to close; both share the socket.
        let writerFD = fcntl(fd, F_DUPFD_CLOEXEC, 0)
        let worker = WorkerProcess(pid: 0, requestFD: writerFD, cgroup: nil, uid: nil, maximumFrameBytes: maximumFrameBytes,
                                   forked: false, remote: job, socket: fd)
        let reader = Thread {
            worker.readFrames(from: fd, replies: -1, output: -1, errors: -1)
        }
        reader.name = "runtime-worker-\(job.id)"
        reader.start()
        Task {
            let reason = await job.ended()
            worker.remoteEnded(reason)
        }
        return worker
    }

    /// The remote job ended: its connection goes with it (a node lost
    /// without a word would otherwise hold it open until keep-alive gave up).
    func remoteEnded(_ reason: String) {
        state.withLock { state in
            if state.remoteEnd == nil { state.remoteEnd = reason }
            if !state.ended { _ = Glibc.shutdown(socket, Int32(SHUT_RDWR)) }
        }
    }

    /// A remote worker cannot be signalled from here: the interrupt and the
    /// children's end travel as frames; a kill cuts the connection (the
    /// worker ends at once on its end) and stops the job.
    func signalRemote(_ number: Int32, job: any RemoteWorkerJob) {
        switch number {
        case SIGINT: try? writer.enqueue(.interrupt)
        case SIGUSR1: try? writer.enqueue(.stopChildren)
        default:
            let open = state.withLock { state -> Bool in
                if state.remoteEnd == nil { state.remoteEnd = "was killed by the runtime" }
                if !state.ended { _ = Glibc.shutdown(socket, Int32(SHUT_RDWR)) }
                return !state.ended
            }
            guard open else { return }
            Task { await job.stop() }
        }
    }

    /// Why a remote worker's connection ended: what the runtime or the job
    /// said, or, when the connection merely closed, what the job says
    /// within 5 seconds (a worker killed for memory, a node lost: Ray needs
    /// its health checks to notice that one). Blocks the reader thread.
    func remoteEndReason(_ job: any RemoteWorkerJob) -> String {
        if let known = state.withLock({ $0.remoteEnd }) { return known }
        let node = state.withLock { $0.node }
        let fallback = "its connection closed unexpectedly: the worker process or its node ended "
            + "(job \(job.id)\(node.map { " on node \($0)" } ?? ""); its launcher had not said why within 5 s)"
        let said = Mutex<String?>(nil)
        let settled = DispatchSemaphore(value: 0)
        let settle: @Sendable (String) -> Void = { text in
            let first = said.withLock { said -> Bool in
                guard said == nil else { return false }
                said = text
                return true
            }
            if first { settled.signal() }
        }
        let asking = Task { settle(await job.ended()) }
        let timer = Task {
            try await Task.sleep(for: .seconds(5))
            settle(fallback)
        }
        settled.wait()
        asking.cancel()
        timer.cancel()
        return state.withLock { $0.remoteEnd } ?? said.withLock { $0 } ?? fallback
    }
}
