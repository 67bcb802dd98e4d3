import Foundation
import Logging
import NIOCore
import RuntimeClient
import RuntimeCore

/// The Ray backend beside the local one (issue 11): two real RuntimeServers
/// from the same release build, one with `--backend ray` on the local
/// two-node cluster (`scripts/ray-cluster.sh`, whose network namespace this
/// process must be in) and one with the default local workers, otherwise
/// configured alike (default preloads, the same number of warm workers), and
/// the plain echo, all driven by the same client in the same run.
///
/// - Runs: `run` of `x = 1` to its end event (RuntimeClient), each taking a
///   warm worker: before every sample both servers' pools are full again
///   (`runtime_ready_workers` on `/metrics`) and Ray has no job of ours
///   pending or ending, so no refill, fork or Ray job start runs during a
///   sample. Local and Ray samples alternate. A cold row (a run with
///   resources of its own, which always gets a new Ray job) shows what the
///   warm pool hides.
/// - Reads: `get_placeholder` of an int and of a 10,000 × 5 float DataFrame
///   (a window of all rows) by ``RawConnection``, Ray, local and the echo
///   (sized to the reply) alternating in blocks after a warm-up of each.
struct RayBenchmarks {
    var settings: Settings
    var logger: Logger

    /// Warm workers of both servers (the local server's default).
    static let warmWorkers = 2
    /// CPUs a remote worker asks Ray for: several fit on the cluster's nodes.
    static let workerCPUs = "0.1"
    static let tableRows = 10_000
    static let blocks = 10

    static let program = """
        import numpy as np, pandas as pd, runtimeBridge as rb
        rng = np.random.default_rng(0)
        rb.save_placeholder("small", 42)
        rb.save_placeholder("table", pd.DataFrame(rng.normal(size=(10_000, 5)), columns=list("abcde")))
        """

    /// One server under test.
    struct Backend {
        var name: String
        var port: Int
        var child: Child
        var url: String { "ws://127.0.0.1:\(port)/" }
    }

    func run() async throws -> RayTable {
        guard let address = ProcessInfo.processInfo.environment["RUNTIME_RAY_ADDRESS"], !address.isEmpty else {
            throw BenchmarkFailure("no Ray cluster: run `scripts/bench.sh ray`, which starts one (RUNTIME_RAY_ADDRESS is unset)")
        }
        try settings.check([settings.server, settings.worker])
        var table = RayTable(quick: settings.quick, loadBefore: WireTable.loadAverage())
        var started: [Child] = []
        do {
            let common = ["--python", settings.python, "--log-level", "warning", "--warm-workers", "\(Self.warmWorkers)"]
            let localPort = try FreePort.pick()
            let local = Backend(name: "local", port: localPort,
                                child: try Child.start(settings.server, ["--port", "\(localPort)"] + common))
            started.append(local.child)
            let rayPort = try FreePort.pick()
            let ray = Backend(name: "Ray", port: rayPort, child: try Child.start(settings.server, ["--port", "\(rayPort)"] + common + [
                "--backend", "ray", "--ray-address", address, "--worker-listen", "127.0.0.1:0",
                "--worker-cpus", Self.workerCPUs, "--server-name", "bench-ray",
            ]))
            started.append(ray.child)
            let echoPort = try FreePort.pick()
            started.append(try Child.start(BenchServers.ownExecutable, ["echo-server", "\(echoPort)"]))
            let quiet = Quiet(backends: [local, ray], rayAddress: address, warmWorkers: Self.warmWorkers)
            let localClient = try await BenchServers.client(local.url, logger: logger)
            let rayClient = try await BenchServers.client(ray.url, logger: logger)
            do {
                try await measure(into: &table, local: (local, localClient), ray: (ray, rayClient), echoPort: echoPort, quiet: quiet)
            } catch {
                await localClient.close()
                await rayClient.close()
                throw error
            }
            await localClient.close()
            await rayClient.close()
        } catch {
            for child in started { child.terminate() }
            throw error
        }
        for child in started { child.terminate() }
        table.loadAfter = WireTable.loadAverage()
        return table
    }

