import Foundation
import Testing
@testable import RuntimeCore

/// Every encoding rule of the contract's `get_placeholder` section, on values
/// a real program saved.
@Suite(.timeLimit(.minutes(2)))
struct ValueEncodingTests {
    static let program = #"""
import datetime, math
import numpy as np
import pandas as pd
from runtimeBridge import save_placeholder

save_placeholder("int", 42)
save_placeholder("big", 2**100)
save_placeholder("negbig", -(2**70))
save_placeholder("float", 2.5)
save_placeholder("nan", float("nan"))
save_placeholder("inf", float("inf"))
save_placeholder("minf", -math.inf)
save_placeholder("str", "héllo\n")
save_placeholder("bool", True)
save_placeholder("none", None)
save_placeholder("list", [1, "a", None, float("nan"), [2.5, True]])
save_placeholder("tuple", (1, 2))
save_placeholder("set", {7})
save_placeholder("dict", {"a": 1, "b": {"c": [1, 2]}, 3: "int key"})
save_placeholder("keys", {True: 1, None: 2, 1.5: 3, float("nan"): 4, math.inf: 5, -math.inf: 6})
save_placeholder("np1", np.array([1.5, np.nan, np.inf]))
save_placeholder("np2", np.arange(6, dtype=np.int32).reshape(2, 3))
save_placeholder("npslice", np.arange(20).reshape(4, 5)[::2, ::-2])
save_placeholder("npbool", np.array([True, False]))
save_placeholder("npu64", np.array([2**64 - 1], dtype=np.uint64))
save_placeholder("npf32", np.array([0.5], dtype=np.float32))
save_placeholder("npscalar", np.float64(3.25))
save_placeholder("npint", np.int64(-7))
save_placeholder("nplong", np.longdouble(1.5))
save_placeholder("nplongs", np.array([0.25, np.nan], dtype=np.longdouble))
save_placeholder("nphalf", np.array([0.5], dtype=np.float16))
save_placeholder("npstr", np.array(["a", "b"]))
save_placeholder("npdt", np.array(["2024-01-02T03:04:05", "NaT"], dtype="datetime64[s]"))
save_placeholder("df", pd.DataFrame({"a": [1, 2], "b": ["x", None], "c": [0.5, float("nan")]}, index=[10, 20]))
save_placeholder("dfdt", pd.DataFrame({"t": pd.to_datetime(["2024-01-02", None])}))
save_placeholder("dfna", pd.DataFrame({"n": pd.array([1, None], dtype="Int64")}))
save_placeholder("series", pd.Series([1.0, 2.0], index=["x", "y"], name="s"))
save_placeholder("datetime", datetime.datetime(2024, 1, 2, 3, 4, 5))
save_placeholder("date", datetime.date(2024, 1, 2))
save_placeholder("bytes", b"\x00\x01hi")
class Thing:
    def __repr__(self):
        return "Thing()"
save_placeholder("obj", Thing())
long_list = list(range(2500))
frame = pd.DataFrame({"v": range(1500)})
"""#

    @Test func everyRule() async throws {
        let runtime = TestSupport.runtime()
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["values.py": Self.program])
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error))")

        func check(_ name: String, _ expected: JSONValue, type: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let read = try await session.readPlaceholder(named: name, window: nil)
            #expect(read.value == expected, "\(name): \(read.value)", sourceLocation: sourceLocation)
            #expect(read.valueType == type, sourceLocation: sourceLocation)
        }
        try await check("int", 42, type: "int")
        try await check("big", .bigInt("1267650600228229401496703205376"), type: "int")
        try await check("negbig", .bigInt("-1180591620717411303424"), type: "int")
        try await check("float", 2.5, type: "float")
        try await check("nan", "nan", type: "float")
        try await check("inf", "inf", type: "float")
        try await check("minf", "-inf", type: "float")
        try await check("str", "héllo\n", type: "str")
        try await check("bool", true, type: "bool")
        try await check("none", nil, type: "NoneType")
        try await check("list", [1, "a", nil, nil, [2.5, true]], type: "list")
        try await check("tuple", [1, 2], type: "tuple")
        try await check("set", [7], type: "set")
        try await check("dict", ["a": 1, "b": ["c": [1, 2]], "3": "int key"], type: "dict")
        // Keys as Python's json writes them.
        try await check("keys", ["true": 1, "null": 2, "1.5": 3, "NaN": 4, "Infinity": 5, "-Infinity": 6], type: "dict")
        try await check("np1", [1.5, nil, nil], type: "ndarray")
        try await check("np2", [[0, 1, 2], [3, 4, 5]], type: "ndarray")
        try await check("npslice", [[4, 2, 0], [14, 12, 10]], type: "ndarray")
        try await check("npbool", [true, false], type: "ndarray")
        try await check("npu64", [.bigInt("18446744073709551615")], type: "ndarray")
        try await check("npf32", [0.5], type: "ndarray")
        try await check("npscalar", 3.25, type: "float64")
        try await check("npint", -7, type: "int64")
        try await check("nplong", 1.5, type: "longdouble")
        try await check("nplongs", [0.25, nil], type: "ndarray")
        try await check("nphalf", [0.5], type: "ndarray")
        try await check("npstr", ["a", "b"], type: "ndarray")
        try await check("npdt", ["2024-01-02T03:04:05", nil], type: "ndarray")
        try await check("df", ["columns": ["a", "b", "c"], "index": [10, 20], "data": [[1, "x", 0.5], [2, nil, nil]]], type: "DataFrame")
        let dfdt = try await session.value("dfdt")
        #expect(dfdt["data"]?[0]?[0]?.stringValue?.hasPrefix("2024-01-02T00:00:00") == true)
        #expect(dfdt["data"]?[1]?[0] == .null)
        try await check("dfna", ["columns": ["n"], "index": [0, 1], "data": [[1], [nil]]], type: "DataFrame")
        try await check("series", ["name": "s", "index": ["x", "y"], "data": [1.0, 2.0]], type: "Series")
        try await check("datetime", "2024-01-02T03:04:05", type: "datetime")
        try await check("date", "2024-01-02", type: "date")
        try await check("bytes", "AAFoaQ==", type: "bytes")
        try await check("obj", "Thing()", type: "Thing")
        await runtime.shutdown()
    }

    @Test func globalsOfTheMainModuleAreFoundWhenNoPlaceholderHasTheName() async throws {
        let runtime = TestSupport.runtime()
        let (session, _) = try await TestSupport.runToEnd(runtime, ["main.py": "answer = 6 * 7\n"])
        #expect(try await session.value("answer") == 42)
        await #expect { try await session.value("missing") } throws: {
            ($0 as? RuntimeError)?.code == .placeholderNotFound
        }
        await runtime.shutdown()
    }

    @Test func tablesArePagedAndCapped() async throws {
        let runtime = TestSupport.runtime()
        let (session, _) = try await TestSupport.runToEnd(runtime, ["values.py": Self.program])
        let capped = try await session.readPlaceholder(named: "long_list", window: nil)
        #expect(capped.truncated)
        #expect(capped.value.arrayValue?.count == 1000)
        #expect(capped.rowCount == 2500)

        let page = try await session.readPlaceholder(named: "long_list", window: RowWindow(begin: 2498, size: 5))
        #expect(page.value == [2498, 2499])
        #expect(page.window == PlaceholderValue.Window(begin: 2498, size: 2, max: 2500))
        #expect(!page.truncated)

        let past = try await session.readPlaceholder(named: "long_list", window: RowWindow(begin: 5000, size: 5))
        #expect(past.value == [])
        // The begin asked for, not the end it was clamped to (found by this session's adversarial tester).
        #expect(past.window == PlaceholderValue.Window(begin: 5000, size: 0, max: 2500))

        let frame = try await session.readPlaceholder(named: "frame", window: RowWindow(begin: 10, size: 2))
        #expect(frame.value == ["columns": ["v"], "index": [10, 11], "data": [[10], [11]]])
        #expect(frame.window?.max == 1500)
        let frameCapped = try await session.readPlaceholder(named: "frame", window: nil)
        #expect(frameCapped.truncated && frameCapped.value["data"]?.arrayValue?.count == 1000)
        await runtime.shutdown()
    }

    /// A set is paged and capped as a list is, in its iteration order (it
    /// was sent whole, window and row cap ignored).
    @Test func setsArePagedAndCappedLikeLists() async throws {
        let runtime = TestSupport.runtime()
        let (session, _) = try await TestSupport.runToEnd(runtime, ["main.py": """
            big = set(range(1500))
            first, last = list(big)[:1000], list(big)[-2:]
            frozen = frozenset(range(5))
            """])
        let first = try await session.value("first"), last = try await session.value("last")
        let capped = try await session.readPlaceholder(named: "big", window: nil)
        #expect(capped.truncated && capped.rowCount == 1500 && capped.valueType == "set")
        #expect(capped.value == first)
        let page = try await session.readPlaceholder(named: "big", window: RowWindow(begin: 1498, size: 5))
        #expect(page.value == last)
        #expect(page.window == PlaceholderValue.Window(begin: 1498, size: 2, max: 1500))
        let frozen = try await session.readPlaceholder(named: "frozen", window: nil)
        #expect(!frozen.truncated && frozen.rowCount == 5 && frozen.value.arrayValue?.count == 5)
        await runtime.shutdown()
    }

    @Test func rowCapIsConfigurable() async throws {
        let runtime = TestSupport.runtime { $0.defaultRowCap = 3 }
        let (session, _) = try await TestSupport.runToEnd(runtime, ["main.py": "x = list(range(10))\ny = [1, 2]\n"])
        #expect(try await session.value("x") == [0, 1, 2])
        let small = try await session.readPlaceholder(named: "y", window: nil)
        #expect(!small.truncated && small.value == [1, 2])
        await runtime.shutdown()
    }
}
