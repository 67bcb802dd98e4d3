import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import RuntimeCore

/// The Ray Jobs REST API of a Ray dashboard (`http://HOST:8265`), and its
/// state API's node list: plain HTTP and JSON, no Python.
///
/// Every call has a deadline (``timeout``) and refuses an answer larger than
/// ``maximumResponseBytes``. A failure is a `RuntimeError` (`INTERNAL`) that
/// names the call, the HTTP status and Ray's own message.
public struct RayJobsClient: Sendable {
    /// The dashboard's address, without a trailing `/` (`http://127.0.0.1:8265`).
    public let address: String
    /// How long one call may take, answer included.
    public let timeout: Duration
    /// The largest answer read, in bytes (a longer one is an error).
    public let maximumResponseBytes: Int
    private let http: HTTPClient

    /// A client of the dashboard at `address` (`http://HOST:PORT`) through
    /// `httpClient`, which the caller keeps and shuts down.
    /// Throws `INVALID_REQUEST` for an address that is not `http://` or `https://`.
    public init(address: String, httpClient: HTTPClient, timeout: Duration = .seconds(10),
                maximumResponseBytes: Int = 8 << 20) throws(RuntimeError) {
        var address = address
        while address.hasSuffix("/") { address.removeLast() }
        let scheme = ["http://", "https://"].first { address.hasPrefix($0) }
        guard let scheme, address.count > scheme.count else {
            throw RuntimeError(.invalidRequest,
                               "the Ray dashboard address must be http://HOST:PORT, not \(address.isEmpty ? "nothing" : address)")
        }
        self.address = address
        self.http = httpClient
        self.timeout = timeout
        self.maximumResponseBytes = maximumResponseBytes
    }

    /// Submits a job (`POST /api/jobs/`) and returns its submission id.
    /// Ray refuses an id already taken (HTTP 500, `ValueError: Job with
    /// submission_id ... already exists`) and a malformed body (HTTP 400).
    public func submit(_ submission: RayJobSubmission) async throws(RuntimeError) -> String {
        let call = "POST /api/jobs/"
        let answer = try await send(.POST, "/api/jobs/", body: submission.json, call: call)
        guard answer.status == 200 else { throw refusal(call, answer) }
        let json = try parse(answer, call)
        guard let id = json["submission_id"]?.stringValue else {
            throw RuntimeError(.internalError, "the Ray dashboard's answer to \(call) has no submission_id: \(Self.excerpt(answer.body))")
        }
        return id
    }

    /// The job with this submission (or job) id (`GET /api/jobs/{id}`); nil
    /// when Ray has no such job (HTTP 404).
    public func info(_ id: String) async throws(RuntimeError) -> RayJobInfo? {
        let call = "GET /api/jobs/\(id)"
        let answer = try await send(.GET, "/api/jobs/\(Self.pathSegment(id))", call: call)
        if answer.status == 404 { return nil }
        guard answer.status == 200 else { throw refusal(call, answer) }
        guard let info = RayJobInfo(json: try parse(answer, call)) else {
            throw RuntimeError(.internalError, "the Ray dashboard's answer to \(call) is not a job: \(Self.excerpt(answer.body))")
        }
        return info
    }

    /// Every job the cluster keeps (`GET /api/jobs/`), submitted or not.
    public func list() async throws(RuntimeError) -> [RayJobInfo] {
        let call = "GET /api/jobs/"
        let answer = try await send(.GET, "/api/jobs/", call: call)
        guard answer.status == 200 else { throw refusal(call, answer) }
        guard let items = try parse(answer, call).arrayValue else {
            throw RuntimeError(.internalError, "the Ray dashboard's answer to \(call) is not a list: \(Self.excerpt(answer.body))")
        }
        return items.compactMap(RayJobInfo.init(json:))
    }

    /// Asks the job to stop (`POST /api/jobs/{id}/stop`): Ray signals the
    /// command's processes (SIGTERM, then SIGKILL 3 s later, Ray's
    /// `RAY_JOB_STOP_WAIT_TIME_S`) and returns at once. Returns Ray's `stopped`: whether the job was still there to stop;
    /// false too when Ray has no such job.
    public func stop(_ id: String) async throws(RuntimeError) -> Bool {
        let call = "POST /api/jobs/\(id)/stop"
        let answer = try await send(.POST, "/api/jobs/\(Self.pathSegment(id))/stop", call: call)
        if answer.status == 404 { return false }
        guard answer.status == 200 else { throw refusal(call, answer) }
        return try parse(answer, call)["stopped"]?.boolValue ?? false
    }

    /// Forgets an ended job, its record and logs (`DELETE /api/jobs/{id}`).
    /// Returns false when Ray has no such job; a job that has not ended is
    /// refused (HTTP 500, `non-terminal state`).
    ///
    /// Ray 2.60 watches a job for a second or two after it ended: a job
    /// deleted in that time comes back as a `FAILED` record with the
    /// entrypoint `Entrypoint not found.` and no metadata. So the launcher
    /// deletes a stopped job only ``RayWorkerLauncher/deleteDelay`` after its
    /// end, and ``RayWorkerLauncher/stopAll(ownedBy:)`` deletes such records.
    public func delete(_ id: String) async throws(RuntimeError) -> Bool {
        let call = "DELETE /api/jobs/\(id)"
        let answer = try await send(.DELETE, "/api/jobs/\(Self.pathSegment(id))", call: call)
        if answer.status == 404 { return false }
        guard answer.status == 200 else { throw refusal(call, answer) }
        return try parse(answer, call)["deleted"]?.boolValue ?? false
    }