    private func measure(into table: inout RayTable, local: (Backend, RuntimeConnection), ray: (Backend, RuntimeConnection),
                         echoPort: Int, quiet: Quiet) async throws {
        let (localClient, rayClient) = (local.1, ray.1)
        progress("ray: waiting for \(Self.warmWorkers) warm workers on each server (Ray: jobs started, preloads imported)")
        let clock = ContinuousClock()
        let firstFill = clock.now
        try await quiet.wait()
        progress("ray: both pools full after \(firstFill.duration(to: clock.now))")

        // Runs: local and Ray alternating, each sample on a full pool with nothing starting.
        let trivial = BenchServers.runMessage("x = 1\n")
        let runs = settings.iterations
        let runWarmup = 2
        var localRuns: [Double] = [], rayRuns: [Double] = []
        progress("ray: \(runs) runs of x = 1 on each server after \(runWarmup), each taking a warm worker")
        for index in 0..<(runWarmup + runs) {
            for onRay in index % 2 == 0 ? [false, true] : [true, false] {
                try await quiet.wait()
                let elapsed = try await BenchServers.timedRun(trivial, on: onRay ? rayClient : localClient)
                guard index >= runWarmup else { continue }
                if onRay { rayRuns.append(elapsed) } else { localRuns.append(elapsed) }
            }
            if (index + 1) % 10 == 0 { progress("ray: \(index + 1) of \(runWarmup + runs) run pairs") }
        }
        let echo = try await RawConnection.connect(to: "ws://127.0.0.1:\(echoPort)/", greeted: false, logger: logger)
        let runBytes = ByteBuffer(string: trivial.jsonString)
        _ = try await echo.roundTrips(runBytes, count: 20)
        let echoRuns = try await echo.roundTrips(runBytes, count: runs).microseconds
        await echo.close()
        table.run = RayTable.Row(name: "run to finished, `x = 1`, a warm worker", requestBytes: runBytes.readableBytes,
                                 replyBytes: nil, ray: Sample(name: "Ray", microseconds: rayRuns),
                                 local: Sample(name: "local", microseconds: localRuns),
                                 echo: Sample(name: "echo", microseconds: echoRuns))
        progress("ray: runs: Ray median \(Report.format(table.run?.ray.median ?? .nan)), local median \(Report.format(table.run?.local.median ?? .nan))")

        // The cold path, for the record: a run with resources of its own always gets a new Ray job.
        if case .object(var fields) = trivial {
            fields.append(("resources", ["cpus": .double(Double(Self.workerCPUs) ?? 0.1)]))
            let cold = JSONValue.object(fields)
            let coldRuns = settings.quick ? 3 : 10
            progress("ray: \(coldRuns) cold runs (a Ray job started for each)")
            var times: [Double] = []
            for _ in 0..<coldRuns {
                try await quiet.wait()
                times.append(try await BenchServers.timedRun(cold, on: rayClient))
            }
            table.cold = Sample(name: "Ray, cold", microseconds: times)
        }

        // Reads: the values saved by one session on each server.
        try await quiet.wait()
        let localSession = try await BenchServers.runToEnd(Self.program, on: localClient)
        let raySession = try await BenchServers.runToEnd(Self.program, on: rayClient)
        let rayStatus = try await rayClient.request(["action": "status", "sessionId": .string(raySession)])
        let localStatus = try await localClient.request(["action": "status", "sessionId": .string(localSession)])
        guard let node = rayStatus["node"]?.stringValue, localStatus["node"]?.stringValue == nil else {
            throw BenchmarkFailure("the Ray server's session names no node (or the local one does): \(rayStatus.jsonString)")
        }
        table.node = node
        try await quiet.wait(sessionWorkers: 1)

        let requests = { (session: String) -> (small: JSONValue, whole: JSONValue) in
            let small: JSONValue = ["action": "get_placeholder", "placeholder": ["sessionId": .string(session), "name": "small"]]
            let whole: JSONValue = ["action": "get_placeholder", "placeholder": ["sessionId": .string(session), "name": "table"],
                                    "window": ["begin": 0, "size": .int(Int64(Self.tableRows))]]
            return (small, whole)
        }
        let localRequests = requests(localSession), rayRequests = requests(raySession)
        for (client, request) in [(localClient, localRequests), (rayClient, rayRequests)] {
            try await expect(client, request.small) { $0["value"]?.intValue == 42 }
            try await expect(client, request.whole) {
                $0["rowCount"]?.intValue == Self.tableRows && $0["value"]?["data"]?.arrayValue?.count == Self.tableRows
            }
        }
        let rawLocal = try await RawConnection.connect(to: local.0.url, greeted: true, logger: logger)
        let rawRay = try await RawConnection.connect(to: ray.0.url, greeted: true, logger: logger)
        do {
            let n = settings.roundTrips
            table.read = try await alternate("get_placeholder, an int", local: (rawLocal, localRequests.small),
                                             ray: (rawRay, rayRequests.small), echoPort: echoPort,
                                             count: n, warmup: settings.quick ? 20 : 200)
            table.table = try await alternate("get_placeholder, 10,000 × 5 floats, window of all rows",
                                              local: (rawLocal, localRequests.whole), ray: (rawRay, rayRequests.whole),
                                              echoPort: echoPort, count: settings.quick ? 20 : 500, warmup: settings.quick ? 5 : 20)
        } catch {
            await rawLocal.close()
            await rawRay.close()
            throw error
        }
        await rawLocal.close()
        await rawRay.close()
        for (client, session) in [(localClient, localSession), (rayClient, raySession)] {
            _ = try await client.request(["action": "delete_session", "sessionId": .string(session)])
        }
    }

