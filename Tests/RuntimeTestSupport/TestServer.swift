import Foundation
import Logging
import RuntimeClient
import RuntimeCore
import RuntimeRay
import RuntimeService
import ServiceLifecycle
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real server on a free loopback port, run in-process.
public final class TestServer: Sendable {
    public let port: Int
    private let service: RuntimeServerService
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    private init(port: Int, service: RuntimeServerService, group: ServiceGroup, task: Task<Void, any Error>) {
        self.port = port
        self.service = service
        self.group = group
        self.task = task
    }

    public struct StartFailed: Error {}

    /// - Parameter logger: where the server logs (by default: warnings and worse, to the console).
    public static func start(logger: Logger? = nil,
                             _ customize: (inout ServerConfiguration) -> Void = { _ in }) async throws -> TestServer {
        var configuration = ServerConfiguration(port: 0, runtime: RuntimeConfiguration(warmWorkers: 0))
        if let placement = try TestBackend.placement(for: configuration.runtime) { configuration.runtime.placement = placement }
        customize(&configuration)
        let logger = logger ?? {
            var logger = Logger(label: "test-server")
            logger.logLevel = .warning
            return logger
        }()
        let bound = Promise<Int?>()
        let server = RuntimeServerService(configuration: configuration, logger: logger) { bound.fulfil($0) }
        let group = ServiceGroup(configuration: .init(services: [server], gracefulShutdownSignals: [], logger: logger))
        let task = Task {
            do {
                try await group.run()
            } catch {
                bound.fulfil(nil)
                throw error
            }
            bound.fulfil(nil)
        }
        guard let port = await bound.value else { throw StartFailed() }
        return TestServer(port: port, service: server, group: group, task: task)
    }

    public var url: String { "ws://127.0.0.1:\(port)/" }

    public func connect(token: String? = nil, path: String = "/") async throws -> RuntimeConnection {
        try await RuntimeConnection.connect(to: "ws://127.0.0.1:\(port)\(path)", token: token)
    }

    /// Serves a session of the test's own beside the server's (see
    /// `RuntimeServerService.adopt(_:owner:)`); an open server's clients are all `anonymous`.
    public func adopt(_ session: any Session, owner: ServerUser = .anonymous) async throws {
        try await service.adopt(session, owner: owner)
    }

    /// Graceful shutdown, as SIGTERM would do; returns once the server has stopped.
    public func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }

    /// A plain HTTP GET on the server's port.
    public func get(_ path: String, headers: [String: String] = [:]) async throws -> (status: Int, contentType: String, body: String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        return (http?.statusCode ?? 0, http?.value(forHTTPHeaderField: "Content-Type") ?? "", String(decoding: data, as: UTF8.self))
    }
}

/// The stop grace for tests that expect the interrupt, not the kill, to end a
/// run: long, so that on a loaded machine (a VM whose host takes half of its
/// vCPUs' time, eight tests starting workers at once) a worker that is slow to
/// be scheduled is not killed before its KeyboardInterrupt lands. A run that
/// honours the interrupt stops within milliseconds whatever the grace.
public let interruptingStopGrace: Duration = .seconds(30)

extension RuntimeConnection {
    /// The next event that matches (events of other kinds are skipped).
    public func nextEvent(where matches: (JSONValue) -> Bool) async -> JSONValue? {
        for await event in events where matches(event) { return event }
        return nil
    }

    /// Events up to and including the session's terminal one.
    public func eventsUntilEnd(of sessionId: String) async -> [JSONValue] {
        var collected: [JSONValue] = []
        for await event in events where event["sessionId"]?.stringValue == sessionId {
            collected.append(event)
            if let type = event["type"]?.stringValue, type.hasPrefix("[state]:") { break }
        }
        return collected
    }

    /// Starts a run of the given files and returns the reply.
    public func run(_ files: KeyValuePairs<String, String>, main: String? = nil) async throws -> JSONValue {
        let list: [JSONValue] = files.map { ["filename": .string($0.key), "content": .string($0.value)] }
        return try await request(["action": "run", "python": [
            "number": .int(Int64(list.count)), "files": .array(list), "mainfile": .string(main ?? files.first?.key ?? ""),
        ]])
    }
}

extension JSONValue {
    public var type: String? { self["type"]?.stringValue }
    public var errorCode: String? { self["error"]?["code"]?.stringValue }
}
