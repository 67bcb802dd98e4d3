import Foundation
import Testing
@testable import RuntimeCore

/// Large values read whole through a session (worker encoding, frame,
/// runtime parsing), checked value by value: the text column that made reads
/// quadratic, with quotes, newlines and non-ASCII text in it.
@Suite(.timeLimit(.minutes(3)))
struct LargeReadTests {
    static let rows = 200_000

    static let program = #"""
import numpy as np
import pandas as pd
from runtimeBridge import save_placeholder

n = \#(rows)
save_placeholder("frame", pd.DataFrame({
    "n": np.arange(n),
    "x": np.arange(n) * 0.5,
    "s": ['row %d "q"\n\u00e9\u2028' % i for i in range(n)],
}))
save_placeholder("words", ["w%d\t" % i for i in range(n)])
"""#

    static func text(_ i: Int) -> JSONValue { .string("row \(i) \"q\"\né\u{2028}") }

    @Test func aLargeTextFrameReadsWhole() async throws {
        let runtime = TestSupport.runtime()
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": Self.program])
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error))")

        let read = try await session.readPlaceholder(named: "frame", window: RowWindow(begin: 0, size: Self.rows))
        #expect(read.window == PlaceholderValue.Window(begin: 0, size: Self.rows, max: Self.rows))
        let data = try #require(read.value["data"]?.arrayValue)
        #expect(data.count == Self.rows)
        for i in [0, 1, 4095, 4096, 99_999, Self.rows - 1] {
            #expect(data[i] == [.int(Int64(i)), .double(Double(i) / 2), Self.text(i)], "row \(i)")
        }
        #expect(read.value["index"]?.arrayValue?.count == Self.rows)

        let words = try await session.readPlaceholder(named: "words", window: RowWindow(begin: Self.rows - 2, size: 10))
        let expected: JSONValue = [.string("w\(Self.rows - 2)\t"), .string("w\(Self.rows - 1)\t")]
        #expect(words.value == expected)
        await runtime.shutdown()
    }
}
