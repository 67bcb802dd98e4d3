import Foundation
import Testing
@testable import PythonWorker
import RuntimeCore
import RuntimeJSON
import WorkerFrames

/// The thread that read a request keeps the reading while it serves it, and
/// the handover timer passes the reading on when the request runs long
/// (``WorkerRequestServer/handoverNanoseconds``): requests and `cancel`
/// frames sent meanwhile are still read and served.
///
/// The long request here is a model call that waits (up to a minute) for an
/// event only a later request sets: if nobody read on, that request would
/// never be served, and the test would see the model's own timeout instead.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ReadingHandoverTests {
    static let program = #"""
import threading
from runtimeBridge import save_placeholder
release = threading.Event()
def waits(instances):
    return ["released" if release.wait(60) else "timed out"]
def releases(instances):
    release.set()
    return ["set"]
save_placeholder("waits", waits)
save_placeholder("releases", releases)
save_placeholder("small", [1, 2])
save_placeholder("big", [0] * 10_000_000)
"""#

    @Test func aLongRequestHandsTheReadingOver() async throws {
        let worker = try await WorkerDriver.start()
        defer { worker.stop() }
        #expect(try await worker.run(Self.program)["ev"] == "finished")

        try worker.send(.modelCall("waits"), rid: 1)
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

        // Nothing else in flight: the thread that reads "big" serves it, and
        // the cancel is read by the thread the timer hands the reading to.
        try worker.send(["rid": 1, "op": "get", "name": "big", "window": ["begin": 0, "size": .int(Int64.max)]])
        try worker.send(.cancel(rid: 1))
        let reply = try #require(await worker.reply(rid: 1))
        WorkerReadCancellationTests.expectLimitExceeded(reply, naming: "cancelled")
        // And short requests go on being served by whoever reads.
        for rid in Int64(2)...20 {
            let small = try await worker.request(rid, ["op": "get", "name": "small"])
            #expect(small["result"]?["value"] == [1, 2])
        }
    }
}
