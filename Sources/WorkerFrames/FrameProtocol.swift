/// The version of the frames between the server and its workers. The worker
/// says it in its hello; the server refuses a worker that speaks another
/// (an old `runtime-worker` binary beside a new server) with a clear error.
///
/// History: 1 was untyped JSON objects; 2 is the typed frames of this module,
/// with encoded values travelling as raw parts after their header frame.
package enum FrameProtocol {
    package static let version = 2
    /// The most raw parts one message may carry.
    package static let maximumParts = 8
    /// The first argument that marks a process as a worker, when the worker
    /// is an executable of your own (`RuntimeWorker.runIfRequested()`).
    package static let workerFlag = "--runtime-worker"
}
