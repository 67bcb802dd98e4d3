import CPython
import Foundation
import Glibc
import Synchronization
@testable import PythonWorker
import RuntimeCore
import RuntimeJSON
import RuntimeTestSupport
import WorkerFrames

/// A live `runtime-worker` process driven frame by frame, without a Runtime
/// or a session in between: tests send the worker's own request frames
/// (well-formed or not) and wait for the frames it answers with.
final class WorkerDriver: Sendable {
    private struct Inbox {
        var frames: [JSONValue] = []
        var ended = false
        var waiters: [(matches: @Sendable (JSONValue) -> Bool, continuation: CheckedContinuation<JSONValue?, Never>)] = []
    }

    let process: SpawnedProcess
    private let requestFD: Int32
    private let inbox = Mutex(Inbox())
    private let folder: URL

    /// Starts a worker with the test environment's Python, numpy and pandas
    /// preloaded, and waits for its hello.
    static func start() async throws -> WorkerDriver {
        // A worker that died leaves a closed pipe: writing must fail, not kill the tests.
        _ = Glibc.signal(SIGPIPE, SIG_IGN)
        let driver = try WorkerDriver()
        guard let hello = await driver.next(where: { $0["ev"]?.stringValue == "hello" || $0["ev"]?.stringValue == "fatal" }),
            hello["ev"]?.stringValue == "hello"
        else { throw DriverError(description: "the worker did not start") }
        return driver
    }

