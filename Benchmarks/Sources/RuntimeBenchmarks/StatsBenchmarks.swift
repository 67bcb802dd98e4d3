import Foundation
import Logging
import RuntimeCore

/// get_stats against pandas computing the same statistics (`describe()` plus
/// skew, kurt, nunique, deciles and a 10-bucket histogram), same data, same
/// run. pandas is timed inside Python (no transport counted for it); ours is
/// timed end to end through the runtime (worker round trip and JSON included).
struct StatsBenchmarks {
    var settings: Settings
    var logger: Logger

    private static let program = #"""
    import time
    import numpy as np, pandas as pd, runtimeBridge as rb
    rng = np.random.default_rng(42)

    def pandas_stats(frame):
        out = []
        for name in frame.columns:
            s = frame[name]
            d = s.describe()
            out.append((d, s.skew(), s.kurt(), s.nunique(), s.quantile(np.linspace(0, 1, 11)),
                        np.histogram(s.dropna(), bins=min(10, s.nunique()))))
        return out

    class PandasTimer:
        """Called through run_model: times pandas on a dataset inside Python."""
        def __call__(self, rows):
            frame = globals()[str(rows.flat[0]) if hasattr(rows, "flat") else rows[0][0]]
            start = time.perf_counter()
            pandas_stats(frame)
            return [time.perf_counter() - start]

    rb.save_placeholder("pandas_timer", PandasTimer())
    f64_1m = pd.DataFrame({"v": rng.normal(0, 1, 1_000_000)})
    i64_1m = pd.DataFrame({"v": rng.integers(-10**9, 10**9, 1_000_000)})
    f64_10m = pd.DataFrame({"v": rng.normal(0, 1, 10_000_000)})
    i64_10m = pd.DataFrame({"v": rng.integers(-10**9, 10**9, 10_000_000)})
    ten_by_1m = pd.DataFrame({"c%d" % i: rng.normal(i, 1 + i, 1_000_000) for i in range(10)})
    """#

    func run() async throws -> Report {
        try settings.check([settings.worker])
        var report = Report()
        let runtime = Runtime(configuration: settings.runtimeConfiguration(warmWorkers: 0), logger: logger)
        do {
            try await measure(runtime, into: &report)
        } catch {
            await runtime.shutdown()
            throw error
        }
        await runtime.shutdown()
        return report
    }

    private func measure(_ runtime: Runtime, into report: inout Report) async throws {
        let session = try await runtime.run(Program(files: [SourceFile(filename: "main.py", content: Self.program)], mainFile: "main.py"))
        let end = await session.waitUntilEnded()
        guard end.status == .finished else { throw BenchmarkFailure("benchmark program: \(end.error?.text ?? "\(end.status)")") }
        let cases: [(String, String, Int)] = [
            ("f64_1m", "float64, 1M rows", 10), ("i64_1m", "int64, 1M rows", 10),
            ("f64_10m", "float64, 10M rows", 5), ("i64_10m", "int64, 10M rows", 5),
            ("ten_by_1m", "10 float64 columns × 1M rows", 5),
        ]
        for (dataset, label, count) in cases {
            let count = settings.quick ? 2 : count
            let pandas = try await Measure.timed("pandas (\(label))", count: count, warmup: 1) {
                let reply = try await session.predict(model: "pandas_timer", input: .inline([[.string(dataset)]]))
                guard let seconds = try reply.decoded()[0]?.doubleValue else { throw BenchmarkFailure("pandas timer answered \(reply)") }
                return seconds * 1e6
            }
            let ours = try await Measure.repeated("get_stats, \(label)", count: count, warmup: 1) {
                _ = try await session.statistics(of: dataset)
            }
            report.add(ours, against: pandas)
        }
    }
}
