import Foundation
import RuntimeCore
import RuntimeJSON

/// The goal's direct `model.predict`, timed in a Python process of the
/// worker's environment that stays up for the whole `run_model` row, so that
/// it can be asked for a block of calls between the row's other blocks: the
/// same machine state falls on the predict as on the round trips it is set
/// against. (Timed once after the row instead, on a VM whose speed changes
/// from minute to minute, its median was anywhere from 88 to 285 µs in
/// nineteen wire runs of one night, and the row's verdict moved with it.)
///
/// Each block is back to back, as in a plain loop, after the process has
/// idled through the other blocks: its first calls are slower, the median
/// is not.
final class PredictProcess {
    private let process: Process
    private let requests: FileHandle
    private let replies: FileHandle
    private var pending: [UInt8] = []

    /// The model of ``WireBenchmarks/program``; each line read is a count of
    /// calls, answered with a line of their times in µs.
    private static let script = WireBenchmarks.fittedModel + """
        import time
        row = np.asarray([[0.1, -0.2, 0.3, 0.4, 0.5]])
        for _ in range(int(sys.argv[1])):
            model.predict(row)
        print("ready", flush=True)
        for line in sys.stdin:
            times = []
            for _ in range(int(line)):
                start = time.perf_counter()
                model.predict(row)
                times.append((time.perf_counter() - start) * 1e6)
            print(json.dumps(times), flush=True)
        """

    /// Starts the process in `python` and warms it up with `warmup` calls.
    init(python: String, warmup: Int) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", Self.script, "\(warmup)"]
        var environment = ProcessInfo.processInfo.environment
        for name in Containment.singleThreadedLibraries where environment[name] == nil { environment[name] = "1" }
        process.environment = environment
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        requests = input.fileHandleForWriting
        replies = output.fileHandleForReading
        guard try readLine() == "ready" else { throw BenchmarkFailure("the direct predict process did not start") }
    }

    /// `count` calls back to back: their times in µs.
    func calls(_ count: Int) throws -> [Double] {
        try requests.write(contentsOf: Data("\(count)\n".utf8))
        let line = try readLine()
        guard let times = (try? JSONParser.parse(Array(line.utf8)))?.arrayValue?.compactMap(\.doubleValue), times.count == count
        else { throw BenchmarkFailure("the direct predict process answered \(line.prefix(80))") }
        return times
    }

    /// Ends the process (its input closed, it leaves its loop).
    func stop() {
        try? requests.close()
        process.waitUntilExit()
    }

    private func readLine() throws -> String {
        while true {
            if let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<end], as: UTF8.self)
                pending.removeSubrange(...end)
                return line
            }
            // `availableData` returns what one read gives (`read(upToCount:)`
            // would wait for the whole count).
            let chunk = replies.availableData
            guard !chunk.isEmpty else {
                throw BenchmarkFailure("the direct predict process ended (exit \(process.isRunning ? "none yet" : "\(process.terminationStatus)"))")
            }
            pending += chunk
        }
    }
}