    private init() throws {
        // Both pipes close on exec: a worker that another test starts at the
        // same moment must not inherit our ends (a request end held by
        // another process would keep this worker from ever seeing EOF).
        var requests: [Int32] = [-1, -1], frames: [Int32] = [-1, -1]
        guard shim_pipe_cloexec(&requests) == 0, shim_pipe_cloexec(&frames) == 0 else {
            throw DriverError(description: "pipe: \(String(cString: strerror(errno)))")
        }
        process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: WorkerLauncher.locate().executable)
        process.arguments = ["--python", PythonEnvironment.resolve().executable, "--preload", "numpy,pandas"]
        let childInput = FileHandle(fileDescriptor: requests[0], closeOnDealloc: true)
        let childOutput = FileHandle(fileDescriptor: frames[1], closeOnDealloc: true)
        process.standardInput = childInput
        process.standardOutput = childOutput
        try process.run()
        try childInput.close()
        try childOutput.close()
        requestFD = requests[1]
        let frameFD = frames[0]
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("worker-driver-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let reader = Thread { [self] in
            while let message = try? FrameIO.readMessage(from: frameFD) {
                deliver(Self.flatten(message.header, parts: message.parts))
            }
            close(frameFD)
            let waiting = inbox.withLock { inbox in
                inbox.ended = true
                defer { inbox.waiters = [] }
                return inbox.waiters.map(\.continuation)
            }
            for waiter in waiting { waiter.resume(returning: nil) }
        }
        reader.start()
    }

    private func deliver(_ frame: JSONValue) {
        let waiter = inbox.withLock { inbox -> CheckedContinuation<JSONValue?, Never>? in
            if let index = inbox.waiters.firstIndex(where: { $0.matches(frame) }) {
                return inbox.waiters.remove(at: index).continuation
            }
            inbox.frames.append(frame)
            return nil
        }
        waiter?.resume(returning: frame)
    }

    /// Takes the first frame (already received or still to come) that
    /// matches; nil once the worker has closed its channel.
    func next(where matches: @escaping @Sendable (JSONValue) -> Bool) async -> JSONValue? {
        await withCheckedContinuation { continuation in
            let found = inbox.withLock { inbox -> JSONValue?? in
                if let index = inbox.frames.firstIndex(where: matches) { return .some(inbox.frames.remove(at: index)) }
                if inbox.ended { return .some(nil) }
                inbox.waiters.append((matches, continuation))
                return .none
            }
            if let found { continuation.resume(returning: found) }
        }
    }

    /// The next reply frame, whatever its `rid`.
    func nextReply() async -> JSONValue? {
        await next(where: { $0["ev"]?.stringValue == "reply" })
    }

    /// The reply to the request with this `rid`.
    func reply(rid: Int64) async -> JSONValue? {
        await next(where: { $0["ev"]?.stringValue == "reply" && $0["rid"] == .int(rid) })
    }

    /// Sends one well-formed frame.
    func send(_ frame: JSONValue) throws {
        try FrameIO.write(bytes: FrameIO.frames(header: frame), to: requestFD)
    }

    /// Sends a typed request as the runtime does.
    func send(_ request: WorkerRequest, rid: Int64? = nil) throws {
        try FrameIO.write(bytes: request.frames(rid: rid), to: requestFD)
    }

    /// A message with its raw parts parsed back in, so that tests read one
    /// JSON object: a value reply's `result` holds its fields and parts, a
    /// result reply's `result` is its result.
    static func flatten(_ header: JSONValue, parts: [[UInt8]]) -> JSONValue {
        guard header["ev"] == "reply", header["ok"] == true, var fields = header.objectValue else { return header }
        let names = (header["parts"]?.arrayValue ?? []).compactMap(\.stringValue)
        let parsed = zip(names, parts).map { ($0, (try? JSONParser.parse($1)) ?? .null) }
        let kind = header["kind"]?.stringValue
        fields.removeAll { ["parts", "kind"].contains($0.0) }
        if kind == "result" {
            fields.append(("result", parsed.first?.1 ?? .null))
        } else {
            var result = fields.filter { !["ev", "rid", "ok"].contains($0.0) }
            result += parsed
            fields.removeAll { !["ev", "rid", "ok"].contains($0.0) }
            fields.append(("result", .object(result)))
        }
        return .object(fields)
    }

    /// Sends a frame with this body as it is (which need not be JSON).
    func send(rawBody body: [UInt8]) throws {
        let n = UInt32(body.count)
        var bytes = [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)]
        bytes.append(contentsOf: body)
        let written = bytes.withUnsafeBytes { Glibc.write(requestFD, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw DriverError(description: "short write to the worker") }
    }

    /// Sends a request with this `rid` and waits for its reply.
    func request(_ rid: Int64, _ fields: KeyValuePairs<String, JSONValue>) async throws -> JSONValue {
        try send(.object([("rid", .int(rid))] + fields.map { ($0.key, $0.value) }))
        guard let reply = await reply(rid: rid) else { throw DriverError(description: "the worker ended before replying to \(rid)") }
        return reply
    }

    /// Runs a program (as `main.py`) to its end; returns its last event.
    func run(_ source: String) async throws -> JSONValue {
        try source.write(to: folder.appendingPathComponent("main.py"), atomically: true, encoding: .utf8)
        try send(["op": "run", "directory": .string(folder.path), "main": "main.py"])
        guard let end = await next(where: { ["finished", "failed"].contains($0["ev"]?.stringValue ?? "") }) else {
            throw DriverError(description: "the worker ended during the run")
        }
        return end
    }

    /// Whether the worker still answers requests (and its process runs).
    func stillServes(rid: Int64) async -> Bool {
        // A read of a name no program saves: a live worker answers PLACEHOLDER_NOT_FOUND.
        guard let reply = try? await request(rid, ["op": "get", "name": "__no_such_placeholder__"]) else { return false }
        return reply["error"]?["code"] == "PLACEHOLDER_NOT_FOUND" && process.isRunning
    }

    /// Asks the worker to exit and closes the request channel, without
    /// blocking the caller (a test's `defer` runs on one of the few threads
    /// of Swift's cooperative pool). A worker that has not gone within 10 s
    /// is killed.
    func stop() {
        try? send(["op": "exit"])
        close(requestFD)
        let process = process
        DispatchQueue.global().asyncAfter(deadline: .now() + 10) {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        try? FileManager.default.removeItem(at: folder)
    }

    struct DriverError: Error, CustomStringConvertible {
        var description: String
    }
}

extension WorkerRequest {
    /// A model call on `name` with one instance, `[1]`.
    static func modelCall(_ name: String) -> WorkerRequest {
        .model(.init(name: name, data: JSONFragment(.array([.int(1)])), path: nil, method: nil))
    }
}
