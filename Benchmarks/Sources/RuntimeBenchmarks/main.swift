import Foundation
import Logging

// Benchmarks: run with `./scripts/bench.sh [startup|stats|server|all]` (release
// build). Figures go to stdout as Markdown tables; progress goes to stderr.
// `RuntimeBenchmarks echo-server PORT` is the echo floor the server suite starts.
let arguments = CommandLine.arguments.dropFirst()
if arguments.first == "echo-server", let port = arguments.dropFirst().first.flatMap({ Int($0) }) {
    try await EchoServer.run(port: port)
    exit(0)
}

var logger = Logger(label: "bench")
logger.logLevel = .critical
let environment = ProcessInfo.processInfo.environment
let iterations = Int(environment["BENCH_ITERATIONS"] ?? "") ?? 100
let roundTrips = Int(environment["BENCH_ROUND_TRIPS"] ?? "") ?? 10_000
let suite = arguments.first ?? "all"

if suite == "startup" || suite == "all" {
    let startup = try await StartupBenchmarks(iterations: iterations, logger: logger).run()
    startup.print(title: "Start-up and run latency (µs unless noted)")
}
if suite == "containment" || suite == "all" {
    let containment = try await ContainmentBenchmarks(iterations: iterations, logger: logger).run()
    containment.print(title: "Contained sessions beside uncontained ones (same run)")
}
if suite == "stats" || suite == "all" {
    let stats = try await StatsBenchmarks(logger: logger).run()
    stats.print(title: "get_stats beside pandas (same data, same run)")
}
if suite == "server" || suite == "all" {
    let server = try await ServerBenchmarks(roundTrips: roundTrips, runs: iterations, logger: logger).run()
    server.print(title: "Through the server over loopback, beside a plain WebSocket echo")
}
