import Foundation
import Logging
import RuntimeClient
import RuntimeCore

/// Issue 10's table: sessions forked from the fork server beside sessions
/// spawned from the executable (`--no-fork-server`), in the same run, both
/// with numpy and pandas preloaded (the server's default).
struct ForkServerBenchmarks {
    var settings: Settings
    var logger: Logger

    private static let preload = "numpy,pandas"

    func run() async throws -> Report {
        var report = Report()
        let runs = settings.quick ? 20 : 100
        for forked in [true, false] {
            let label = forked ? "fork server" : "spawned"
            let server = try startServer(forked: forked)
            defer { server.child.terminate() }
            let rt = try await BenchServers.client(server.url, logger: logger)
            // Idle: the warm pool filled (the first run waits for it).
            _ = try await BenchServers.runToEnd("x = 1\n", on: rt)
            try await Task.sleep(for: .seconds(2))
            report.add(Sample(name: "\(label): server tree PSS, idle (MiB)",
                              microseconds: [Double(Self.treePSS(of: server.pid)) / 1024], unit: .mebibytes))

            let twoFiles: JSONValue = ["action": "run", "python": ["files": [
                ["filename": "main.py", "content": "import helper\nhelper.go()\n"],
                ["filename": "helper.py", "content": "def go():\n    return 1\n"],
            ], "mainfile": "main.py"]]
            report.add(try await Self.runToFinished("\(label): 2-file trivial run to finished", twoFiles, runs: runs, on: rt))
            let pandas = BenchServers.runMessage("import pandas as pd\ndf = pd.DataFrame({'a': range(1000), 'b': [0.5] * 1000})\n")
            report.add(try await Self.runToFinished("\(label): import pandas, 1,000-row DataFrame", pandas, runs: runs, on: rt))
            report.add(try await statusWhileAnotherStarts(label, on: rt, rounds: settings.quick ? 2 : 5))

            // 20 sessions that imported pandas, kept.
            for _ in 0..<20 {
                _ = try await BenchServers.runToEnd("import pandas as pd\ndf = pd.DataFrame({'a': range(1000)})\n", on: rt)
            }
            report.add(Sample(name: "\(label): server tree PSS after 20 pandas sessions (MiB)",
                              microseconds: [Double(Self.treePSS(of: server.pid)) / 1024], unit: .mebibytes))
            await rt.close()
        }
        for forked in [true, false] {
            report.add(try await workerStartToHello(forked: forked, count: runs))
        }
        return report
    }

    private func startServer(forked: Bool) throws -> (child: Child, url: String, pid: Int32) {
        try settings.check([settings.server, settings.worker])
        let port = try FreePort.pick()
        let child = try Child.start(settings.server, [
            "--port", "\(port)", "--python", settings.python, "--preload", Self.preload, "--warm-workers", "2",
            "--log-level", "warning", "--max-sessions", "1000",
        ] + (forked ? [] : ["--no-fork-server"]))
        return (child, "ws://127.0.0.1:\(port)/", child.process.processIdentifier)
    }

    /// Run to its end event, `runs` times back to back, each in a new session.
    private static func runToFinished(_ name: String, _ message: JSONValue, runs: Int, on rt: RuntimeConnection) async throws -> Sample {
        try await Measure.timed(name, count: runs, warmup: 3) { try await BenchServers.timedRun(message, on: rt) }
    }

    /// `status` of a finished session B, asked again and again while session
    /// A starts and runs a 1 s program (and the pool refills behind it).
    private func statusWhileAnotherStarts(_ label: String, on rt: RuntimeConnection, rounds: Int) async throws -> Sample {
        let b = try await BenchServers.runToEnd("x = 1\n", on: rt)
        let status: JSONValue = ["action": "status", "sessionId": .string(b)]
        var times: [Double] = []
        for _ in 0..<rounds {
            let reply = try await rt.request(BenchServers.runMessage("import time\ntime.sleep(1)\n"))
            guard let a = reply["sessionId"]?.stringValue else { throw BenchmarkFailure("run refused") }
            let until = Measure.now() + 1_000_000_000
            while Measure.now() < until {
                let start = Measure.now()
                _ = try await rt.request(status)
                times.append(Double(Measure.now() - start) / 1000)
            }
            _ = await BenchServers.waitForEnd(rt, sessionId: a)
        }
        return Sample(name: "\(label): status of B while A starts and runs 1 s", microseconds: times)
    }

    /// From the request for a worker (fork or spawn) to its hello, in the
    /// library, one new session after another with no warm pool.
    private func workerStartToHello(forked: Bool, count: Int) async throws -> Sample {
        var configuration = settings.runtimeConfiguration(warmWorkers: 0)
        configuration.preloadModules = ["numpy", "pandas"]
        configuration.forkServer = forked
        let runtime = Runtime(configuration: configuration, logger: logger)
        for _ in 0..<(count + 3) {
            let session = try await runtime.run(Program(files: [SourceFile(filename: "main.py", content: "x = 1\n")], mainFile: "main.py"))
            _ = await session.waitUntilEnded()
            try await runtime.deleteSession(id: session.id)
        }
        let diagnostics = await runtime.diagnostics()
        await runtime.shutdown()
        if forked, diagnostics.workerStarts.contains(where: { !$0.forked }) {
            throw BenchmarkFailure("the fork server was not used: \(diagnostics.forkServer?.unusable ?? "?")")
        }
        let times = diagnostics.workerStarts.dropFirst(3).map { Double($0.duration.components.attoseconds) / 1e12 + Double($0.duration.components.seconds) * 1e6 }
        return Sample(name: forked ? "fork request to the worker's hello" : "spawn to the worker's hello", microseconds: Array(times))
    }

    /// The summed PSS (KiB) of the server and every process below it.
    private static func treePSS(of root: Int32) -> Int {
        let rollup = (try? String(contentsOfFile: "/proc/\(root)/smaps_rollup", encoding: .utf8)) ?? ""
        let own = rollup.split(separator: "\n").first { $0.hasPrefix("Pss:") }.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        return own + ProcessTree.descendantsPSS(of: root)
    }
}
