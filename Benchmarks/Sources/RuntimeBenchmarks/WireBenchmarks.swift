import Foundation
import Logging
import NIOCore
import RuntimeClient
import RuntimeCore

/// What the server adds on the wire: each request through the real
/// RuntimeServer over a real WebSocket, beside the plain Hummingbird echo
/// server answering the same request with a reply of the same size, in the
/// same run, measured by the same client (``RawConnection``). Latency rows
/// alternate between the two in blocks, so a change in the machine's load
/// falls on both.
struct WireBenchmarks {
    var settings: Settings
    var servers: BenchServers
    var logger: Logger

    /// The values read: an int, a 10,000 × 5 float DataFrame, a fitted
    /// LinearRegression on 5 features.
    static let program = """
        import numpy as np, pandas as pd, runtimeBridge as rb
        from sklearn.linear_model import LinearRegression
        rng = np.random.default_rng(0)
        rb.save_placeholder("small", 42)
        rb.save_placeholder("table", pd.DataFrame(rng.normal(size=(10_000, 5)), columns=list("abcde")))
        X = rng.normal(size=(500, 5))
        y = X @ np.array([1.0, -2.0, 0.5, 3.0, 0.0]) + rng.normal(scale=0.1, size=500)
        rb.save_placeholder("model", LinearRegression().fit(X, y))
        """

    /// The program's model, fitted the same way in a Python of its own (`model`).
    static let fittedModel = """
        import json, sys
        import numpy as np
        from sklearn.linear_model import LinearRegression
        rng = np.random.default_rng(0)
        rng.normal(size=(10_000, 5))
        X = rng.normal(size=(500, 5))
        y = X @ np.array([1.0, -2.0, 0.5, 3.0, 0.0]) + rng.normal(scale=0.1, size=500)
        model = LinearRegression().fit(X, y)

        """

    /// The same model, and its `predict` on the same row timed directly in
    /// the worker's Python environment, sleeping between calls (the paced
    /// predict; the goal's back-to-back predict is ``PredictProcess``'s).
    static let directPredict = fittedModel + """
        import time
        row = np.asarray([[0.1, -0.2, 0.3, 0.4, 0.5]])
        count, warmup, gap = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
        for _ in range(warmup):
            model.predict(row)
        times = []
        for _ in range(count):
            if gap:
                time.sleep(gap)
            start = time.perf_counter()
            model.predict(row)
            times.append((time.perf_counter() - start) * 1e6)
        print(json.dumps(times))
        """

    static let tableRows = 10_000
    static let blocks = 10

    func run() async throws -> WireTable {
        var table = WireTable(quick: settings.quick)
        let client = try await BenchServers.client(servers.serverURL, logger: logger)
        do {
            try await measure(into: &table, client: client)
        } catch {
            await client.close()
            throw error
        }
        await client.close()
        return table
    }