    /// Sends `request` through RuntimeClient and checks the reply.
    private func expect(_ client: RuntimeConnection, _ request: JSONValue, _ check: (JSONValue) -> Bool) async throws {
        let reply = try await client.request(request)
        guard reply["type"]?.stringValue == "[placeholder]:VALUE", check(reply) else {
            throw BenchmarkFailure("unexpected reply to \(request.jsonString): \(reply.jsonString.prefix(400))")
        }
    }

    /// `count` round trips of each server's request and of the echo (sized to
    /// the local reply), in alternating blocks after a warm-up of each.
    private func alternate(_ name: String, local: (RawConnection, JSONValue), ray: (RawConnection, JSONValue),
                           echoPort: Int, count: Int, warmup: Int) async throws -> RayTable.Row {
        let localMessage = ByteBuffer(string: local.1.jsonString), rayMessage = ByteBuffer(string: ray.1.jsonString)
        let replyBytes = try await local.0.roundTrips(localMessage, count: 1).replyBytes
        let rayReplyBytes = try await ray.0.roundTrips(rayMessage, count: 1).replyBytes
        guard rayReplyBytes == replyBytes else {
            throw BenchmarkFailure("\(name): the Ray server answered \(rayReplyBytes) B, the local one \(replyBytes) B")
        }
        let echo = try await RawConnection.connect(to: "ws://127.0.0.1:\(echoPort)/sized?bytes=\(replyBytes)", greeted: false,
                                                   logger: logger)
        do {
            progress("ray: \(name): request \(localMessage.readableBytes) B, reply \(replyBytes) B; \(count) round trips each after \(warmup)")
            _ = try await local.0.roundTrips(localMessage, count: warmup)
            _ = try await ray.0.roundTrips(rayMessage, count: warmup)
            _ = try await echo.roundTrips(localMessage, count: warmup)
            var localTimes: [Double] = [], rayTimes: [Double] = [], echoTimes: [Double] = []
            let blocks = min(Self.blocks, count)
            for block in 0..<blocks {
                let size = count / blocks + (block < count % blocks ? 1 : 0)
                localTimes += try await local.0.roundTrips(localMessage, count: size).microseconds
                rayTimes += try await ray.0.roundTrips(rayMessage, count: size).microseconds
                echoTimes += try await echo.roundTrips(localMessage, count: size).microseconds
            }
            await echo.close()
            let row = RayTable.Row(name: name, requestBytes: localMessage.readableBytes, replyBytes: replyBytes,
                                   ray: Sample(name: "Ray", microseconds: rayTimes),
                                   local: Sample(name: "local", microseconds: localTimes),
                                   echo: Sample(name: "echo", microseconds: echoTimes))
            progress("ray: \(name): Ray median \(Report.format(row.ray.median)), local median \(Report.format(row.local.median)), "
                + "echo median \(Report.format(row.echo.median))")
            return row
        } catch {
            await echo.close()
            throw error
        }
    }
}

/// Waits, between samples, until nothing is starting or ending: every
/// server's pool holds its warm workers (`runtime_ready_workers` on its
/// `/metrics`), and Ray lists no job pending, and none running beyond the
/// Ray server's warm workers and its sessions' (a deleted session's job has
/// ended). Then a short pause, for what Ray does after a job ends.
struct Quiet {
    var backends: [RayBenchmarks.Backend]
    var rayAddress: String
    var warmWorkers: Int
    var settle: Duration = .milliseconds(150)
    var timeout: Duration = .seconds(300)

