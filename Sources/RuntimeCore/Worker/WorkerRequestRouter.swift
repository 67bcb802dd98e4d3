import Glibc

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
            let frame: JSONValue
            switch reader.next() {
            case .end: _exit(0)
            case .malformed(let reason): refuse(nil, reason); continue
            case .frame(let decoded): frame = decoded
            }
            switch frame["op"]?.stringValue {
            case "run":
                guard let job = RunJob(frame: frame) else {
                    refuse(frame, "a run frame needs the strings directory and main")
                    continue
                }
                runs.post(job)
            case "exit":
                _exit(0)
            case "cancel":
                // No reply of its own: the cancelled request answers LIMIT_EXCEEDED.
                guard let rid = frame["rid"], !rid.isNull else {
                    refuse(frame, "a cancel frame needs the rid of the request to cancel")
                    continue
                }
                server.cancel(rid: rid)
            default:
                server.submit(frame)
            }
        }
    }

    private func refuse(_ frame: JSONValue?, _ message: String) {
        let error = WorkerRequestError(code: "INVALID_REQUEST", message: message)
        channel.send(WorkerRequestHandler.reply(rid: frame?["rid"] ?? .null, .failure(error)))
    }
}
