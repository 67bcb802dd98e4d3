import Foundation
import RuntimeCore

/// Where the project's release executables and Python environment are, and
/// how many samples to take. Everything comes from the environment that
/// `scripts/bench.sh` sets, with defaults for running the binary by hand from
/// the repository.
struct Settings: Sendable {
    /// The repository holding the main package (`Benchmarks/..`).
    var repository: URL
    /// The `runtime-worker` the in-process suites start (the main package's release build).
    var worker: String
    /// The `RuntimeServer` the server suites start (the main package's release build).
    var server: String
    /// The Python environment the workers embed, and the baselines run.
    var python: String
    /// A smoke run: few samples, every row still printed.
    var quick: Bool
    /// Samples per run-latency figure (`BENCH_ITERATIONS`, default 100; 10 quick).
    var iterations: Int
    /// Round trips per latency row of the server suites (`BENCH_ROUND_TRIPS`,
    /// default 2,000 after the warm-up; 200 quick).
    var roundTrips: Int
    /// Arguments added to the server's command line (`BENCH_SERVER_ARGS`,
    /// split at spaces), e.g. `--value-cache-mb 0` to measure first reads.
    var serverArguments: [String] = []

    static func fromEnvironment(quickFlag: Bool) -> Settings {
        let environment = ProcessInfo.processInfo.environment
        // Benchmarks/Sources/RuntimeBenchmarks/Settings.swift → the repository.
        let compiledIn = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let repository = environment["BENCH_REPOSITORY"].map { URL(fileURLWithPath: $0) } ?? compiledIn
        let release = repository.appendingPathComponent(".build/release")
        let venvPython = repository.appendingPathComponent(".venv/bin/python").path
        let python = environment["BENCH_PYTHON"]
            ?? (FileManager.default.isExecutableFile(atPath: venvPython) ? venvPython : PythonEnvironment.resolve().executable)
        let quick = quickFlag || ["1", "true", "yes"].contains(environment["BENCH_QUICK"]?.lowercased() ?? "")
        return Settings(
            repository: repository,
            worker: nonEmpty(environment["RUNTIME_WORKER"]) ?? release.appendingPathComponent("runtime-worker").path,
            server: nonEmpty(environment["RUNTIME_SERVER"]) ?? release.appendingPathComponent("RuntimeServer").path,
            python: python,
            quick: quick,
            iterations: Int(environment["BENCH_ITERATIONS"] ?? "") ?? (quick ? 10 : 100),
            roundTrips: Int(environment["BENCH_ROUND_TRIPS"] ?? "") ?? (quick ? 200 : 2000),
            serverArguments: (environment["BENCH_SERVER_ARGS"] ?? "").split(separator: " ").map(String.init))
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }

    /// A runtime configuration that starts the main package's release worker
    /// with the benchmark's Python environment.
    func runtimeConfiguration(warmWorkers: Int) -> RuntimeConfiguration {
        RuntimeConfiguration(python: PythonEnvironment(executable: python, source: .configured),
                             worker: WorkerLauncher(executable: worker),
                             warmWorkers: warmWorkers)
    }

    /// Fails early, naming what to build, when an executable is missing.
    func check(_ paths: [String]) throws {
        for path in paths where !FileManager.default.isExecutableFile(atPath: path) {
            throw BenchmarkFailure("\(path) is missing: build the main package first (swift build -c release in \(repository.path))")
        }
    }
}

/// A benchmark that could not run as planned.
struct BenchmarkFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Progress, on stderr (the tables go to stdout).
func progress(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
