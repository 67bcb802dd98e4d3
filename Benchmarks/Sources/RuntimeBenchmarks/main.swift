import Foundation
import Logging

// Benchmarks: run with `./scripts/bench.sh [startup|containment|stats|server|wire|forkserver|ray|all] [--quick]`
// (Docs/Benchmarks.md); `ray` needs the cluster `scripts/bench.sh ray` starts, and is not part of `all`. Figures go to stdout as Markdown tables; progress goes to stderr.
// `RuntimeBenchmarks echo-server PORT [PYTHON]` is the echo floor the server suites start (PYTHON: its Python relays' interpreter).
var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "echo-server", let port = arguments.dropFirst().first.flatMap({ Int($0) }) {
    try await EchoServer.run(port: port, python: arguments.dropFirst(2).first)
    exit(0)
}
let quickFlag = arguments.contains("--quick")
arguments.removeAll { $0 == "--quick" }
let suites = ["startup", "containment", "stats", "server", "wire", "forkserver", "ray", "all"]
let suite = arguments.first ?? "all"
guard suites.contains(suite), arguments.count <= 1 else {
    progress("usage: RuntimeBenchmarks [\(suites.joined(separator: "|"))] [--quick]   (or BENCH_QUICK=1)")
    exit(2)
}

var logger = Logger(label: "bench")
logger.logLevel = .critical
let settings = Settings.fromEnvironment(quickFlag: quickFlag)
progress("bench: worker \(settings.worker), server \(settings.server), python \(settings.python)"
    + (settings.quick ? " (quick)" : ""))

do {
    if suite == "startup" || suite == "all" {
        let startup = try await StartupBenchmarks(settings: settings, logger: logger).run()
        startup.print(title: "Start-up and run latency (µs unless noted)")
    }
    if suite == "containment" || suite == "all" {
        let containment = try await ContainmentBenchmarks(settings: settings, logger: logger).run()
        containment.print(title: "Contained sessions beside uncontained ones (same run)")
    }
    if suite == "stats" || suite == "all" {
        let stats = try await StatsBenchmarks(settings: settings, logger: logger).run()
        stats.print(title: "get_stats beside pandas (same data, same run)")
    }
    if suite == "forkserver" || suite == "all" {
        let forkServer = try await ForkServerBenchmarks(settings: settings, logger: logger).run()
        forkServer.print(title: "Sessions forked from the fork server beside spawned ones (same run; numpy and pandas preloaded)")
    }
    if suite == "ray" {
        try await RayBenchmarks(settings: settings, logger: logger).run().print()
    }
    if suite == "server" || suite == "wire" || suite == "all" {
        let servers = try BenchServers.start(settings)
        do {
            let loadBefore = WireTable.loadAverage()
            let cpuBefore = CPUTimes.now()
            let wire = try await WireBenchmarks(settings: settings, servers: servers, logger: logger).run()
            wire.print(loadBefore: loadBefore, loadAfter: WireTable.loadAverage(), stolen: CPUTimes.now()?.stolenSince(cpuBefore) ?? "unknown")
            if suite != "wire" {
                let server = try await ServerBenchmarks(settings: settings, servers: servers, logger: logger).run()
                server.print(title: "A run through the server, beside the echo of its message")
            }
        } catch {
            servers.stop()
            throw error
        }
        servers.stop()
    }
} catch {
    progress("bench: failed: \(error)")
    exit(1)
}
