import CSandbox
import Glibc
import RuntimeJSON
import WorkerFrames

/// Reads the runtime's frames and acts on those that need no serving thread:
/// runs go to the main thread (``RunMailbox``), `cancel` frames to the
/// request they name, interrupts and `stopChildren` to the process; every
/// other request is handed back to be served. A malformed frame is answered
/// with an `INVALID_REQUEST` reply (`rid` null when it has none) and reading
/// goes on. The channel's end ends the process.
///
/// Whichever of the ``WorkerRequestServer``'s threads leads calls it: a
/// `cancel` thus reaches a read in progress without waiting for it to end.
struct WorkerRequestRouter {
    let reader: WorkerFrameReader
    let channel: WorkerChannel
    let runs: RunMailbox

    init(reader: WorkerFrameReader, channel: WorkerChannel, runs: RunMailbox) {
        self.reader = reader
        self.channel = channel
        self.runs = runs
    }

    /// Whether more of a frame is waiting to be read now (a burst of requests).
    var hasWaitingFrames: Bool { reader.hasWaitingBytes }

    /// Reads frames until one asks for a request to be served; returns it and its `rid`.
    func nextRequest(cancel: (JSONValue) -> Void) -> (WorkerRequest, rid: JSONValue) {
        while true {
            let header: JSONValue, parts: [[UInt8]]
            switch reader.next() {
            case .end: _exit(0)
            case .malformed(let reason): refuse(nil, RuntimeError(.invalidRequest, reason)); continue
            case .frame(let decoded, let raw): (header, parts) = (decoded, raw)
            }
            let rid = header["rid"] ?? .null
            let request: WorkerRequest
            do {
                request = try WorkerRequest.decode(header, parts: parts)
            } catch {
                refuse(rid, error)
                continue
            }
            switch request {
            case .run(let order):
                runs.post(order)
            case .cancel(let rid):
                // No reply of its own: the cancelled request answers LIMIT_EXCEEDED.
                cancel(.int(rid))
            case .interrupt:
                // To the main thread itself: Python's handler then raises
                // KeyboardInterrupt there, even in a blocking call.
                _ = sandbox_signal_main_thread(SIGINT)
            case .stopChildren:
                ProcessTree.killOthers()
            default:
                return (request, rid)
            }
        }
    }

    private func refuse(_ rid: JSONValue?, _ error: RuntimeError) {
        channel.send(.failure(error), rid: rid ?? .null)
    }
}
