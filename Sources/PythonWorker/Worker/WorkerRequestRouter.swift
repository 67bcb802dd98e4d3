import CSandbox
import Glibc
import RuntimeJSON
import WorkerFrames

/// The worker's request thread: reads the runtime's frames until the channel
/// closes, then ends the process.
///
/// It only reads and routes: runs go to the main thread (``RunMailbox``),
/// `cancel` frames to the request they name, every other request to the
/// ``WorkerRequestServer``'s serving threads. So a `cancel` reaches a read in
/// progress at once, and no request waits for this thread. A malformed frame
/// is answered with an `INVALID_REQUEST` reply (`rid` null when it has none)
/// and reading goes on.
struct WorkerRequestRouter {
    let fd: Int32
    let handler: WorkerRequestHandler
    let channel: WorkerChannel
    let runs: RunMailbox

    func run() -> Never {
        let server = WorkerRequestServer(handler: handler, channel: channel)
        server.start()
        let reader = WorkerFrameReader(fd: fd)
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
                server.cancel(rid: .int(rid))
            case .interrupt:
                // To the main thread itself: Python's handler then raises
                // KeyboardInterrupt there, even in a blocking call.
                _ = sandbox_signal_main_thread(SIGINT)
            case .stopChildren:
                ProcessTree.killOthers()
            default:
                server.submit(request, rid: rid)
            }
        }
    }

    private func refuse(_ rid: JSONValue?, _ error: RuntimeError) {
        channel.send(.failure(error), rid: rid ?? .null)
    }
}
