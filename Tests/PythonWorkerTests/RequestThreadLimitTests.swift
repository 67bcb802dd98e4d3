import Foundation
import Testing
@testable import PythonWorker
import RuntimeCore
import RuntimeJSON
import WorkerFrames

/// The leader/follower request threads: at most
/// `WorkerRequestServer.servingThreads` (3) requests are served at once and
/// one thread holds the reading of frames.
///
/// The race: a serving thread lowers `serving` before it sends its reply
/// (`serve(_:)`), and only then takes a queued request (`nextRole()`, which
/// does not look at `serving`). If the leader reads a request in between, it
/// sees 2 serving and serves it itself; the thread that was sending then takes
/// the queued one: 4 serving, nobody reading. A large reply makes the window
/// wide (the frame is built and written after `serving` was lowered).
@Suite(.serialized, .timeLimit(.minutes(3)))
struct RequestThreadLimitTests {
    static let program = #"""
import time
from runtimeBridge import save_placeholder
stats = {"active": 0, "peak": 0}
release_at = [None]
def slow(instances):
    stats["active"] += 1
    stats["peak"] = max(stats["peak"], stats["active"])
    if release_at[0] is None:
        release_at[0] = time.monotonic() + 15
    try:
        while time.monotonic() < release_at[0]:
            time.sleep(0.005)
    finally:
        stats["active"] -= 1
    return [stats["peak"]]
def peak(instances):
    return [stats["peak"]]
save_placeholder("slow", slow)
save_placeholder("peak", peak)
save_placeholder("big", "x" * (150 << 20))
"""#

    @Test func neverMoreThanThreeServing() async throws {
        let worker = try await WorkerDriver.start()
        defer { worker.stop() }
        #expect(try await worker.run(Self.program)["ev"] == "finished")

        // Two slow model calls serving, a large read serving: 3.
        try worker.send(.modelCall("slow"), rid: 1)
        try worker.send(.modelCall("slow"), rid: 2)
        try await Task.sleep(for: .milliseconds(200))
        try worker.send(["rid": 3, "op": "get", "name": "big"])
        try await Task.sleep(for: .milliseconds(20))
        // A fourth is queued.
        try worker.send(.modelCall("slow"), rid: 4)
        // More arrive while the large read's reply is built and sent.
        let received = Flag()
        let bigDone = Task {
            let reply = await worker.reply(rid: 3)
            received.set()
            return reply
        }
        var rid: Int64 = 100
        let until = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < until {
            try worker.send(.modelCall("slow"), rid: rid)
            rid += 1
            try await Task.sleep(for: .milliseconds(10))
            if received.isSet { break }
        }
        let big = await bigDone.value
        #expect(big?["ok"] == true)
        // Everything is answered once the slow calls are released.
        for r in [Int64(1), 2, 4] + Array(100..<rid) { _ = await worker.reply(rid: r) }
        try worker.send(.modelCall("peak"), rid: 9999)
        let peak = try #require(await worker.reply(rid: 9999))
        let value = peak["result"]?[0]?.intValue ?? -1
        #expect(value <= 3, "\(value) requests were served at once (sent \(rid - 100) late requests): \(peak)")
    }
}

import Synchronization

final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .sequentiallyConsistent) }
    var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }
}
