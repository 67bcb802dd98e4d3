import ArgumentParser
import Foundation
import RuntimeCore
import RuntimeProtocol

/// Options that shape a local runtime (`run --local`). A server has its own
/// settings, so `run` refuses them without `--local` rather than ignore them.
struct LocalRuntimeOptions: ParsableArguments {
    @Option(help: "With --local: the Python to embed, a venv's bin/python (default: $VIRTUAL_ENV, the project's .venv, /usr/bin/python3).")
    var python: String?

    @Option(help: "With --local: modules to import before the program starts, comma-separated.")
    var preload: String?

    @Option(help: "With --local: kill the run's worker past this resident memory, in MiB.")
    var memoryLimitMb: Int?

    @Option(help: "With --local: seconds a stop waits for KeyboardInterrupt before killing (default: 1).")
    var stopGrace: Double?

    /// The options given on the command line, as spelled there.
    var given: [String] {
        [("--python", python != nil), ("--preload", preload != nil), ("--memory-limit-mb", memoryLimitMb != nil),
         ("--stop-grace", stopGrace != nil)].filter(\.1).map(\.0)
    }

    func configuration() throws -> RuntimeConfiguration {
        var configuration = RuntimeConfiguration(python: .resolve(explicit: python), warmWorkers: 0)
        if let preload {
            configuration.preloadModules = preload.split(separator: ",").map { String($0) }
        }
        if let memoryLimitMb { configuration.memoryLimitBytes = memoryLimitMb << 20 }
        configuration.stopGracePeriod = .milliseconds(Int((stopGrace ?? 1) * 1000))
        return configuration
    }
}
