import Foundation
import Logging
import RuntimeCore
import RuntimeProtocol

/// Runs one program through a local ``Runtime``, streaming its events to an
/// output and printing the requested placeholders at the end. Ctrl-C stops the run.
struct LocalRunner {
    var configuration: RuntimeConfiguration
    var output: any RunOutput

    /// How it ended (``CLIExit/ofRun(finished:placeholderMissing:readFailed:)``).
    func run(_ program: Program, placeholders: [String]) async -> CLIExit {
        var logger = Logger(label: "runtimectl")
        logger.logLevel = .warning
        let runtime = Runtime(configuration: configuration, logger: logger)
        let session: any Session
        do {
            session = try await runtime.run(program)
        } catch {
            output.requestFailed(error)
            await runtime.shutdown()
            return .failed
        }
        let interrupts = InterruptForwarder { _ in Task { _ = await session.stop() } }
        for await event in await session.events(after: 0) {
            output.event(event)
        }
        interrupts.cancel()
        let snapshot = await session.waitUntilEnded()
        var missing = false, failed = false
        for name in placeholders {
            do {
                output.placeholder(try await session.readPlaceholder(named: name, window: nil), sessionId: session.id)
            } catch {
                output.requestFailed(error)
                if error.code == .placeholderNotFound { missing = true } else { failed = true }
            }
        }
        await runtime.shutdown()
        return .ofRun(finished: snapshot.status == .finished, placeholderMissing: missing, readFailed: failed)
    }
}
