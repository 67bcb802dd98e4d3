import Foundation
import Logging
import RuntimeCore

/// What containment costs: worker start, run to finished and memory per
/// session with every measure on, beside the same with process isolation off
/// (the spawn path as it was before), in the same run.
struct ContainmentBenchmarks {
    var settings: Settings
    var logger: Logger

    private static let mainSource = "import helper\nfrom runtimeBridge import save_placeholder\nsave_placeholder('x', helper.value())\n"
    private static let pandasSource = """
        import pandas as pd
        from runtimeBridge import save_placeholder
        save_placeholder('df', pd.DataFrame({'a': range(1000), 'b': [float(i) for i in range(1000)]}))
        """

    func run() async throws -> Report {
        try settings.check([settings.worker])
        var report = Report()
        var contained = settings.runtimeConfiguration(warmWorkers: 1)
        var bare = contained
        bare.containment.isolateProcesses = false
        report.add(try await runToFinished(contained, name: "run to finished, 2 files, warm pool, contained"),
                   against: try await runToFinished(bare, name: "same, uncontained"))
        contained.preloadModules = ["numpy", "pandas"]
        bare.preloadModules = ["numpy", "pandas"]
        report.add(try await memoryPerSession(contained, name: "memory per session (PSS), 10 pandas sessions, contained"),
                   against: try await memoryPerSession(bare, name: "same, uncontained"))
        return report
    }

    private func runToFinished(_ configuration: RuntimeConfiguration, name: String) async throws -> Sample {
        try await RunLatency(iterations: settings.iterations, logger: logger)
            .runToFinished(configuration, files: ["main.py": Self.mainSource, "helper.py": "def value():\n    return 42\n"], name: name)
    }

    /// Runs 10 sessions that build a DataFrame, keeps them, and divides the
    /// proportional set size of every process below this one by 10. Three
    /// rounds; the sample holds one figure per round.
    private func memoryPerSession(_ configuration: RuntimeConfiguration, name: String) async throws -> Sample {
        var configuration = configuration
        configuration.warmWorkers = 0
        var figures: [Double] = []
        for _ in 0..<3 {
            let runtime = Runtime(configuration: configuration, logger: logger)
            let program = try Program(files: [SourceFile(filename: "main.py", content: Self.pandasSource)], mainFile: "main.py")
            for _ in 0..<10 {
                let session = try await runtime.run(program)
                let end = await session.waitUntilEnded()
                guard end.status == .finished else {
                    await runtime.shutdown()
                    throw BenchmarkFailure("benchmark run \(end.status): \(end.error?.text ?? "")")
                }
            }
            figures.append(Double(ProcessTree.descendantsPSS(of: getpid())) / 10 / 1024)
            await runtime.shutdown()
        }
        return Sample(name: name, microseconds: figures, unit: .mebibytes)
    }
}
