import Foundation
import Logging

// Benchmarks: run with `./scripts/bench.sh` (release build). Figures go to
// stdout as Markdown tables; progress goes to stderr.
var logger = Logger(label: "bench")
logger.logLevel = .warning
let iterations = Int(ProcessInfo.processInfo.environment["BENCH_ITERATIONS"] ?? "") ?? 100

let startup = try await StartupBenchmarks(iterations: iterations, logger: logger).run()
startup.print(title: "Start-up and run latency (µs unless noted)")
