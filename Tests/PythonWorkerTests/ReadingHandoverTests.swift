import Foundation
import Testing
@testable import PythonWorker
import RuntimeCore
import RuntimeJSON
import WorkerFrames

/// The thread that read a request keeps the reading while it serves it, and
/// the handover timer passes the reading on when the request runs long
/// (``WorkerRequestServer/handoverNanoseconds``): requests and `cancel`
/// frames sent meanwhile are still read and served. A burst of short
/// requests is served back to back only until the timer expires; then it is
/// read ahead, so a `cancel` behind it finds its request still queued.
///
/// Each long request prints a line when it has begun, and the test sends
/// the next frame only once that line arrived: the reading is then held (no
/// frame was waiting when it was taken), and only the timer can pass it on.
/// The model call waits (up to a minute) for an event only a later request
/// sets: if nobody read on, the test would see the model's own timeout.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ReadingHandoverTests {
    static let program = #"""
import threading, time
from runtimeBridge import save_placeholder
release = threading.Event()
def waits(instances):
    print("waiting", flush=True)
    return ["released" if release.wait(60) else "timed out"]
def releases(instances):
    release.set()
    return ["set"]
def brief(instances):
    end = time.perf_counter() + 0.0001
    while time.perf_counter() < end:
        pass
    return [1]
class Announces:
    def __repr__(self):
        print("encoding", flush=True)
        return "announces"
save_placeholder("waits", waits)
save_placeholder("releases", releases)
save_placeholder("brief", brief)
save_placeholder("small", [1, 2])
save_placeholder("big", [Announces()] + [0] * 10_000_000)
"""#

    private func printed(_ text: String, by worker: WorkerDriver) async -> Bool {
        await worker.next(where: { $0["ev"] == "output" && $0["text"]?.stringValue?.contains(text) == true }) != nil
    }

    @Test func aLongRequestHandsTheReadingOver() async throws {
        let worker = try await WorkerDriver.start()
        defer { worker.stop() }
        #expect(try await worker.run(Self.program)["ev"] == "finished")

        try worker.send(.modelCall("waits"), rid: 1)
        #expect(await printed("waiting", by: worker))
        // Read and served while "waits" still runs.
        let small = try await worker.request(2, ["op": "get", "name": "small"])
        #expect(small["result"]?["value"] == [1, 2])
        try worker.send(.modelCall("releases"), rid: 3)
        let released = try #require(await worker.reply(rid: 3))
        #expect(released["result"] == ["set"])
        let waited = try #require(await worker.reply(rid: 1))
        #expect(waited["result"] == ["released"])
    }

    @Test func aCancelReachesAReadServedByTheThreadThatReadIt() async throws {
        let worker = try await WorkerDriver.start()
        defer { worker.stop() }
        #expect(try await worker.run(Self.program)["ev"] == "finished")

        // The thread that read "big" serves it, holding the reading; the
        // cancel is read by the thread the timer hands the reading to.
        try worker.send(["rid": 1, "op": "get", "name": "big", "window": ["begin": 0, "size": .int(Int64.max)]])
        #expect(await printed("encoding", by: worker))
        try worker.send(.cancel(rid: 1))
        let reply = try #require(await worker.reply(rid: 1))
        WorkerReadCancellationTests.expectLimitExceeded(reply, naming: "cancelled")
        // And short requests go on being served by whoever reads.
        for rid in Int64(2)...20 {
            let small = try await worker.request(rid, ["op": "get", "name": "small"])
            #expect(small["result"]?["value"] == [1, 2])
        }
    }

    @Test func aBurstIsReadWhileItsFirstRequestIsServed() async throws {
        let worker = try await WorkerDriver.start()
        defer { worker.stop() }
        #expect(try await worker.run(Self.program)["ev"] == "finished")

        // 600 short calls (each holds the GIL about 0.1 ms, under the
        // handover delay), sent at once, then a cancel of the last. Were each
        // call served before the next frame is read, the cancel would come
        // after the last call had been served; read ahead once the timer
        // expired, it finds the last one still queued: reading a frame takes
        // microseconds, and the calls take 60 ms at the least, one at a time.
        let count: Int64 = 600
        for rid in 1...count { try worker.send(.modelCall("brief"), rid: rid) }
        try worker.send(.cancel(rid: count))
        for rid in 1..<count {
            let reply = try #require(await worker.reply(rid: rid))
            #expect(reply["ok"] == true, "\(reply)")
        }
        let last = try #require(await worker.reply(rid: count))
        WorkerReadCancellationTests.expectLimitExceeded(last, naming: "cancelled")
    }
}
