import Foundation
import Glibc
import RuntimeTestSupport
@testable import RuntimeCore

/// Shared helpers for the RuntimeCore suites.
enum TestSupport {
    /// A runtime with a small footprint for tests: no warm workers unless asked.
    static func runtime(_ customize: (inout RuntimeConfiguration) -> Void = { _ in }) -> Runtime {
        var configuration = RuntimeConfiguration(warmWorkers: 0)
        customize(&configuration)
        return Runtime(configuration: configuration)
    }

    static func program(_ files: KeyValuePairs<String, String>, main: String? = nil) throws -> Program {
        let sources = files.map { SourceFile(filename: $0.key, content: $0.value) }
        return try Program(files: sources, mainFile: main ?? sources[0].filename)
    }

    /// Runs a program to its end and returns the session with its final snapshot.
    static func runToEnd(_ runtime: Runtime, _ files: KeyValuePairs<String, String>, main: String? = nil)
        async throws -> (any Session, SessionSnapshot)
    {
        let session = try await runtime.run(program(files, main: main))
        return (session, await session.waitUntilEnded())
    }

    /// Whether a process with this pid still exists (and is not a zombie of ours).
    static func processExists(_ pid: Int32) -> Bool { Processes.isAlive(pid) }
}

extension Session {
    /// Every event from the first, until the run's end.
    func allEvents() async -> [SessionEvent] {
        var events: [SessionEvent] = []
        for await event in await self.events(after: 0) { events.append(event) }
        return events
    }

    /// Waits for the first event (replayed or live) that matches.
    func firstEvent(where matches: (SessionEvent) -> Bool) async -> SessionEvent? {
        for await event in await self.events(after: 0) where matches(event) { return event }
        return nil
    }

    /// Waits until the program has written `text` to stdout.
    func waitForOutput(containing text: String) async -> Bool {
        var seen = ""
        for await event in await self.events(after: 0) {
            if case .output(.stdout, let chunk, _) = event.kind {
                seen += chunk
                if seen.contains(text) { return true }
            }
        }
        return false
    }

    func value(_ name: String, window: RowWindow? = nil) async throws -> JSONValue {
        try await readPlaceholder(named: name, window: window).value
    }
}

extension Session {
    /// The pid of the session's worker process (tests only).
    func workerPID() async -> Int32? {
        guard let session = self as? WorkerSession else { return nil }
        return await session.workerProcessID()
    }
}
