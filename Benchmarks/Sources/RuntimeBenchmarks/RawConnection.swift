import Foundation
import HummingbirdWSClient
import Logging
import NIOCore

/// The timing client: a plain WebSocket connection that sends one request at
/// a time and waits for the whole reply, counting its bytes and parsing
/// nothing. The same client, doing the same work, drives RuntimeServer and
/// the echo server, so what differs is the server.
///
/// Requests are queued as batches; the connection's own task sends them and
/// times each round trip (send to the reply's last frame), so hand-offs
/// between tasks stay outside the figures.
final class RawConnection: Sendable {
    /// Round-trip times of one batch, and the size of its last reply.
    struct Batch: Sendable {
        var microseconds: [Double]
        var replyBytes: Int
    }

    private struct Job: Sendable {
        let message: ByteBuffer
        let count: Int
        let done: CheckedContinuation<Batch, any Error>
    }

    private let jobs: AsyncStream<Job>.Continuation
    private let task: Task<Void, Never>

    private init(jobs: AsyncStream<Job>.Continuation, task: Task<Void, Never>) {
        self.jobs = jobs
        self.task = task
    }

    /// Connects to `url`; `greeted`: the server sends a greeting first (RuntimeServer
    /// does), which is read and dropped. Retries for up to 10 s while the server starts.
    static func connect(to url: String, greeted: Bool, logger: Logger) async throws -> RawConnection {
        var lastError: any Error = BenchmarkFailure("cannot reach \(url)")
        for _ in 0..<200 {
            do {
                return try await connectOnce(to: url, greeted: greeted, logger: logger)
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        throw lastError
    }

    private static func connectOnce(to url: String, greeted: Bool, logger: Logger) async throws -> RawConnection {
        let (jobStream, jobs) = AsyncStream.makeStream(of: Job.self)
        let (ready, readyContinuation) = AsyncThrowingStream.makeStream(of: Void.self)
        let configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 28, autoPing: .disabled)
        let task = Task {
            do {
                try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, outbound, _ in
                    var frames = inbound.makeAsyncIterator()
                    if greeted { _ = try await readReply(&frames) }
                    readyContinuation.yield(())
                    var failure: (any Error)?
                    for await job in jobStream {
                        if let failure {
                            job.done.resume(throwing: failure)
                            continue
                        }
                        do {
                            job.done.resume(returning: try await serve(job, outbound: outbound, frames: &frames))
                        } catch {
                            failure = error
                            job.done.resume(throwing: error)
                        }
                    }
                    try? await outbound.close(.normalClosure, reason: nil)
                }
                readyContinuation.finish(throwing: BenchmarkFailure("\(url) closed the connection"))
            } catch {
                readyContinuation.finish(throwing: error)
            }
        }
        do {
            for try await _ in ready { break }
        } catch {
            jobs.finish()
            await task.value
            throw error
        }
        return RawConnection(jobs: jobs, task: task)
    }

    /// Sends `message` `count` times, one at a time, timing each round trip.
    func roundTrips(_ message: ByteBuffer, count: Int) async throws -> Batch {
        try await withCheckedThrowingContinuation { continuation in
            if case .terminated = jobs.yield(Job(message: message, count: count, done: continuation)) {
                continuation.resume(throwing: BenchmarkFailure("the connection is closed"))
            }
        }
    }

    func roundTrips(_ message: String, count: Int) async throws -> Batch {
        try await roundTrips(ByteBuffer(string: message), count: count)
    }

    /// Closes the connection and waits until it is gone.
    func close() async {
        jobs.finish()
        await task.value
    }

    private static func serve(_ job: Job, outbound: WebSocketOutboundWriter,
                              frames: inout WebSocketInboundStream.AsyncIterator) async throws -> Batch {
        var times: [Double] = []
        times.reserveCapacity(job.count)
        var bytes = 0
        let clock = ContinuousClock()
        for _ in 0..<job.count {
            let start = clock.now
            try await outbound.write(.custom(.init(fin: true, opcode: .text, data: job.message)))
            bytes = try await readReply(&frames)
            let elapsed = start.duration(to: clock.now)
            times.append(Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12)
        }
        return Batch(microseconds: times, replyBytes: bytes)
    }

    private static let errorMarker = Array("[error]:".utf8)

    /// Reads one whole message; its size in bytes. An error reply (its first
    /// bytes name an `[error]:` type) fails the benchmark.
    private static func readReply(_ frames: inout WebSocketInboundStream.AsyncIterator) async throws -> Int {
        var total = 0
        var first = true
        while let frame = try await frames.next() {
            if first {
                first = false
                let head = frame.data.readableBytesView.prefix(48)
                if head.firstRange(of: errorMarker) != nil {
                    throw BenchmarkFailure("the server answered an error: \(String(buffer: frame.data).prefix(400))")
                }
            }
            total += frame.data.readableBytes
            if frame.fin { return total }
        }
        throw BenchmarkFailure("the connection closed before the reply")
    }
}