    private func measure(into table: inout WireTable, client: RuntimeConnection) async throws {
        progress("wire: running the setup program (numpy, pandas, scikit-learn) in the server")
        let sessionId = try await BenchServers.runToEnd(Self.program, on: client)
        let server = try await RawConnection.connect(to: servers.serverURL, greeted: true, logger: logger)

        let placeholder: (String) -> JSONValue = { name in
            ["action": "get_placeholder", "placeholder": ["sessionId": .string(sessionId), "name": .string(name)]]
        }
        let small = placeholder("small")
        let status: JSONValue = ["action": "status", "sessionId": .string(sessionId)]
        var whole = placeholder("table")
        if case .object(var fields) = whole {
            fields.append(("window", ["begin": 0, "size": .int(Int64(Self.tableRows))]))
            whole = .object(fields)
        }
        let model: JSONValue = ["action": "run_model", "model": [
            "sessionId": .string(sessionId), "name": "model", "is_data": true, "data": [0.1, -0.2, 0.3, 0.4, 0.5],
        ]]

        // Each request once through the public client: the reply is what it should be.
        try await expect(client, small, type: "[placeholder]:VALUE") { $0["value"]?.intValue == 42 }
        try await expect(client, status, type: "[status]:STATUS") { $0["status"]?.stringValue == "finished" }
        try await expect(client, whole, type: "[placeholder]:VALUE") { $0["rowCount"]?.intValue == Self.tableRows
            && $0["value"]?["data"]?.arrayValue?.count == Self.tableRows }
        try await expect(client, model, type: "[model]:RESULT") { $0["predictions"]?.arrayValue?.count == 1 }

        let n = settings.roundTrips
        let warmup = settings.quick ? 20 : 200
        table.read = try await latency("get_placeholder, an int", small, server: server, count: n, warmup: warmup)
        table.status = try await latency("status", status, server: server, count: n, warmup: warmup)
        table.table = try await latency("get_placeholder, 10,000 × 5 floats, window of all rows", whole, server: server,
                                        count: n, warmup: settings.quick ? 5 : 20)
        table.connections = try await throughput("get_placeholder, an int, 8 connections", small, connections: 8,
                                                 perConnection: max(1, 4 * n / 8 / 4), rounds: 4, warmup: settings.quick ? 10 : 50)
        let predict = try PredictProcess(python: settings.python, warmup: warmup)
        defer { predict.stop() }
        table.model = try await latency("run_model, one row (LinearRegression, 5 features)", model, server: server,
                                        count: n, warmup: warmup, via: ["cat", "python", "python-loop"], predict: predict)
        if let model = table.model {
            // Called as often as the server was asked: the same idle gaps between calls.
            table.pacedPredict = try directPredict(count: n, warmup: warmup, gap: max(0, model.ours.median - (model.predict?.median ?? 0)))
        }
        table.serverArguments = settings.serverArguments
        await server.close()
    }

    /// Sends `request` through RuntimeClient and checks the reply's type and content.
    private func expect(_ client: RuntimeConnection, _ request: JSONValue, type: String,
                        _ check: (JSONValue) -> Bool) async throws {
        let reply = try await client.request(request)
        guard reply["type"]?.stringValue == type, check(reply) else {
            throw BenchmarkFailure("unexpected reply to \(request.jsonString): \(reply.jsonString.prefix(400))")
        }
    }

    /// `count` round trips of `request` to the server and to the echo (sized
    /// to the server's reply), and to the echo through each relay of `via`
    /// (``RelayProcess``), in alternating blocks after a warm-up of each; and
    /// as many calls of `predict`, a block of them after each block of round trips.
    private func latency(_ name: String, _ request: JSONValue, server: RawConnection,
                         count: Int, warmup: Int, via relays: [String] = [],
                         predict: PredictProcess? = nil) async throws -> WireTable.Pair {
        let message = ByteBuffer(string: request.jsonString)
        let replyBytes = try await server.roundTrips(message, count: 1).replyBytes
        var floors: [(String, RawConnection)] = []
        do {
            floors.append(("echo", try await RawConnection.connect(to: servers.echoURL(replyBytes: replyBytes), greeted: false, logger: logger)))
            for via in relays {
                floors.append((via, try await RawConnection.connect(to: servers.relayURL(replyBytes: replyBytes, via: via),
                                                                    greeted: false, logger: logger)))
            }
            let pair = try await alternate(name, message, replyBytes: replyBytes, server: server, floors: floors,
                                           predict: predict, count: count, warmup: warmup)
            for (_, floor) in floors { await floor.close() }
            return pair
        } catch {
            for (_, floor) in floors { await floor.close() }
            throw error
        }
    }

