import Foundation
import Logging
import RuntimeCore

/// Worker start and run-to-finished latency, each beside a plain
/// `python main.py` subprocess measured in the same run.
struct StartupBenchmarks {
    var settings: Settings
    var logger: Logger

    private static let mainSource = "import helper\nfrom runtimeBridge import save_placeholder\nsave_placeholder('x', helper.value())\n"
    private static let pandasSource = "import pandas\n" + mainSource
    private static let helperSource = "def value():\n    return 42\n"

    func run() async throws -> Report {
        try settings.check([settings.worker])
        var report = Report()
        let python = settings.python
        let iterations = settings.iterations
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // The subprocess baseline has no runtimeBridge: give it a stand-in module.
        try "def save_placeholder(name, value):\n    pass\n".write(to: folder.appendingPathComponent("runtimeBridge.py"), atomically: true, encoding: .utf8)
        try Self.helperSource.write(to: folder.appendingPathComponent("helper.py"), atomically: true, encoding: .utf8)
        try Self.mainSource.write(to: folder.appendingPathComponent("main.py"), atomically: true, encoding: .utf8)
        try Self.pandasSource.write(to: folder.appendingPathComponent("main_pandas.py"), atomically: true, encoding: .utf8)

        let bare = settings.runtimeConfiguration(warmWorkers: 1)
        var preloaded = bare
        preloaded.preloadModules = ["pandas"]
        let starts = settings.quick ? 5 : 30, pandasStarts = settings.quick ? 3 : 10

        let pythonStart = try await Measure.repeated("python -c pass", count: starts) {
            try Measure.runProcess(python, ["-c", "pass"])
        }
        var spawned = bare
        spawned.forkServer = false
        report.add(try await workerStart(spawned, name: "worker start, spawned: Runtime() + warmUp(), one worker to ready", count: starts),
                   against: pythonStart)
        report.add(try await workerStart(bare, name: "worker start, fork server: Runtime() + warmUp(), one worker to ready", count: starts),
                   against: pythonStart)
        let pandasStart = try await Measure.repeated("python -c 'import pandas'", count: pandasStarts) {
            try Measure.runProcess(python, ["-c", "import pandas"])
        }
        var preloadedSpawned = preloaded
        preloadedSpawned.forkServer = false
        report.add(try await workerStart(preloadedSpawned, name: "worker start, spawned, pandas preloaded", count: pandasStarts),
                   against: pandasStart)
        report.add(try await workerStart(preloaded, name: "worker start, fork server, pandas preloaded", count: pandasStarts),
                   against: pandasStart)

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

    /// A fresh runtime's `warmUp()`: one worker started and contained (its
    /// hello, preloads imported), spawned or forked from the runtime's fork
    /// server, which a fresh runtime starts first. The runtime's own set-up
    /// (its work folder) is inside the figure; the pool is not public, so a
    /// worker cannot be timed alone from outside RuntimeCore.
    private func workerStart(_ configuration: RuntimeConfiguration, name: String, count: Int) async throws -> Sample {
        try await Measure.timed(name, count: count, warmup: 1) {
            let start = Measure.now()
            let runtime = Runtime(configuration: configuration, logger: logger)
            await runtime.warmUp()
            let elapsed = Double(Measure.now() - start) / 1000
            let ready = await runtime.readyWorkers()
            await runtime.shutdown()
            guard ready == configuration.warmWorkers else { throw BenchmarkFailure("\(ready) workers ready, not \(configuration.warmWorkers)") }
            return elapsed
        }
    }

    private func runToFinished(_ configuration: RuntimeConfiguration, main: String, name: String) async throws -> Sample {
        try await RunLatency(iterations: settings.iterations, logger: logger)
            .runToFinished(configuration, files: ["main.py": main, "helper.py": Self.helperSource], name: name)
    }
}
