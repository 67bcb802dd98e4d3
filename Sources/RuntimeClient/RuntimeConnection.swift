import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import RuntimeCore
import RuntimeProtocol
import Synchronization

/// A client connection to a RuntimeServer over WebSocket.
///
/// `request` sends a message with a fresh `id` and returns the reply that
/// echoes it; everything else the server sends (session events) arrives on
/// ``events``, except the server's greeting (`[users]:INFO`, the first
/// message of every connection), which is kept in ``greeting``.
public final class RuntimeConnection: Sendable {
    /// Why a connection could not be made or went away.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public enum Reason: Sendable { case cannotConnect, unauthorized, closed, timedOut }
        public var reason: Reason
        public var description: String
    }

    /// Messages that are not replies to this client's requests (events), in order.
    public let events: AsyncStream<JSONValue>

    private let eventContinuation: AsyncStream<JSONValue>.Continuation
    private let outgoing: AsyncStream<Outgoing>.Continuation
    private let outgoingStream: AsyncStream<Outgoing>

    private enum Outgoing: Sendable {
        case text(String)
        case binary([UInt8])
    }
    private let state = Mutex(State())
    private let ready = Promise<Failure?>()
    private let greetingPromise = Promise<JSONValue?>()
    private let finished = Promise<Void>()
    private let task = Mutex<Task<Void, Never>?>(nil)

    private struct State {
        var nextID = 1
        var waiting: [Int: CheckedContinuation<JSONValue, any Error>] = [:]
        var closed: Failure?
    }

    private init() {
        (events, eventContinuation) = AsyncStream.makeStream(of: JSONValue.self)
        (outgoingStream, outgoing) = AsyncStream.makeStream(of: Outgoing.self)
    }

    /// Connects to `url` (e.g. `ws://127.0.0.1:8765`), sending `token` as a bearer token when given.
    public static func connect(to url: String, token: String? = nil,
                               logger: Logger = Logger(label: "RuntimeClient")) async throws(Failure) -> RuntimeConnection {
        let connection = RuntimeConnection()
        var configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 30, autoPing: .disabled)
        if let token { configuration.additionalHeaders[.authorization] = "Bearer \(token)" }
        let task = Task {
            do {
                try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, outbound, _ in
                    await connection.serve(inbound: inbound, outbound: outbound)
                }
                connection.end(Failure(reason: .closed, description: "the server closed the connection"))
            } catch {
                let text = "\(error)"
                let reason: Failure.Reason = text.contains("upgrade") ? .unauthorized : .cannotConnect
                let message = reason == .unauthorized
                    ? "the server refused the WebSocket upgrade (a token is required, or the one given is wrong)"
                    : "cannot connect to \(url): \(error)"
                connection.end(Failure(reason: reason, description: message))
            }
        }
        connection.task.withLock { $0 = task }
        if let failure = await connection.ready.value { throw failure }
        return connection
    }

    private func serve(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        ready.fulfil(nil)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await message in self.outgoingStream {
                    do {
                        switch message {
                        case .text(let text): try await outbound.write(.text(text))
                        case .binary(let bytes): try await outbound.write(.binary(ByteBuffer(bytes: bytes)))
                        }
                    } catch {
                        break
                    }
                }
                try? await outbound.close(.normalClosure, reason: nil)
            }
            do {
                var iterator = inbound.messages(maxSize: Int.max).makeAsyncIterator()
                while let message = try await iterator.next() {
                    let text: String
                    switch message {
                    case .text(let string): text = string
                    case .binary(let buffer): text = String(buffer: buffer)
                    }
                    guard let json = try? JSONParser.parse(text) else { continue }
                    deliver(json)
                }
            } catch {}
            outgoing.finish()
        }
    }

    private func deliver(_ message: JSONValue) {
        if message.messageType == .usersInfo, message["id"] == nil {
            greetingPromise.fulfil(message)
            return
        }
        if case .int(let raw)? = message["id"], let id = Int(exactly: raw),
            let waiter = state.withLock({ $0.waiting.removeValue(forKey: id) })
        {
            waiter.resume(returning: message)
            return
        }
        eventContinuation.yield(message)
    }

    private func end(_ failure: Failure) {
        ready.fulfil(failure)
        let waiters = state.withLock { state -> [CheckedContinuation<JSONValue, any Error>] in
            if state.closed == nil { state.closed = failure }
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for waiter in waiters { waiter.resume(throwing: failure) }
        eventContinuation.finish()
        outgoing.finish()
        greetingPromise.fulfil(nil)
        finished.fulfil(())
    }

    /// The server's greeting, `{"type": "[users]:INFO", "count": N}`, once it
    /// has arrived; `nil` when the connection ended without one (a server that
    /// does not greet).
    public var greeting: JSONValue? {
        get async { await greetingPromise.value }
    }

    /// Sends a message as it is (no `id` added).
    public func send(_ message: JSONValue) {
        outgoing.yield(.text(message.jsonString))
    }

    /// Sends raw text as a text frame (e.g. to see how a server treats malformed input).
    public func send(text: String) {
        outgoing.yield(.text(text))
    }

    /// Sends bytes as a binary frame.
    public func send(binary: [UInt8]) {
        outgoing.yield(.binary(binary))
    }

    /// Sends `message` with a fresh `id` and waits for the reply carrying it.
    public func request(_ message: JSONValue) async throws -> JSONValue {
        guard case .object(var fields) = message else { throw Failure(reason: .closed, description: "requests are JSON objects") }
        return try await withCheckedThrowingContinuation { continuation in
            let outcome: Result<Int, Failure> = state.withLock { state in
                if let closed = state.closed { return .failure(closed) }
                let id = state.nextID
                state.nextID += 1
                state.waiting[id] = continuation
                return .success(id)
            }
            switch outcome {
            case .failure(let failure): continuation.resume(throwing: failure)
            case .success(let id):
                fields.removeAll { $0.0 == "id" }
                fields.append(("id", .int(Int64(id))))
                outgoing.yield(.text(JSONValue.object(fields).jsonString))
            }
        }
    }

    /// Closes the connection and waits until it is gone.
    public func close() async {
        outgoing.finish()
        await finished.value
    }
}