    /// The first of `floors` is the echo; the others are relays.
    private func alternate(_ name: String, _ message: ByteBuffer, replyBytes: Int, server: RawConnection,
                           floors: [(name: String, connection: RawConnection)], predict: PredictProcess?,
                           count: Int, warmup: Int) async throws -> WireTable.Pair {
        progress("wire: \(name): request \(message.readableBytes) B, reply \(replyBytes) B; \(count) round trips each after \(warmup)")
        _ = try await server.roundTrips(message, count: warmup)
        for floor in floors {
            let warm = try await floor.connection.roundTrips(message, count: warmup)
            guard warm.replyBytes == replyBytes else { throw BenchmarkFailure("\(floor.name) reply \(warm.replyBytes) B, not \(replyBytes) B") }
        }
        var ours: [Double] = []
        var floorTimes = [[Double]](repeating: [], count: floors.count)
        var predictTimes: [Double] = []
        let blocks = min(Self.blocks, count)
        for block in 0..<blocks {
            let size = count / blocks + (block < count % blocks ? 1 : 0)
            ours += try await server.roundTrips(message, count: size).microseconds
            for index in floors.indices {
                floorTimes[index] += try await floors[index].connection.roundTrips(message, count: size).microseconds
            }
            if let predict { predictTimes += try predict.calls(size) }
        }
        let pair = WireTable.Pair(name: name, requestBytes: message.readableBytes, replyBytes: replyBytes,
                                  ours: Sample(name: name, microseconds: ours),
                                  echo: Sample(name: "echo", microseconds: floorTimes[0]),
                                  relays: floors.indices.dropFirst().map { (floors[$0].name, Sample(name: floors[$0].name, microseconds: floorTimes[$0])) },
                                  predict: predict == nil ? nil : Sample(name: "direct model.predict", microseconds: predictTimes))
        progress("wire: \(name): ours median \(Report.format(pair.ours.median)), echo median \(Report.format(pair.echo.median))"
            + pair.relays.map { ", through \($0.via) \(Report.format($0.sample.median))" }.joined()
            + (pair.predict.map { ", direct predict \(Report.format($0.median))" } ?? ""))
        return pair
    }

    /// Requests per second with `connections` connections each sending one
    /// request at a time, ours and echo alternating over `rounds` rounds.
    private func throughput(_ name: String, _ request: JSONValue, connections: Int, perConnection: Int,
                            rounds: Int, warmup: Int) async throws -> WireTable.Rate {
        let message = ByteBuffer(string: request.jsonString)
        var ours: [RawConnection] = [], floor: [RawConnection] = []
        for _ in 0..<connections { ours.append(try await RawConnection.connect(to: servers.serverURL, greeted: true, logger: logger)) }
        let replyBytes = try await ours[0].roundTrips(message, count: 1).replyBytes
        for _ in 0..<connections {
            floor.append(try await RawConnection.connect(to: servers.echoURL(replyBytes: replyBytes), greeted: false, logger: logger))
        }
        progress("wire: \(name): \(rounds) rounds of \(connections) × \(perConnection) requests each")
        _ = try await burst(ours, message, count: warmup)
        _ = try await burst(floor, message, count: warmup)
        var oursSeconds = 0.0, floorSeconds = 0.0
        var oursTimes: [Double] = [], floorTimes: [Double] = []
        for _ in 0..<rounds {
            let a = try await burst(ours, message, count: perConnection)
            oursSeconds += a.seconds
            oursTimes += a.microseconds
            let b = try await burst(floor, message, count: perConnection)
            floorSeconds += b.seconds
            floorTimes += b.microseconds
        }
        for connection in ours + floor { await connection.close() }
        let rate = WireTable.Rate(name: name, connections: connections, replyBytes: replyBytes,
                                  ours: Double(oursTimes.count) / oursSeconds, echo: Double(floorTimes.count) / floorSeconds,
                                  oursLatency: Sample(name: name, microseconds: oursTimes),
                                  echoLatency: Sample(name: "echo", microseconds: floorTimes))
        progress("wire: \(name): ours \(Int(rate.ours)) req/s, echo \(Int(rate.echo)) req/s")
        return rate
    }

