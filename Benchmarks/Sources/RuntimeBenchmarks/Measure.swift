import Foundation

/// Timing helpers: medians and tails of repeated measurements.
struct Sample {
    enum Unit { case microseconds, perSecond, mebibytes }

    var name: String
    var microseconds: [Double]
    var unit: Unit = .microseconds

    var median: Double { percentile(0.5) }
    var p99: Double { percentile(0.99) }

    func percentile(_ q: Double) -> Double {
        let sorted = microseconds.sorted()
        guard !sorted.isEmpty else { return .nan }
        let position = q * Double(sorted.count - 1)
        let low = Int(position.rounded(.down)), high = Int(position.rounded(.up))
        return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
    }
}

enum Measure {
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Runs `body` `count` times (after `warmup` unmeasured runs), timing each.
    static func repeated(_ name: String, count: Int, warmup: Int = 2, _ body: () async throws -> Void) async rethrows -> Sample {
        for _ in 0..<warmup { try await body() }
        var times: [Double] = []
        for _ in 0..<count {
            let start = now()
            try await body()
            times.append(Double(now() - start) / 1000)
        }
        return Sample(name: name, microseconds: times)
    }

    /// Like ``repeated(_:count:warmup:_:)`` but `body` times the part that counts itself.
    static func timed(_ name: String, count: Int, warmup: Int = 2, _ body: () async throws -> Double) async rethrows -> Sample {
        for _ in 0..<warmup { _ = try await body() }
        var times: [Double] = []
        for _ in 0..<count { times.append(try await body()) }
        return Sample(name: name, microseconds: times)
    }

    /// Runs a command to its end.
    static func runProcess(_ executable: String, _ arguments: [String], in directory: URL? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "bench", code: Int(process.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: "\(executable) \(arguments) failed"])
        }
    }
}

/// Prints rows of (what, ours, the alternative) as a Markdown table.
struct Report {
    private var rows: [(String, Sample, Sample?)] = []

    mutating func add(_ ours: Sample, against baseline: Sample? = nil) {
        rows.append((ours.name, ours, baseline))
        let line = "\(ours.name): median \(Report.format(ours.median, ours.unit)), p99 \(Report.format(ours.p99, ours.unit))"
            + (baseline.map { " | \($0.name): median \(Report.format($0.median, $0.unit))" } ?? "")
        progress(line)
    }

    static func format(_ us: Double, _ unit: Sample.Unit = .microseconds) -> String {
        if unit == .perSecond { return String(format: "%.0f/s", us) }
        if unit == .mebibytes { return String(format: "%.1f MiB", us) }
        if us >= 10_000 { return String(format: "%.1f ms", us / 1000) }
        if us >= 1000 { return String(format: "%.2f ms", us / 1000) }
        return String(format: "%.0f µs", us)
    }

    func print(title: String) {
        Swift.print("\n### \(title)\n")
        Swift.print("| measurement | ours median | ours p99 | n | baseline | baseline median | baseline p99 |")
        Swift.print("| --- | ---: | ---: | ---: | --- | ---: | ---: |")
        for (name, ours, base) in rows {
            let p99 = ours.unit == .perSecond ? "–" : Report.format(ours.p99, ours.unit)
            let n = ours.unit == .perSecond ? "–" : "\(ours.microseconds.count)"
            Swift.print("| \(name) | \(Report.format(ours.median, ours.unit)) | \(p99) | \(n) | "
                + (base.map { "\($0.name) | \(Report.format($0.median, $0.unit)) | \($0.unit == .perSecond ? "–" : Report.format($0.p99, $0.unit))" } ?? "– | – | –") + " |")
        }
    }
}
