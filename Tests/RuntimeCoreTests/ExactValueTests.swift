import Foundation
import Testing
@testable import RuntimeCore

/// The `exact` option and the exact-value rules (dtypes, nullable integers,
/// timedelta, Decimal, complex, categoricals, structured arrays, MultiIndex),
/// each compared as JSON text, so that `1` and `1.0` differ.
@Suite(.timeLimit(.minutes(2)))
struct ExactValueTests {
    static let program = #"""
import datetime, decimal, math
import numpy as np
import pandas as pd
from runtimeBridge import save_placeholder as save

save("floats", [1.5, float("nan"), float("inf"), -math.inf])
save("nan", float("nan"))
save("minf", -math.inf)
save("arr", np.array([1.0, np.nan, np.inf, -np.inf]))
save("nested", {"x": float("nan"), "y": [float("inf")]})
save("df", pd.DataFrame({"v": [np.nan, np.inf, -np.inf, 1.0]}))
save("dflabels", pd.DataFrame({np.nan: [1.0, 2.0]}, index=[np.nan, -np.inf]))
save("catnf", pd.Series(pd.Categorical([1.5, np.inf]), name="c"))
save("ints", pd.DataFrame({"n": pd.array([1, None, 3], dtype="Int64"), "b": pd.array([True, None, False], dtype="boolean")}))
save("nser", pd.Series(pd.array([5, None], dtype="Int64"), name="n"))
save("td", datetime.timedelta(days=1, hours=2))
save("tds", [datetime.timedelta(seconds=1.5), datetime.timedelta(0), -datetime.timedelta(days=1)])
save("pdtd", pd.Timedelta(microseconds=1, nanoseconds=500))
save("nptd", np.array([np.timedelta64(90, "s"), np.timedelta64("NaT")]))
save("dec", decimal.Decimal("1.10"))
save("cx", complex(1, -2))
save("cxs", np.array([1 + 2j, 3j]))
save("cat", pd.DataFrame({"c": pd.Categorical(["b", "a", None], categories=["b", "a", "z"])}))
save("catser", pd.Series(pd.Categorical(["x"], categories=["x", "y"]), name="k"))
save("rec", np.array([(1, 2.5), (2, 3.5)], dtype=[("id", "i4"), ("w", "f8")]))
save("mi", pd.DataFrame({"v": [1, 2]}, index=pd.MultiIndex.from_tuples([("a", 1), ("b", 2)])))
save("small", np.arange(3, dtype=np.int16))
save("negzero", -0.0)
save("negzeros", [-0.0, np.float64(-0.0)])
save("negzeroarr", np.array([-0.0, 0.0]))
save("surrogates", ["a\ud800b\x00c", "\udfff"])
"""#

    @Test func exactAndRichValues() async throws {
        let runtime = TestSupport.runtime()
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["values.py": Self.program])
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error))")

        func check(_ name: String, exact: Bool = false, _ expected: String, dtypes: String? = nil,
                   categories: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let read = try await session.readPlaceholder(named: name, window: nil, options: ValueReadOptions(exact: exact))
            #expect(read.value.jsonString == expected, "\(name)", sourceLocation: sourceLocation)
            #expect(read.dtypes?.jsonString == dtypes, "\(name) dtypes", sourceLocation: sourceLocation)
            #expect(read.categories?.jsonString == categories, "\(name) categories", sourceLocation: sourceLocation)
        }
        // Non-finite floats: the default as the contract has it; exact everywhere.
        try await check("floats", #"[1.5,null,null,null]"#)
        try await check("floats", exact: true, #"[1.5,"NaN","Infinity","-Infinity"]"#)
        try await check("nan", #""nan""#)
        try await check("nan", exact: true, #""NaN""#)
        try await check("minf", #""-inf""#)
        try await check("minf", exact: true, #""-Infinity""#)
        try await check("arr", exact: true, #"[1.0,"NaN","Infinity","-Infinity"]"#, dtypes: #""float64""#)
        try await check("nested", exact: true, #"{"x":"NaN","y":["Infinity"]}"#)
        try await check("df", #"{"columns":["v"],"index":[0,1,2,3],"data":[[null],[null],[null],[1.0]]}"#, dtypes: #"{"v":"float64"}"#)
        try await check("df", exact: true, #"{"columns":["v"],"index":[0,1,2,3],"data":[["NaN"],["Infinity"],["-Infinity"],[1.0]]}"#,
                        dtypes: #"{"v":"float64"}"#)
        // Labels and categories too (a numeric frame's header is written apart from its rows).
        try await check("dflabels", #"{"columns":[null],"index":[null,null],"data":[[1.0],[2.0]]}"#, dtypes: #"{"nan":"float64"}"#)
        try await check("dflabels", exact: true, #"{"columns":["NaN"],"index":["NaN","-Infinity"],"data":[[1.0],[2.0]]}"#,
                        dtypes: #"{"nan":"float64"}"#)
        try await check("catnf", exact: true, #"{"name":"c","index":[0,1],"data":[1.5,"Infinity"]}"#, dtypes: #""category""#,
                        categories: #"[1.5,"Infinity"]"#)
        // Nullable integers stay integers; missing is null.
        try await check("ints", #"{"columns":["n","b"],"index":[0,1,2],"data":[[1,true],[null,null],[3,false]]}"#,
                        dtypes: #"{"n":"Int64","b":"boolean"}"#)
        try await check("nser", #"{"name":"n","index":[0,1],"data":[5,null]}"#, dtypes: #""Int64""#)
        // Durations: ISO 8601 (days of 24 h) and seconds.
        try await check("td", #"{"iso":"P1DT2H","seconds":93600.0}"#)
        try await check("tds", #"[{"iso":"PT1.5S","seconds":1.5},{"iso":"PT0S","seconds":0.0},{"iso":"-P1D","seconds":-86400.0}]"#)
        try await check("pdtd", #"{"iso":"PT0.0000015S","seconds":1.5e-06}"#)
        try await check("nptd", #"[{"iso":"PT1M30S","seconds":90.0},null]"#, dtypes: #""timedelta64[s]""#)
        try await check("dec", #""1.10""#)
        try await check("cx", #"{"real":1.0,"imag":-2.0}"#)
        try await check("cxs", #"[{"real":1.0,"imag":2.0},{"real":0.0,"imag":3.0}]"#, dtypes: #""complex128""#)
        // Categoricals: the values, and the categories beside them.
        try await check("cat", #"{"columns":["c"],"index":[0,1,2],"data":[["b"],["a"],[null]]}"#,
                        dtypes: #"{"c":"category"}"#, categories: #"{"c":["b","a","z"]}"#)
        try await check("catser", #"{"name":"k","index":[0],"data":["x"]}"#, dtypes: #""category""#, categories: #"["x","y"]"#)
        // Structured arrays keep their field names; MultiIndex entries are arrays.
        try await check("rec", #"[{"id":1,"w":2.5},{"id":2,"w":3.5}]"#, dtypes: #"{"id":"int32","w":"float64"}"#)
        try await check("mi", #"{"columns":["v"],"index":[["a",1],["b",2]],"data":[[1],[2]]}"#, dtypes: #"{"v":"int64"}"#)
        try await check("small", "[0,1,2]", dtypes: #""int16""#)
        // -0.0 keeps its sign, as Python's json writes it.
        try await check("negzero", "-0.0")
        try await check("negzeros", "[-0.0,-0.0]")
        try await check("negzeroarr", "[-0.0,0.0]", dtypes: #""float64""#)
        // Lone surrogates, which UTF-8 cannot carry, are U+FFFD (the rest kept, NUL too).
        try await check("surrogates", "[\"a\u{FFFD}b\\u0000c\",\"\u{FFFD}\"]")
        await runtime.shutdown()
    }

    @Test func workerRefusesMistypedOptions() throws {
        #expect(throws: RuntimeError.self) { try WorkerReadRequest(frame: ["op": "get", "name": "x", "exact": "yes"]) }
        #expect(throws: RuntimeError.self) { try WorkerReadRequest(frame: ["op": "get", "name": "x", "format": "pickle"]) }
        let read = try WorkerReadRequest(frame: ["op": "get", "name": "x", "exact": true, "format": "jsonpickle", "displayBytes": 10])
        #expect(read.exact && read.format == "jsonpickle" && read.displayBytes == 10)
        var sent = WorkerReadRequest(name: "x", maxRows: 5)
        sent.exact = true
        sent.format = "jsonpickle"
        sent.displayBytes = 7
        let frame = WorkerRequest.read(sent).frames(rid: nil)
        #expect(String(decoding: frame.dropFirst(4), as: UTF8.self)
            == #"{"op":"get","name":"x","maxRows":5,"exact":true,"format":"jsonpickle","displayBytes":7}"#)
        let decoded = try WorkerRequest.decode(JSONParser.parse(Array(frame.dropFirst(4))), parts: [])
        #expect(decoded == .read(sent))
    }
}