    /// All connections at once, `count` requests each; the wall time and every round trip.
    private func burst(_ connections: [RawConnection], _ message: ByteBuffer, count: Int) async throws -> (seconds: Double, microseconds: [Double]) {
        let clock = ContinuousClock()
        let start = clock.now
        let times = try await withThrowingTaskGroup(of: [Double].self) { group in
            for connection in connections {
                group.addTask { try await connection.roundTrips(message, count: count).microseconds }
            }
            return try await group.reduce(into: [Double]()) { $0 += $1 }
        }
        let elapsed = start.duration(to: clock.now)
        return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, times)
    }

    /// `model.predict` on the same row, timed in a Python of the worker's
    /// environment, with the thread settings the worker gets: back to back,
    /// or sleeping `gap` microseconds before each call (as a worker idles
    /// between requests).
    private func directPredict(count: Int, warmup: Int, gap: Double = 0) throws -> Sample {
        progress("wire: direct model.predict in \(settings.python), \(count) calls after \(warmup), \(Int(gap)) µs apart")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: settings.python)
        process.arguments = ["-c", Self.directPredict, "\(count)", "\(warmup)", "\(gap / 1e6)"]
        var environment = ProcessInfo.processInfo.environment
        for name in Containment.singleThreadedLibraries where environment[name] == nil { environment[name] = "1" }
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let times = (try? JSONParser.parse(Array(data)))?.arrayValue?.compactMap(\.doubleValue), times.count == count
        else { throw BenchmarkFailure("direct predict failed (exit \(process.terminationStatus))") }
        return Sample(name: "direct model.predict", microseconds: times)
    }
}

/// The wire suite's figures and its table: each row with its ratio to the
/// echo and the goal.
struct WireTable {
    struct Pair {
        var name: String
        var requestBytes: Int
        var replyBytes: Int
        var ours: Sample
        var echo: Sample
        /// The echo through a child process, by the child's kind (`cat`, `python`).
        var relays: [(via: String, sample: Sample)] = []
        /// The direct `model.predict`, timed in the same blocks (the `run_model` row).
        var predict: Sample?
    }

    struct Rate {
        var name: String
        var connections: Int
        var replyBytes: Int
        var ours: Double
        var echo: Double
        var oursLatency: Sample
        var echoLatency: Sample
    }

    var quick: Bool
    var read: Pair?
    var status: Pair?
    var table: Pair?
    var connections: Rate?
    var model: Pair?
    /// The same predict, one call per round trip of the server's run_model row.
    var pacedPredict: Sample?
    var serverArguments: [String] = []

    /// - Parameter stolen: the share of the vCPUs' time the hypervisor took during the suite (``CPUTimes``).
    func print(loadBefore: String, loadAfter: String, stolen: String) {
        Swift.print("\n### Through the server over a WebSocket, beside a plain Hummingbird echo (same run)\n")
        Swift.print("| request | ours median | ours p99 | echo median | echo p99 | n each | ours ÷ echo (median) | ours ÷ echo (p99) | goal | met |")
        Swift.print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
        if let read { ratioRow(read, goal: 1.3) }
        if let status { ratioRow(status, goal: 1.15) }
        if let table { ratioRow(table, goal: 1.5) }
        if let connections {
            let ratio = connections.ours / connections.echo
            Swift.print("| \(connections.name) (reply \(Self.bytes(connections.replyBytes))) | \(Self.rate(connections.ours)) "
                + "| \(Report.format(connections.oursLatency.p99)) per request | \(Self.rate(connections.echo)) "
                + "| \(Report.format(connections.echoLatency.p99)) per request | \(connections.oursLatency.microseconds.count) "
                + "| \(String(format: "%.2f×", ratio)) req/s | – | ≥ 0.6× echo req/s | \(ratio >= 0.6 ? "yes" : "no") |")
        }
        if let model, let predict = model.predict {
            let overhead = model.ours.median - model.echo.median - predict.median
            let overheadP99 = model.ours.p99 - model.echo.p99 - predict.p99
            Swift.print("| \(model.name) (request \(Self.bytes(model.requestBytes)), reply \(Self.bytes(model.replyBytes))) "
                + "| \(Report.format(model.ours.median)) | \(Report.format(model.ours.p99)) | \(Report.format(model.echo.median)) "
                + "| \(Report.format(model.echo.p99)) | \(model.ours.microseconds.count) "
                + "| echo + predict + \(Self.signed(overhead)) | echo + predict + \(Self.signed(overheadP99)) "
                + "| ≤ echo + predict + 100 µs | \(overhead <= 100 ? "yes" : "no") |")
            Swift.print("")
            Swift.print("Direct `model.predict` on the same row in the worker's Python (`perf_counter`, one thread, "
                + "a block of calls back to back after each block of round trips of the row): "
                + "median \(Self.micro(predict.median)), p99 \(Self.micro(predict.p99)), n \(predict.microseconds.count). "
                + "The run_model overhead is ours − echo − predict, medians (and p99s) subtracted.")
            if let paced = pacedPredict {
                let pacedOverhead = model.ours.median - model.echo.median - paced.median
                Swift.print("")
                Swift.print("The same predict called as often as the server was (sleeping \(Self.micro(max(0, model.ours.median - predict.median))) "
                    + "between calls, as the worker idles between requests): median \(Self.micro(paced.median)), "
                    + "p99 \(Self.micro(paced.p99)), n \(paced.microseconds.count); against it the run_model overhead is "
                    + "\(Self.signed(pacedOverhead)) (median).")
            }
            if !model.relays.isEmpty { relayLines(model) }
        }
        Swift.print("")
        Swift.print("Goals are judged on medians. Reply sizes: the echo answers each request with a reply of the server's reply size. "
            + "8 connections: each sends one request at a time; req/s over 4 rounds alternating ours and echo. "
            + "Load average (1, 5, 15 min) before: \(loadBefore); after: \(loadAfter). "
            + "vCPU time stolen by the hypervisor during the suite: \(stolen) (`/proc/stat`)."
            + (serverArguments.isEmpty ? "" : " Server started with `\(serverArguments.joined(separator: " "))` (BENCH_SERVER_ARGS).")
            + (quick ? " Quick run (BENCH_QUICK): too few samples for a p99 to mean much." : ""))
    }

