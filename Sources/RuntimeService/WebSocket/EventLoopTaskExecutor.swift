import NIOCore

/// Runs a task's jobs on a channel's event loop.
///
/// A connection's requests are read and served in a task preferring its
/// channel's event loop: a frame the loop has just read resumes the task on
/// that same thread, and the reply it writes needs no hop back to the loop.
/// Actors without an executor of their own (the sessions) then run there too.
/// Work that may take long (a program's files written, a large message
/// parsed, a stop awaited) is moved to the global executor by its caller
/// (``ProtocolHandler``, ``WebSocketSession``), so the loop keeps serving its
/// other connections.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