    /// `sessionWorkers`: the Ray server's sessions kept alive, each holding a job.
    func wait(sessionWorkers: Int = 0) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var last = ""
        while clock.now < deadline {
            if let busy = try busy(jobs: warmWorkers + sessionWorkers) {
                last = busy
                try await Task.sleep(for: .milliseconds(20))
                continue
            }
            try await Task.sleep(for: settle)
            return
        }
        throw BenchmarkFailure("the servers did not settle within \(timeout): \(last)")
    }

    /// What is still starting or ending, or nil when nothing is.
    private func busy(jobs expected: Int) throws -> String? {
        for backend in backends {
            let metrics = try PlainHTTP.get("http://127.0.0.1:\(backend.port)/metrics")
            let line = metrics.split(separator: "\n").first { $0.hasPrefix("runtime_ready_workers ") }
            let ready = line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
            if Int(ready) < warmWorkers { return "\(backend.name): \(Int(ready)) of \(warmWorkers) workers ready" }
        }
        let jobs = try PlainHTTP.get(rayAddress + "/api/jobs/")
        guard let list = (try? JSONParser.parse(Array(jobs.utf8)))?.arrayValue else {
            throw BenchmarkFailure("Ray's job list is not a JSON array: \(jobs.prefix(200))")
        }
        let statuses = list.compactMap { $0["status"]?.stringValue }
        let pending = statuses.filter { $0 == "PENDING" }.count, running = statuses.filter { $0 == "RUNNING" }.count
        if pending > 0 || running > expected { return "Ray: \(pending) jobs pending, \(running) running" }
        return nil
    }
}

/// The Ray suite's figures and its table: each row Ray beside local, with
/// the difference, the ratio and the goal.
struct RayTable {
    struct Row {
        var name: String
        var requestBytes: Int
        var replyBytes: Int?
        var ray: Sample
        var local: Sample
        var echo: Sample
    }

    var quick: Bool
    var loadBefore: String
    var loadAfter = ""
    var node = ""
    var run: Row?
    var cold: Sample?
    var read: Row?
    var table: Row?

    func print() {
        Swift.print("\n### Ray backend beside the local backend, through the server (same run)\n")
        Swift.print("| request | Ray median | Ray p99 | local median | local p99 | n each | Ray − local (median / p99) "
            + "| Ray ÷ local (median / p99) | echo median | echo p99 | goal | met |")
        Swift.print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
        if let run { row(run, goal: .within(1500)) }
        if let cold {
            Swift.print("| run to finished, `x = 1`, cold: a run with resources of its own, a Ray job started for it "
                + "| \(Report.format(cold.median)) | \(Report.format(cold.p99)) | – | – | \(cold.microseconds.count) "
                + "| – | – | – | – | – | – |")
        }
        if let read { row(read, goal: .within(1500)) }
        if let table { row(table, goal: .ratio(1.3)) }
        Swift.print("")
        Swift.print("Goals are judged on medians. Both servers: the same release build, default preloads (numpy, pandas), "
            + "\(RayBenchmarks.warmWorkers) warm workers; the Ray server's workers ask for \(RayBenchmarks.workerCPUs) CPU "
            + "(the reads' session ran on node \(node.prefix(12))…). Every run sample starts on full pools with no Ray job "
            + "pending or ending. The echo answers each read with a reply of the server's reply size, and the run message "
            + "with itself. Load average (1, 5, 15 min) before: \(loadBefore); after: \(loadAfter)."
            + (quick ? " Quick run (--quick): too few samples for a p99 to mean much." : ""))
    }

    static func signed(_ us: Double) -> String { (us < 0 ? "−" : "+") + Report.format(abs(us)) }

    enum Goal {
        case within(Double)
        case ratio(Double)
    }

    private func row(_ row: Row, goal: Goal) {
        let difference = row.ray.median - row.local.median, differenceP99 = row.ray.p99 - row.local.p99
        let ratio = row.ray.median / row.local.median, ratioP99 = row.ray.p99 / row.local.p99
        let size = "request \(WireTable.bytes(row.requestBytes))" + (row.replyBytes.map { ", reply \(WireTable.bytes($0))" } ?? "")
        let (goalText, met): (String, Bool) = switch goal {
        case .within(let us): ("Ray ≤ local + \(Report.format(us))", difference <= us)
        case .ratio(let limit): ("Ray ≤ \(String(format: "%.1f", limit))× local", ratio <= limit)
        }
        Swift.print("| \(row.name) (\(size)) | \(Report.format(row.ray.median)) | \(Report.format(row.ray.p99)) "
            + "| \(Report.format(row.local.median)) | \(Report.format(row.local.p99)) | \(row.ray.microseconds.count) "
            + "| \(Self.signed(difference)) / \(Self.signed(differenceP99)) "
            + "| \(String(format: "%.2f×", ratio)) / \(String(format: "%.2f×", ratioP99)) "
            + "| \(Report.format(row.echo.median)) | \(Report.format(row.echo.p99)) | \(goalText) | \(met ? "yes" : "no") |")
    }
}
