import Foundation
import Logging
import RuntimeClient
import RuntimeCore

/// Round trips, throughput and run latency through a running RuntimeServer,
/// each beside a plain WebSocket echo server (the floor), both separate
/// processes on loopback, driven by the same Swift client.
struct ServerBenchmarks {
    var roundTrips: Int
    var runs: Int
    var logger: Logger

    func run() async throws -> Report {
        var report = Report()
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let serverPort = try FreePort.pick(), echoPort = try FreePort.pick()
        let server = try Child.start(folder.appendingPathComponent("RuntimeServer").path,
                                     ["--port", "\(serverPort)", "--preload", "", "--warm-workers", "2", "--log-level", "warning"])
        let echo = try Child.start(CommandLine.arguments[0], ["echo-server", "\(echoPort)"])
        defer { server.terminate(); echo.terminate() }
        let serverURL = "ws://127.0.0.1:\(serverPort)/", echoURL = "ws://127.0.0.1:\(echoPort)/"
        let rt = try await connect(serverURL), floor = try await connect(echoURL)

        // A small placeholder to read.
        let started = try await rt.request(runMessage("from runtimeBridge import save_placeholder\nsave_placeholder('small', {'a': 1, 'b': [1, 2, 3]})\n"))
        let sessionId = started["sessionId"] ?? .null
        _ = await waitForEnd(rt, sessionId)

        let status: JSONValue = ["action": "status", "sessionId": sessionId]
        let get: JSONValue = ["action": "get_placeholder", "placeholder": ["sessionId": sessionId, "name": "small"]]
        let echoStatus = try await Measure.repeated("echo (status-sized)", count: roundTrips, warmup: 200) { _ = try await floor.request(status) }
        report.add(try await Measure.repeated("status round trip", count: roundTrips, warmup: 200) { _ = try await rt.request(status) },
                   against: echoStatus)
        let echoGet = try await Measure.repeated("echo (get-sized)", count: roundTrips, warmup: 200) { _ = try await floor.request(get) }
        report.add(try await Measure.repeated("get_placeholder round trip (small dict)", count: roundTrips, warmup: 200) {
            _ = try await rt.request(get)
        }, against: echoGet)

        let echoRate = try await throughput(echoURL, message: status, name: "echo, 8 connections")
        report.add(try await throughput(serverURL, message: status, name: "status, 8 connections (req/s)"), against: echoRate)

        let trivial = runMessage("x = 1\n")
        let echoRun = try await Measure.repeated("echo (run-sized)", count: runs, warmup: 5) { _ = try await floor.request(trivial) }
        report.add(try await Measure.timed("run to finished, trivial program", count: runs, warmup: 5) {
            // Give the warm pool its refill time outside the measurement, as a person's pause would.
            try await Task.sleep(for: .milliseconds(60))
            let start = Measure.now()
            let reply = try await rt.request(trivial)
            let id = reply["sessionId"] ?? .null
            _ = await waitForEnd(rt, id)
            let elapsed = Double(Measure.now() - start) / 1000
            _ = try await rt.request(["action": "delete_session", "sessionId": id])
            return elapsed
        }, against: echoRun)
        report.add(try await modelOverhead(rt), against: nil)
        await rt.close()
        await floor.close()
        return report
    }

    /// run_model on a one-row instance through the server, minus the same
    /// `model.predict` timed inside Python: what the server adds.
    private func modelOverhead(_ rt: RuntimeConnection) async throws -> Sample {
        let program = """
        import time, numpy as np, runtimeBridge as rb
        from sklearn.linear_model import LogisticRegression
        rng = np.random.default_rng(0)
        X = rng.normal(size=(500, 4)); y = (X.sum(axis=1) > 0).astype(int)
        model = LogisticRegression().fit(X, y)
        rb.save_placeholder("model", model)
        row = np.asarray([[0.1, -0.2, 0.3, 0.4]])
        times = []
        for _ in range(2000):
            start = time.perf_counter(); model.predict(row); times.append(time.perf_counter() - start)
        rb.save_placeholder("direct_us", float(np.median(times[200:]) * 1e6))
        """
        let started = try await rt.request(runMessage(program))
        let id = started["sessionId"] ?? .null
        _ = await waitForEnd(rt, id)
        let direct = try await rt.request(["action": "get_placeholder", "placeholder": ["sessionId": id, "name": "direct_us"]])["value"]?.doubleValue ?? .nan
        let call: JSONValue = ["action": "run_model", "model": ["sessionId": id, "name": "model", "is_data": true, "data": [0.1, -0.2, 0.3, 0.4]]]
        let through = try await Measure.repeated("run_model, one row, through the server", count: roundTrips / 5, warmup: 200) {
            _ = try await rt.request(call)
        }
        FileHandle.standardError.write(Data("run_model one row: server median \(Report.format(through.median)), direct predict median \(Report.format(direct))\n".utf8))
        return Sample(name: "run_model overhead (server round trip − direct predict \(Report.format(direct)))",
                      microseconds: through.microseconds.map { $0 - direct })
    }

    private func connect(_ url: String) async throws -> RuntimeConnection {
        for _ in 0..<200 {
            if let connection = try? await RuntimeConnection.connect(to: url, logger: logger) { return connection }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw RuntimeError(.internalError, "cannot reach \(url)")
    }

    private func runMessage(_ main: String) -> JSONValue {
        ["action": "run", "python": ["files": [["filename": "main.py", "content": .string(main)]], "mainfile": "main.py"]]
    }

    private func waitForEnd(_ connection: RuntimeConnection, _ sessionId: JSONValue) async -> JSONValue? {
        for await event in connection.events where event["sessionId"] == sessionId {
            if event["type"]?.stringValue?.hasPrefix("[state]:") == true { return event }
        }
        return nil
    }

    /// Requests per second from 8 connections each sending one request at a time.
    private func throughput(_ url: String, message: JSONValue, name: String) async throws -> Sample {
        var connections: [RuntimeConnection] = []
        for _ in 0..<8 { connections.append(try await connect(url)) }
        let perConnection = max(500, roundTrips / 2)
        let start = Measure.now()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for connection in connections {
                group.addTask { for _ in 0..<perConnection { _ = try await connection.request(message) } }
            }
            try await group.waitForAll()
        }
        let seconds = Double(Measure.now() - start) / 1e9
        for connection in connections { await connection.close() }
        // Reported as "µs" fields: the rate goes in as its own number.
        return Sample(name: name, microseconds: [Double(8 * perConnection) / seconds], unit: .perSecond)
    }
}

/// A child process started for a benchmark and ended with it.
struct Child {
    let process: Process

    static func start(_ path: String, _ arguments: [String]) throws -> Child {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return Child(process: process)
    }

    func terminate() {
        process.terminate()
        process.waitUntilExit()
    }
}

enum FreePort {
    /// A port that was free a moment ago (bound to 0, then released).
    static func pick() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw RuntimeError(.internalError, "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
