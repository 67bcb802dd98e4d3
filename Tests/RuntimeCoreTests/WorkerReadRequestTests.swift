import Testing
@testable import RuntimeCore

/// The checks and the overflow-free row arithmetic of `get` frames, without a worker.
@Suite struct WorkerReadRequestTests {
    typealias Window = WorkerReadRequest.Window

    static let cases: [(window: Window?, maxRows: Int, total: Int, rows: Range<Int>)] = [
        (Window(begin: 1, size: .max), 1000, 10, 1..<10),
        (Window(begin: .max, size: .max), 1000, 10, 10..<10),
        (Window(begin: .max, size: 1), 1000, 10, 10..<10),
        (Window(begin: 0, size: 0), 1000, 10, 0..<0),
        (Window(begin: 5, size: 3), 1000, 10, 5..<8),
        (Window(begin: 9, size: 3), 1000, 10, 9..<10),
        (Window(begin: 0, size: 5), 1000, 0, 0..<0),
        (Window(begin: .max - 1, size: 2), 1000, .max, (.max - 1)..<Int.max),
        (nil, 1000, 2500, 0..<1000),
        (nil, .max, 2500, 0..<2500),
        (nil, 0, 2500, 0..<0),
    ]

    @Test(arguments: cases.indices)
    func rowsAreClampedWithoutOverflow(_ index: Int) {
        let c = Self.cases[index]
        let request = WorkerReadRequest(name: "x", window: c.window, maxRows: c.maxRows)
        #expect(request.rows(total: c.total) == c.rows)
    }

    @Test func fieldsAreReadWithDefaults() throws {
        let plain = try WorkerReadRequest(frame: ["op": "get", "name": "v"])
        #expect(plain == WorkerReadRequest(name: "v"))
        let full = try WorkerReadRequest(frame: ["name": "v", "window": ["begin": 3], "maxRows": 7, "deadlineMs": 250])
        #expect(full == WorkerReadRequest(name: "v", window: Window(begin: 3, size: 7), maxRows: 7, deadlineMilliseconds: 250))
        let huge = try WorkerReadRequest(frame: ["name": "v", "window": ["begin": .bigInt("99999999999999999999"), "size": 1e300]])
        #expect(huge.window == Window(begin: .max, size: .max))
    }

    static let badFields: [(JSONValue, String)] = [
        (["window": ["begin": -1]], "window.begin"),
        (["window": ["size": .int(Int64.min)]], "window.size"),
        (["window": ["begin": 0.5]], "window.begin"),
        (["window": "0:10"], "window"),
        (["maxRows": -5], "maxRows"),
        (["deadlineMs": 0], "deadlineMs"),
        (["deadlineMs": "soon"], "deadlineMs"),
        ([:], "name"),
    ]

    @Test(arguments: badFields)
    func badFieldsAreRefusedByName(_ fields: JSONValue, _ field: String) {
        var pairs = fields.objectValue ?? []
        if field != "name" { pairs.append(("name", "v")) }
        #expect {
            try WorkerReadRequest(frame: .object(pairs))
        } throws: { error in
            guard let error = error as? WorkerRequestError else { return false }
            return error.code == "INVALID_REQUEST" && error.message.hasPrefix(field)
        }
    }
}

/// The frames the runtime builds read back as the worker expects.
@Suite struct WorkerRequestFramesTests {
    @Test func getFramesReadBack() throws {
        let frame = WorkerRequestFrames.get(name: "v", window: RowWindow(begin: 5, size: .max), maxRows: 1000,
                                            deadline: .milliseconds(250))
        #expect(try WorkerReadRequest(frame: frame)
            == WorkerReadRequest(name: "v", window: .init(begin: 5, size: .max), maxRows: 1000, deadlineMilliseconds: 250))
        let plain = WorkerRequestFrames.get(name: "v", window: nil, maxRows: 3)
        #expect(plain == ["op": "get", "name": "v", "maxRows": 3])
        #expect(WorkerRequestFrames.cancel(rid: 7) == ["op": "cancel", "rid": 7])
    }

    @Test func deadlinesAreWholeMillisecondsRoundedUp() {
        #expect(WorkerRequestFrames.milliseconds(.milliseconds(250)) == 250)
        #expect(WorkerRequestFrames.milliseconds(.microseconds(1)) == 1)
        #expect(WorkerRequestFrames.milliseconds(.microseconds(1500)) == 2)
        #expect(WorkerRequestFrames.milliseconds(.seconds(2)) == 2000)
        #expect(WorkerRequestFrames.milliseconds(.zero) == 1)
        #expect(WorkerRequestFrames.milliseconds(.seconds(-3)) == 1)
        #expect(WorkerRequestFrames.milliseconds(.seconds(Int64.max)) == Int64.max)
    }
}
