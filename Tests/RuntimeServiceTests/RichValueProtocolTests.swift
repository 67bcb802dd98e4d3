import Foundation
import RuntimeClient
import RuntimeCore
import RuntimeTestSupport
import Testing

/// `get_placeholder`'s `exact` and `format` options and its `dtypes`,
/// `categories` and `display` fields, over the wire.
@Suite(.timeLimit(.minutes(2)))
struct RichValueProtocolTests {
    static let program = #"""
import numpy as np
import pandas as pd
import runtimeBridge
runtimeBridge.save_placeholder("a", np.array([1.0, np.nan, -np.inf]))
runtimeBridge.save_placeholder("df", pd.DataFrame({"n": pd.array([1, None], dtype="Int64"),
                                                   "c": pd.Categorical(["u", "v"])}))
"""#

    @Test func optionsAndFieldsOnTheWire() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        let id = try #require(try await client.run(["main.py": Self.program])["sessionId"]?.stringValue)
        _ = await client.eventsUntilEnd(of: id)
        func read(_ name: String, _ extra: [(String, JSONValue)] = [], inside: [(String, JSONValue)] = []) async throws -> JSONValue {
            let placeholder: JSONValue = .object([("sessionId", .string(id)), ("name", .string(name))] + inside)
            return try await client.request(.object([("action", "get_placeholder"), ("placeholder", placeholder)] + extra))
        }
        let plain = try await read("a")
        #expect(plain["value"]?.jsonString == "[1.0,null,null]", "\(plain)")
        #expect(plain["dtypes"] == "float64")
        #expect(plain["display"] == nil)
        #expect(try await read("a", [("exact", true)])["value"]?.jsonString == #"[1.0,"NaN","-Infinity"]"#)
        #expect(try await read("a", inside: [("exact", true)])["value"]?.jsonString == #"[1.0,"NaN","-Infinity"]"#)
        #expect(try await read("a", [("exact", false)])["value"]?.jsonString == "[1.0,null,null]")

        let frame = try await read("df")
        #expect(frame["value"]?.jsonString == #"{"columns":["n","c"],"index":[0,1],"data":[[1,"u"],[null,"v"]]}"#)
        #expect(frame["dtypes"]?.jsonString == #"{"n":"Int64","c":"category"}"#)
        #expect(frame["categories"]?.jsonString == #"{"c":["u","v"]}"#)
        #expect(frame["display"]?["text/html"]?.stringValue?.contains("<table") == true)
        #expect(frame["display"]?["text/plain"]?.stringValue?.isEmpty == false)

        let pickled = try await read("a", [("format", "jsonpickle")])
        #expect(pickled["format"] == "jsonpickle")
        #expect(pickled["value"]?["py/object"] == "numpy.ndarray", "\(pickled)")

        let badExact = try await read("a", [("exact", "yes")])
        #expect(badExact.errorCode == "INVALID_REQUEST")
        #expect(badExact["error"]?["message"] == "exact must be a boolean, not string")
        let badFormat = try await read("a", inside: [("format", "pickle")])
        #expect(badFormat.errorCode == "INVALID_REQUEST")
        #expect(badFormat["error"]?["message"] == #"format must be "json" or "jsonpickle", not "pickle""#)
        await client.close()
        try await server.stop()
    }
}
