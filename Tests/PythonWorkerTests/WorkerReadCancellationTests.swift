import Foundation
import Testing
@testable import PythonWorker
import RuntimeCore
import RuntimeJSON
import WorkerFrames

/// Reads that run past their `deadlineMs`, or that a `cancel` frame names,
/// stop with `LIMIT_EXCEEDED`, and the worker serves the next request at once.
/// The large values take far longer to encode than any cap used here (ten
/// million elements against one millisecond), so the outcome does not depend
/// on the machine's speed.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct WorkerReadCancellationTests {
    static let program = #"""
import numpy as np
import pandas as pd
from runtimeBridge import save_placeholder

save_placeholder("big", [0] * 10_000_000)
save_placeholder("frame", pd.DataFrame({"n": np.arange(1_000_000), "s": ["row %d" % i for i in range(1_000_000)]}))
save_placeholder("table", {str(i): i for i in range(1_000_000)})
save_placeholder("matrix", np.zeros((2_000_000, 4)))
save_placeholder("small", [1, 2])
"""#

    static let everything: JSONValue = ["begin": 0, "size": .int(Int64.max)]

    static func expectLimitExceeded(_ reply: JSONValue, naming text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply["ok"] == false, "\(reply)", sourceLocation: sourceLocation)
        #expect(reply["error"]?["code"] == "LIMIT_EXCEEDED", "\(reply)", sourceLocation: sourceLocation)
        #expect(reply["error"]?["message"]?.stringValue?.contains(text) == true, "\(reply)", sourceLocation: sourceLocation)
    }

    @Test func aReadPastItsDeadlineStopsAndTheNextReadIsServed() async throws {
        let worker = try await WorkerDriver.start()
        defer { worker.stop() }
        #expect(try await worker.run(Self.program)["ev"] == "finished")

        // Each kind of large value the encoder walks: a list, a frame with a
        // text column, a dict (not paged: read whole), a numeric array.
        var rid: Int64 = 0
        for name in ["big", "frame", "table", "matrix"] {
            rid += 1
            let reply = try await worker.request(rid, ["op": "get", "name": .string(name), "window": Self.everything, "deadlineMs": 1])
            Self.expectLimitExceeded(reply, naming: "1 ms")
        }

        let small = try await worker.request(10, ["op": "get", "name": "small", "deadlineMs": 60_000])
        #expect(small["result"]?["value"] == [1, 2])
        // Without a deadline the first page of the large values is served as usual.
        let page = try await worker.request(11, ["op": "get", "name": "frame", "window": ["begin": 999_998, "size": 100]])
        #expect(page["result"]?["value"] == ["columns": ["n", "s"], "index": [999_998, 999_999],
                                             "data": [[999_998, "row 999998"], [999_999, "row 999999"]]])
        #expect(page["result"]?["window"] == ["begin": 999_998, "size": 2, "max": 1_000_000])
    }

    @Test func aCancelFrameEndsAReadInFlightWhileOthersAreServed() async throws {
        let worker = try await WorkerDriver.start()
        defer { worker.stop() }
        #expect(try await worker.run(Self.program)["ev"] == "finished")

        try worker.send(["op": "get", "rid": 1, "name": "big", "window": Self.everything])
        // Served beside the large read, which gives up the GIL as it goes.
        let small = try await worker.request(2, ["op": "get", "name": "small"])
        #expect(small["result"]?["value"] == [1, 2])

        try worker.send(.cancel(rid: 1))
        let cancelled = try #require(await worker.reply(rid: 1))
        Self.expectLimitExceeded(cancelled, naming: "cancelled")
        let after = try await worker.request(3, ["op": "get", "name": "small"])
        #expect(after["result"]?["value"] == [1, 2])
    }

    @Test func queuedRequestsAreCancelledBeforeTheyStart() async throws {
        let worker = try await WorkerDriver.start()
        defer { worker.stop() }
        #expect(try await worker.run(Self.program)["ev"] == "finished")

        // More large reads than serving threads, then a statistics request:
        // the last reads and the statistics wait in the queue.
        let rids = Array(Int64(1)...Int64(WorkerRequestServer.servingThreads + 2))
        for rid in rids { try worker.send(["op": "get", "rid": .int(rid), "name": "big", "window": Self.everything]) }
        try worker.send(["op": "stats", "rid": 50, "name": "frame"])
        // The statistics first: cancelling a read first could free a thread for it.
        for rid in [50] + rids { try worker.send(.cancel(rid: rid)) }
        for rid in rids + [50] {
            let reply = try #require(await worker.reply(rid: rid))
            Self.expectLimitExceeded(reply, naming: "cancelled")
        }
        let stats = try await worker.request(51, ["op": "stats", "name": "small"])
        #expect(stats["result"]?["rowCount"] == 2)
    }
}