    /// The cluster's nodes, dead ones included (`GET /api/v0/nodes`, the
    /// state API), with what each has.
    public func nodes() async throws(RuntimeError) -> [RayNode] {
        let call = "GET /api/v0/nodes"
        let answer = try await send(.GET, "/api/v0/nodes?limit=10000", call: call)
        guard answer.status == 200 else { throw refusal(call, answer) }
        let json = try parse(answer, call)
        // {"result": true, "msg": "", "data": {"result": {"total": N, "result": [node, ...], ...}}}
        guard json["result"]?.boolValue == true, let items = json["data"]?["result"]?["result"]?.arrayValue else {
            let message = json["msg"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? Self.excerpt(answer.body)
            throw RuntimeError(.internalError, "the Ray dashboard could not list its nodes (\(call)): \(message)")
        }
        return items.compactMap(RayNode.init(json:))
    }

    // MARK: - HTTP

    /// A status and a body read in full.
    struct Answer {
        var status: Int
        var reason: String
        var body: [UInt8]
    }

    private func send(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil, call: String) async throws(RuntimeError) -> Answer {
        var request = HTTPClientRequest(url: address + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        // Not a browser's: the dashboard treats those differently (redacts secrets).
        request.headers.add(name: "User-Agent", value: "python-runtime-ray")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(body.jsonBytes)
        }
        do {
            return try await withThrowingTaskGroup(of: Answer.self) { group in
                group.addTask { [request] in try await exchange(request) }
                // The client's deadline ends at the answer's head: this one covers its body too.
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw HTTPClientError.deadlineExceeded
                }
                defer { group.cancelAll() }
                guard let answer = try await group.next() else { throw CancellationError() }
                return answer
            }
        } catch is RayResponseTooLarge {
            throw tooLarge(call)
        } catch is NIOTooManyBytesError {
            throw tooLarge(call)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw RuntimeError(.internalError, "the Ray dashboard at \(address) did not answer \(call) within \(timeout)",
                               cause: error)
        } catch {
            if Task.isCancelled {
                throw RuntimeError(.limitExceeded, "\(call) to the Ray dashboard was cancelled", cause: error)
            }
            throw RuntimeError(.internalError, "the Ray dashboard at \(address) could not be reached for \(call): \(error)",
                               cause: error)
        }
    }

    /// One request and its whole answer, refusing a body over the limit.
    private func exchange(_ request: HTTPClientRequest) async throws -> Answer {
        // No logger: the client's own debug lines would repeat every poll.
        let response = try await http.execute(request, deadline: .now() + Self.timeAmount(timeout))
        if let length = response.headers.first(name: "Content-Length").flatMap({ Int($0) }), length > maximumResponseBytes {
            throw RayResponseTooLarge()
        }
        let buffer = try await response.body.collect(upTo: maximumResponseBytes)
        return Answer(status: Int(response.status.code), reason: response.status.reasonPhrase,
                      body: Array(buffer.readableBytesView))
    }

    private func tooLarge(_ call: String) -> RuntimeError {
        RuntimeError(.internalError, "the Ray dashboard's answer to \(call) is larger than \(maximumResponseBytes) bytes")
    }

    private func parse(_ answer: Answer, _ call: String) throws(RuntimeError) -> JSONValue {
        do {
            return try JSONParser.parse(answer.body)
        } catch {
            throw RuntimeError(.internalError,
                               "the Ray dashboard's answer to \(call) is not JSON (\(error)): \(Self.excerpt(answer.body))",
                               cause: error)
        }
    }

    /// The error for an HTTP status other than the one expected, with Ray's message.
    private func refusal(_ call: String, _ answer: Answer) -> RuntimeError {
        RuntimeError(.internalError,
                     "the Ray dashboard refused \(call) (HTTP \(answer.status) \(answer.reason)): \(Self.rayMessage(answer.body))")
    }

    /// What Ray said in a failure's body: the `msg` or `message` of a JSON
    /// object, else the last exception line of a Python traceback
    /// (`ValueError: ...`; the dashboard nests the agent's traceback in its
    /// own), else the text itself; at most 500 characters.
    static func rayMessage(_ body: [UInt8]) -> String {
        let text = String(decoding: body, as: UTF8.self)
        if let json = try? JSONParser.parse(body),
           let message = json["msg"]?.stringValue ?? json["message"]?.stringValue ?? json["error"]?.stringValue,
           !message.isEmpty {
            return clipped(message)
        }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        if lines.first == "Traceback (most recent call last):", let last = lines.last(where: isExceptionLine) {
            return clipped(last)
        }
        return lines.isEmpty ? "(no message)" : clipped(lines.joined(separator: " "))
    }

    /// `Name: message` where `Name` is a (dotted) Python name ending in `Error` or `Exception`.
    private static func isExceptionLine(_ line: String) -> Bool {
        guard let colon = line.firstIndex(of: ":") else { return false }
        let name = line[..<colon]
        return (name.hasSuffix("Error") || name.hasSuffix("Exception"))
            && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
    }

    static func excerpt(_ body: [UInt8]) -> String {
        clipped(String(decoding: body.prefix(600), as: UTF8.self))
    }

    private static func clipped(_ text: String, to limit: Int = 500) -> String {
        text.count <= limit ? text : text.prefix(limit) + "…"
    }

    /// `id` for a URL path: letters, digits and `-._~` as they are, every
    /// other byte percent-encoded.
    static func pathSegment(_ id: String) -> String {
        var out = ""
        for byte in id.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// A `Content-Length` over the limit, before any of the body is read.
private struct RayResponseTooLarge: Error {}
