import Foundation
import Testing
@testable import RuntimeCore

/// Numeric DataFrames are written straight from their arrays' memory; the
/// bytes must be exactly those the general path writes for the same values
/// (built here in Python as plain lists, which take the general path).
@Suite(.timeLimit(.minutes(2)))
struct NumericFrameEncodingTests {
    private static let program = """
        import numpy as np, pandas as pd
        from runtimeBridge import save_placeholder

        def plain(df):
            columns = [df[c].tolist() for c in df.columns]
            return {"columns": df.columns.tolist(), "index": df.index.tolist(), "data": [list(r) for r in zip(*columns)]}

        frames = {
            "floats": pd.DataFrame({"a": [0.1, -2.5, np.nan, np.inf, -np.inf, 1e300, 3.0], "b": np.arange(7, dtype=np.float32) / 3}),
            "ints": pd.DataFrame({"i8": np.array([-128, 0, 127], dtype=np.int8), "i64": [2**62, -2**62, 0],
                                  "u64": np.array([2**64 - 1, 0, 5], dtype=np.uint64), "u16": np.array([1, 2, 65535], dtype=np.uint16)}),
            "bools": pd.DataFrame({"t": [True, False, True], "n": [1.5, 2.5, 3.5]}, index=["x", "y", "z"]),
            "random": pd.DataFrame(np.random.rand(2000, 5), columns=list("abcde")),
            "empty": pd.DataFrame({"a": np.array([], dtype=float)}),
        }
        for name, df in frames.items():
            save_placeholder(name, df)
            save_placeholder(name + "_plain", plain(df))
            save_placeholder(name + "_page", df.iloc[2:5])
            save_placeholder(name + "_page_plain", plain(df.iloc[2:5]))
        """

    @Test(arguments: [false, true])
    func theFastPathWritesTheGeneralPathsBytes(_ exact: Bool) async throws {
        let runtime = TestSupport.runtime { $0.preloadModules = ["numpy", "pandas"] }
        let (session, end) = try await TestSupport.runToEnd(runtime, ["main.py": Self.program])
        #expect(end.status == .finished, "\(String(describing: end.error))")
        let options = ValueReadOptions(exact: exact)
        for name in ["floats", "ints", "bools", "random", "empty"] {
            for suffix in ["", "_page"] {
                let window = RowWindow(begin: 0, size: 10_000)
                let fast = try await session.readPlaceholder(named: name + suffix, window: window, options: options)
                let plain = try await session.readPlaceholder(named: name + suffix + "_plain", window: nil, options: options)
                #expect(fast.encodedValue == plain.encodedValue, "\(name)\(suffix), exact \(exact):\n\(fast.encodedValue)\n\(plain.encodedValue)")
            }
        }
        await runtime.shutdown()
    }
}
