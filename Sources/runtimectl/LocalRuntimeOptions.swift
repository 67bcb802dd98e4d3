import ArgumentParser
import Foundation
import RuntimeCore
import RuntimeProtocol

/// Options that shape a local runtime (`run --local`).
struct LocalRuntimeOptions: ParsableArguments {
    @Option(help: "The Python to embed: a venv's bin/python (default: $VIRTUAL_ENV, the project's .venv, /usr/bin/python3).")
    var python: String?

    @Option(help: "Modules to import before the program starts, comma-separated.")
    var preload: String?

    @Option(help: "Kill the run's worker past this resident memory, in MiB.")
    var memoryLimitMb: Int?

    @Option(help: "Seconds a stop waits for KeyboardInterrupt before killing.")
    var stopGrace: Double = 1

    func configuration() throws -> RuntimeConfiguration {
        var configuration = RuntimeConfiguration(python: .resolve(explicit: python), warmWorkers: 0)
        if let preload {
            configuration.preloadModules = preload.split(separator: ",").map { String($0) }
        }
        if let memoryLimitMb { configuration.memoryLimitBytes = memoryLimitMb << 20 }
        configuration.stopGracePeriod = .milliseconds(Int(stopGrace * 1000))
        return configuration
    }
}
