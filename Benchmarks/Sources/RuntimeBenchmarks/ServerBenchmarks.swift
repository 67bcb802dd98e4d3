import Foundation
import Logging
import RuntimeClient
import RuntimeCore

/// A whole run through the server: `run` of a trivial program to its end
/// event, with the project's Swift client (RuntimeClient), beside the echo of
/// the same `run` message. (The wire suite covers the read, status, table,
/// 8-connection and run_model rows.)
struct ServerBenchmarks {
    var settings: Settings
    var servers: BenchServers
    var logger: Logger

    func run() async throws -> Report {
        var report = Report()
        let rt = try await BenchServers.client(servers.serverURL, logger: logger)
        let floor = try await BenchServers.client(servers.echoURL, logger: logger)
        do {
            let trivial = BenchServers.runMessage("x = 1\n")
            let runs = settings.iterations
            let echoRun = try await Measure.repeated("echo (run-sized)", count: runs, warmup: 5) { _ = try await floor.request(trivial) }
            report.add(try await Measure.timed("run to finished, trivial program", count: runs, warmup: 5) {
                // Give the warm pool its refill time outside the measurement, as a person's pause would.
                try await Task.sleep(for: .milliseconds(60))
                return try await BenchServers.timedRun(trivial, on: rt)
            }, against: echoRun)
        } catch {
            await rt.close()
            await floor.close()
            throw error
        }
        await rt.close()
        await floor.close()
        return report
    }
}
