/// The version of the frames between the server and its workers. The worker
/// says it in its hello; the server refuses a worker that speaks another
/// (an old `runtime-worker` binary beside a new server) with a clear error.
///
/// History: 1 was untyped JSON objects; 2 is the typed frames of this module,
/// with encoded values travelling as raw parts after their header frame; 3
/// adds what a remote worker needs: the ticket frame it opens its connection
/// with, `interrupt` and `stopChildren` requests, and run frames that carry
/// the program's files. 4 bounds what the server reads from a worker before
/// it parses it: header frames of at most ``maximumWorkerHeaderBytes``
/// (output split into frames of at most ``maximumOutputTextBytes``), error
/// objects within ``ProgramError``'s limits.
package enum FrameProtocol {
    package static let version = 4
    /// The largest header frame (the JSON before a message's raw parts) the
    /// server reads from a worker: a header is parsed into a tree, so its
    /// size is bounded well below the frame limit that raw value parts have.
    package static let maximumWorkerHeaderBytes = 2 << 20
    /// The most output text one frame carries: a longer write is sent as
    /// several frames. JSON escaping can make text six times longer
    /// (`\u0001`), which still fits ``maximumWorkerHeaderBytes``.
    package static let maximumOutputTextBytes = 256 << 10

    /// Frames built by `build(divisor)` with divisors 1, 4, 16, … until the
    /// header fits ``maximumWorkerHeaderBytes`` (an error object, whose text
    /// escaping can lengthen up to six times); `build` divides its limits.
    package static func fitting(_ build: (Int) -> [UInt8]) -> [UInt8] {
        var divisor = 1
        while true {
            let frames = build(divisor)
            if frames.count - 4 <= maximumWorkerHeaderBytes || divisor >= 1 << 16 { return frames }
            divisor *= 4
        }
    }
    /// The environment variable that hands a remote worker its one-time
    /// ticket (kept off the command line; the worker unsets it at once).
    package static let ticketVariable = "RUNTIME_WORKER_TICKET"
    /// The environment variable that lists (comma-separated) the variables
    /// a remote worker keeps: it drops every other one its node's launcher set.
    package static let keptEnvironmentVariable = "RUNTIME_WORKER_ENVIRONMENT"
    /// The largest ticket frame the runtime reads from a connection before
    /// it has shown a valid ticket.
    package static let maximumTicketFrameBytes = 1024
    /// The most raw parts one message may carry.
    package static let maximumParts = 8
    /// The largest reply (its frames, lengths included) a local worker sends
    /// on its reply pipe, which the server reads on an event loop: a larger
    /// one (a table, a long list) goes on the frame pipe, read by the
    /// worker's reader thread. The server holds the reply pipe to it, so a
    /// worker cannot keep an event loop busy with one message.
    package static let maximumPipedReplyBytes = 64 << 10
    /// The first argument that marks a process as a worker, when the worker
    /// is an executable of your own (`RuntimeWorker.runIfRequested()`).
    package static let workerFlag = "--runtime-worker"
}
