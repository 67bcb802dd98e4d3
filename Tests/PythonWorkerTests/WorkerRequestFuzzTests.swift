import Foundation
import Testing
@testable import PythonWorker
import RuntimeCore
import RuntimeJSON
import WorkerFrames

/// Hostile and malformed request frames sent straight to a live worker (no
/// runtime in between): each is answered, with a value or an error, and the
/// worker stays alive with every placeholder readable.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct WorkerRequestFuzzTests {
    static let program = #"""
import numpy as np
import pandas as pd
from runtimeBridge import save_placeholder

save_placeholder("l", list(range(10)))
save_placeholder("t", tuple(range(10)))
save_placeholder("empty", [])
save_placeholder("a1", np.arange(10))
save_placeholder("a2", np.arange(20).reshape(10, 2))
save_placeholder("a0", np.float64(1.5))
save_placeholder("df", pd.DataFrame({"n": range(10), "s": ["r%d" % i for i in range(10)]}))
save_placeholder("series", pd.Series(range(10), name="x"))
save_placeholder("d", {"a": 1, "b": [1, 2]})
save_placeholder("s", "text")
save_placeholder("i", 7)
save_placeholder("set", {1, 2})
"""#

    static let names = ["l", "t", "empty", "a1", "a2", "a0", "df", "series", "d", "s", "i", "set"]

    /// Windows and counts an attacker or a careless client could send, and
    /// whether the worker must refuse them (else it answers a value).
    static let hostileFields: [(String, [(String, JSONValue)], refused: Bool)] = [
        ("begin 1, size Int64.max", [("window", ["begin": 1, "size": .int(Int64.max)])], false),
        ("begin and size Int64.max", [("window", ["begin": .int(Int64.max), "size": .int(Int64.max)])], false),
        ("huge begin, size 1", [("window", ["begin": .int(Int64.max), "size": 1])], false),
        ("begin past the end", [("window", ["begin": 1000, "size": 5])], false),
        ("size 0", [("window", ["begin": 0, "size": 0])], false),
        ("begin beyond 64 bits", [("window", ["begin": .bigInt("123456789012345678901234567890"), "size": 2])], false),
        ("size beyond 64 bits", [("window", ["begin": 2, "size": .bigInt("123456789012345678901234567890")])], false),
        ("size as a large double", [("window", ["begin": 0, "size": 1e300])], false),
        ("window without fields", [("window", [:])], false),
        ("window null", [("window", nil)], false),
        ("maxRows Int64.max", [("maxRows", .int(Int64.max))], false),
        ("maxRows 0", [("maxRows", 0)], false),
        ("deadline Int64.max", [("deadlineMs", .int(Int64.max))], false),
        ("begin Int64.min", [("window", ["begin": .int(Int64.min), "size": 1])], true),
        ("begin -1", [("window", ["begin": -1, "size": 5])], true),
        ("size -1", [("window", ["begin": 0, "size": -1])], true),
        ("size Int64.min", [("window", ["begin": 0, "size": .int(Int64.min)])], true),
        ("negative big begin", [("window", ["begin": .bigInt("-123456789012345678901234567890"), "size": 1])], true),
        ("fractional begin", [("window", ["begin": 1.5, "size": 1])], true),
        ("begin a string", [("window", ["begin": "1", "size": 1])], true),
        ("size an array", [("window", ["begin": 0, "size": [1]])], true),
        ("window a number", [("window", 5)], true),
        ("window an array", [("window", [1, 2])], true),
        ("maxRows -1", [("maxRows", -1)], true),
        ("maxRows Int64.min", [("maxRows", .int(Int64.min))], true),
        ("maxRows a string", [("maxRows", "10")], true),
        ("deadline -1", [("deadlineMs", -1)], true),
        ("deadline 0", [("deadlineMs", 0)], true),
        ("deadline a bool", [("deadlineMs", true)], true),
    ]

    @Test func hostileWindowsAreAnsweredForEveryKindOfValue() async throws {
        let worker = try await WorkerDriver.start()
        defer { worker.stop() }
        #expect(try await worker.run(Self.program)["ev"] == "finished")
        var rid: Int64 = 0
        for name in Self.names {
            for (label, fields, refused) in Self.hostileFields {
                rid += 1
                let frame: JSONValue = .object([("op", "get"), ("rid", .int(rid)), ("name", .string(name))] + fields)
                try worker.send(frame)
                let reply = try #require(await worker.reply(rid: rid), "\(name), \(label): no reply (the worker died?)")
                if refused {
                    #expect(reply["ok"] == false, "\(name), \(label): \(reply)")
                    #expect(reply["error"]?["code"] == "INVALID_REQUEST", "\(name), \(label): \(reply)")
                } else {
                    #expect(reply["ok"] == true, "\(name), \(label): \(reply)")
                    #expect(reply["result"]?["value"] != nil, "\(name), \(label): \(reply)")
                }
            }
        }
        #expect(await worker.stillServes(rid: rid + 1))
    }

    @Test func windowsAreClampedToTheTable() async throws {
        let worker = try await WorkerDriver.start()
        defer { worker.stop() }
        #expect(try await worker.run(Self.program)["ev"] == "finished")

        // The frame that killed the worker with SIGILL (begin + size overflowed).
        let overflow = try await worker.request(1, ["op": "get", "name": "l", "window": ["begin": 1, "size": .int(Int64.max)]])
        #expect(overflow["result"]?["value"] == [1, 2, 3, 4, 5, 6, 7, 8, 9])
        #expect(overflow["result"]?["window"] == ["begin": 1, "size": 9, "max": 10])

        let far = try await worker.request(2, ["op": "get", "name": "a2", "window": ["begin": .int(Int64.max), "size": 1]])
        #expect(far["result"]?["value"] == [])
        // The begin asked for comes back, no row sent (Protocol.md).
        #expect(far["result"]?["window"] == ["begin": .int(Int64.max), "size": 0, "max": 10])

        let frame = try await worker.request(3, ["op": "get", "name": "df", "window": ["begin": 8, "size": .bigInt("99999999999999999999999")]])
        #expect(frame["result"]?["value"] == ["columns": ["n", "s"], "index": [8, 9], "data": [[8, "r8"], [9, "r9"]]])

        let series = try await worker.request(4, ["op": "get", "name": "series", "window": ["begin": 9, "size": .int(Int64.max)]])
        #expect(series["result"]?["value"] == ["name": "x", "index": [9], "data": [9]])

        let capped = try await worker.request(5, ["op": "get", "name": "t", "maxRows": 3])
        #expect(capped["result"]?["value"] == [0, 1, 2])
        #expect(capped["result"]?["truncated"] == true)
        #expect(capped["result"]?["rowCount"] == 10)

        let negative = try await worker.request(6, ["op": "get", "name": "l", "window": ["begin": -1, "size": 2]])
        #expect(negative["error"]?["message"]?.stringValue?.contains("window.begin") == true)
    }

    @Test func malformedFramesAreAnsweredAndTheWorkerStaysAlive() async throws {
        let worker = try await WorkerDriver.start()
        defer { worker.stop() }
        #expect(try await worker.run(Self.program)["ev"] == "finished")
        let frames: [(String, [UInt8])] = [
            ("empty object", Array("{}".utf8)),
            ("op a number", Array(#"{"op":5,"rid":1}"#.utf8)),
            ("unknown op", Array(#"{"op":"format_disk","rid":2}"#.utf8)),
            ("get without name", Array(#"{"op":"get","rid":3}"#.utf8)),
            ("get with a numeric name", Array(#"{"op":"get","rid":4,"name":5}"#.utf8)),
            ("get of a missing placeholder", Array(#"{"op":"get","rid":5,"name":"nope"}"#.utf8)),
            ("stats without name", Array(#"{"op":"stats","rid":6}"#.utf8)),
            ("stats of something not a dataset", Array(#"{"op":"stats","rid":7,"name":"s"}"#.utf8)),
            ("model of a missing placeholder", Array(#"{"op":"model","rid":8,"name":"nope","data":[1]}"#.utf8)),
            ("model of a non-model", Array(#"{"op":"model","rid":9,"name":"i","data":[1]}"#.utf8)),
            ("run without directory", Array(#"{"op":"run"}"#.utf8)),
            ("cancel without rid", Array(#"{"op":"cancel"}"#.utf8)),
            ("an array", Array("[1,2]".utf8)),
            ("a string", Array(#""get""#.utf8)),
            ("null", Array("null".utf8)),
            ("not JSON", Array("{op: get".utf8)),
            ("invalid UTF-8", [0x7B, 0xFF, 0xFE, 0x7D]),
            ("empty body", []),
            ("deep nesting", Array((String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)).utf8)),
        ]
        for (label, body) in frames {
            try worker.send(rawBody: body)
            let reply = try #require(await worker.nextReply(), "\(label): no reply (the worker died?)")
            #expect(reply["ok"] == false, "\(label): \(reply)")
            #expect(reply["error"]?["code"]?.stringValue?.isEmpty == false, "\(label): \(reply)")
        }
        // A cancel for a request that is not in flight has no reply of its
        // own: the next reply is the liveness read's.
        try worker.send(["op": "cancel", "rid": 12345])
        #expect(await worker.stillServes(rid: 100))
        let read = try await worker.request(101, ["op": "get", "name": "l", "window": ["begin": 0, "size": 2]])
        #expect(read["result"]?["value"] == [0, 1])
    }
}
