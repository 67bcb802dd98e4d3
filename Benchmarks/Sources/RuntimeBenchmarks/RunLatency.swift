import Logging
import RuntimeCore

/// Run-to-finished latency of a program on a warm pool: from `run` to the
/// session's end, one fresh session per sample.
struct RunLatency {
    var iterations: Int
    var logger: Logger

    func runToFinished(_ configuration: RuntimeConfiguration, files: KeyValuePairs<String, String>, name: String) async throws -> Sample {
        let runtime = Runtime(configuration: configuration, logger: logger)
        let program = try Program(files: files.map { SourceFile(filename: $0.key, content: $0.value) },
                                  mainFile: files.first?.key ?? "main.py")
        do {
            let sample = try await Measure.timed(name, count: iterations) {
                await runtime.warmUp()
                let start = Measure.now()
                let session = try await runtime.run(program)
                let end = await session.waitUntilEnded()
                let elapsed = Double(Measure.now() - start) / 1000
                guard end.status == .finished else { throw BenchmarkFailure("benchmark run \(end.status): \(end.error?.text ?? "")") }
                try await runtime.deleteSession(id: session.id)
                return elapsed
            }
            await runtime.shutdown()
            return sample
        } catch {
            await runtime.shutdown()
            throw error
        }
    }
}
