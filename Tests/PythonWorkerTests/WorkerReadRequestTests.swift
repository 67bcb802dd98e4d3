import Testing
@testable import PythonWorker
import RuntimeCore
import RuntimeJSON
import WorkerFrames

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
            guard let error = error as? RuntimeError else { return false }
            return error.code == .invalidRequest && error.message.hasPrefix(field)
        }
    }
}

/// The frames the runtime builds read back as the worker expects.
@Suite struct WorkerRequestFramesTests {
    @Test func getFramesReadBack() throws {
        let sent = WorkerReadRequest(name: "v", window: .init(begin: 5, size: .max), maxRows: 1000,
                                     deadlineMilliseconds: WorkerReadRequest.milliseconds(.milliseconds(250)))
        #expect(try Self.decode(WorkerRequest.read(sent).frames(rid: 4)) == .read(sent))
        #expect(try Self.header(WorkerRequest.read(WorkerReadRequest(name: "v", maxRows: 3)).frames(rid: nil))
            == ["op": "get", "name": "v", "maxRows": 3])
        #expect(try Self.header(WorkerRequest.cancel(rid: 7).frames(rid: nil)) == ["op": "cancel", "rid": 7])
    }

    @Test func modelDataTravelsAsTheClientWroteIt() throws {
        let data = try #require(JSONFragment(validating: Array(#"{"x": [1.50, 2e0]}"#.utf8)))
        let order = WorkerRequest.ModelOrder(name: "m", data: data, path: nil, method: "predict_proba")
        let frames = WorkerRequest.model(order).frames(rid: 9)
        #expect(try Self.decode(frames) == .model(order))
        // The bytes are the client's, not a re-encoding.
        #expect(String(decoding: frames.suffix(data.bytes.count), as: UTF8.self) == #"{"x": [1.50, 2e0]}"#)
    }

    private static func header(_ frames: [UInt8]) throws -> JSONValue {
        let length = Int(frames[0]) << 24 | Int(frames[1]) << 16 | Int(frames[2]) << 8 | Int(frames[3])
        return try JSONParser.parse(Array(frames[4..<(4 + length)]))
    }

    private static func decode(_ frames: [UInt8]) throws -> WorkerRequest {
        let length = Int(frames[0]) << 24 | Int(frames[1]) << 16 | Int(frames[2]) << 8 | Int(frames[3])
        let header = try JSONParser.parse(Array(frames[4..<(4 + length)]))
        var parts: [[UInt8]] = []
        var offset = 4 + length
        while offset < frames.count {
            let size = Int(frames[offset]) << 24 | Int(frames[offset + 1]) << 16 | Int(frames[offset + 2]) << 8 | Int(frames[offset + 3])
            parts.append(Array(frames[(offset + 4)..<(offset + 4 + size)]))
            offset += 4 + size
        }
        return try WorkerRequest.decode(header, parts: parts)
    }

    @Test func deadlinesAreWholeMillisecondsRoundedUp() {
        #expect(WorkerReadRequest.milliseconds(.milliseconds(250)) == 250)
        #expect(WorkerReadRequest.milliseconds(.microseconds(1)) == 1)
        #expect(WorkerReadRequest.milliseconds(.microseconds(1500)) == 2)
        #expect(WorkerReadRequest.milliseconds(.seconds(2)) == 2000)
        #expect(WorkerReadRequest.milliseconds(.zero) == 1)
        #expect(WorkerReadRequest.milliseconds(.seconds(-3)) == 1)
        #expect(WorkerReadRequest.milliseconds(.seconds(Int64.max)) == Int64.max)
    }
}