    /// The echo through each child process, in the same blocks as the row:
    /// the floor of a server that hands each request to a worker process.
    private func relayLines(_ pair: Pair) {
        Swift.print("")
        Swift.print("The same echo server, each message first passed through a child process of the connection's own "
            + "(written to its stdin as a line, its answer line read by a thread of the server's, as RuntimeServer hands a "
            + "request to a session's worker), in the same blocks as the row above:")
        Swift.print("")
        Swift.print("| floor | median | p99 | n | over the echo (median) | ours over it (median) | ours over it (p99) |")
        Swift.print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for (via, sample) in pair.relays {
            let what = switch via {
            case "python": "through a plain Python worker (`json.loads`, `model.predict` on the row, `json.dumps`)"
            case "python-loop": "through the same worker, its answers read on the connection's event loop (no thread between)"
            default: "through `\(via)` (the process hop alone)"
            }
            Swift.print("| echo \(what) | \(Report.format(sample.median)) | \(Report.format(sample.p99)) | \(sample.microseconds.count) "
                + "| \(Self.signed(sample.median - pair.echo.median)) | \(Self.signed(pair.ours.median - sample.median)) "
                + "| \(Self.signed(pair.ours.p99 - sample.p99)) |")
        }
    }

    private func ratioRow(_ pair: Pair, goal: Double) {
        let ratio = pair.ours.median / pair.echo.median
        Swift.print("| \(pair.name) (request \(Self.bytes(pair.requestBytes)), reply \(Self.bytes(pair.replyBytes))) "
            + "| \(Report.format(pair.ours.median)) | \(Report.format(pair.ours.p99)) | \(Report.format(pair.echo.median)) "
            + "| \(Report.format(pair.echo.p99)) | \(pair.ours.microseconds.count) "
            + "| \(String(format: "%.2f×", ratio)) | \(String(format: "%.2f×", pair.ours.p99 / pair.echo.p99)) "
            + "| ≤ \(String(format: "%.2f", goal))× echo | \(ratio <= goal ? "yes" : "no") |")
    }

    static func bytes(_ count: Int) -> String {
        if count >= 1 << 20 { return String(format: "%.2f MiB", Double(count) / Double(1 << 20)) }
        if count >= 10 << 10 { return String(format: "%.0f KiB", Double(count) / 1024) }
        return "\(count) B"
    }

    static func rate(_ perSecond: Double) -> String { String(format: "%.0f req/s", perSecond) }

    static func micro(_ us: Double) -> String { String(format: "%.1f µs", us) }

    static func signed(_ us: Double) -> String { (us < 0 ? "−" : "") + String(format: "%.0f µs", abs(us)) }

    /// `/proc/loadavg`'s first three fields.
    static func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: ", ")
    }
}
