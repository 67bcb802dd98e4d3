import Foundation
import Logging
import RuntimeCore

/// Worker start, pool hand-out and run-to-finished latency, each beside a
/// plain `python main.py` subprocess measured in the same run.
struct StartupBenchmarks {
    var iterations: Int
    var logger: Logger

    private static let mainSource = "import helper\nfrom runtimeBridge import save_placeholder\nsave_placeholder('x', helper.value())\n"
    private static let pandasSource = "import pandas\n" + mainSource
    private static let helperSource = "def value():\n    return 42\n"

    func run() async throws -> Report {
        var report = Report()
        let python = PythonEnvironment.resolve().executable
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // The subprocess baseline has no runtimeBridge: give it a stand-in module.
        try "def save_placeholder(name, value):\n    pass\n".write(to: folder.appendingPathComponent("runtimeBridge.py"), atomically: true, encoding: .utf8)
        try Self.helperSource.write(to: folder.appendingPathComponent("helper.py"), atomically: true, encoding: .utf8)
        try Self.mainSource.write(to: folder.appendingPathComponent("main.py"), atomically: true, encoding: .utf8)
        try Self.pandasSource.write(to: folder.appendingPathComponent("main_pandas.py"), atomically: true, encoding: .utf8)

        let bare = RuntimeConfiguration(warmWorkers: 1)
        var preloaded = RuntimeConfiguration(warmWorkers: 1)
        preloaded.preloadModules = ["pandas"]

        let pythonStart = try await Measure.repeated("python -c pass", count: 30) {
            try Measure.runProcess(python, ["-c", "pass"])
        }
        report.add(try await workerStart(bare, name: "worker start (spawn to ready)", count: 30), against: pythonStart)
        let pandasStart = try await Measure.repeated("python -c 'import pandas'", count: 10) {
            try Measure.runProcess(python, ["-c", "import pandas"])
        }
        report.add(try await workerStart(preloaded, name: "worker start, pandas preloaded", count: 10), against: pandasStart)
        report.add(try await handOut(bare, count: 100))

        let plain = try await Measure.repeated("python main.py", count: iterations) {
            try Measure.runProcess(python, ["main.py"], in: folder)
        }
        report.add(try await runToFinished(bare, main: Self.mainSource, name: "run to finished, 2 files, warm pool"), against: plain)
        let plainPandas = try await Measure.repeated("python main.py (import pandas)", count: iterations) {
            try Measure.runProcess(python, ["main_pandas.py"], in: folder)
        }
        report.add(try await runToFinished(bare, main: Self.pandasSource, name: "run to finished, import pandas, warm pool"),
                   against: plainPandas)
        report.add(try await runToFinished(preloaded, main: Self.pandasSource,
                                           name: "run to finished, import pandas, pandas preloaded"), against: plainPandas)
        return report
    }

    private func workerStart(_ configuration: RuntimeConfiguration, name: String, count: Int) async throws -> Sample {
        try await Measure.timed(name, count: count, warmup: 1) {
            let pool = WorkerPool(configuration: configuration, logger: logger)
            let start = Measure.now()
            let worker = try await pool.take()
            let elapsed = Double(Measure.now() - start) / 1000
            await worker.terminate()
            await pool.shutdown()
            return elapsed
        }
    }

    private func handOut(_ configuration: RuntimeConfiguration, count: Int) async throws -> Sample {
        let pool = WorkerPool(configuration: configuration, logger: logger)
        let sample = try await Measure.timed("pool hand-out (a ready worker)", count: count) {
            await pool.fill()
            await pool.waitUntilFilled()
            let start = Measure.now()
            let worker = try await pool.take()
            let elapsed = Double(Measure.now() - start) / 1000
            await worker.terminate()
            return elapsed
        }
        await pool.shutdown()
        return sample
    }

    private func runToFinished(_ configuration: RuntimeConfiguration, main: String, name: String) async throws -> Sample {
        try await RunLatency(iterations: iterations, logger: logger)
            .runToFinished(configuration, files: ["main.py": main, "helper.py": Self.helperSource], name: name)
    }
}
