import RuntimeJSON
import WorkerFrames

/// Reads a local worker's replies somewhere other than its reader thread.
///
/// A local worker answers requests on a pipe of their own (its reply channel),
/// apart from its events. Without a reader of this kind the worker's reader
/// thread reads the replies too, and hands each to the task that waits for
/// it: two thread wake-ups per reply (that thread's, then the waiting
/// task's). A server reads them on the event loop of the connection that
/// asked instead (RuntimeService's reader), where the waiting task runs: one
/// wake-up.
///
/// The reader is started when the worker gets its first request, from that
/// request's task, so it can read where that task runs.
package protocol WorkerReplyReader: Sendable {
    /// Reads `fd` (the read end of the reply pipe, owned from now on) until its end,
    /// giving each message to ``WorkerProcess/receiveReply(header:parts:)``;
    /// a message that breaks the protocol goes to
    /// ``WorkerProcess/cutOff(_:)`` and ends the reading. A message is at most
    /// ``FrameProtocol/maximumPipedReplyBytes``, checked before anything is
    /// allocated (larger replies come on the frame pipe).
    func startReading(_ fd: Int32, for worker: WorkerProcess) -> any WorkerReplyReading
}

/// A reading a ``WorkerReplyReader`` started.
package protocol WorkerReplyReading: Sendable {
    /// The current task is about to send a request (after the first, which
    /// started the reading); `idle`: no other request waits for a reply. The
    /// reading may move to where this task runs.
    func willSend(idle: Bool)

    /// The worker has ended: blocks the calling thread (the worker's reader
    /// thread) until every reply the worker sent has been read (the channel's
    /// end), or `grace` has passed (a process of the session still holds the
    /// channel); then stops reading and closes the descriptor.
    func finish(grace: Duration)
}
