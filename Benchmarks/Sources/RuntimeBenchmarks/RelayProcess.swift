import Foundation
import Glibc
import NIOCore
import NIOPosix

/// A child process the echo server passes each message through before it
/// answers, as RuntimeServer passes a session's request to its worker: the
/// message goes to the child's stdin as one line, and the answer is the next
/// line the child writes, read by a thread of its own (as the server's frame
/// reader reads a worker's replies) and handed to the waiting request.
///
/// Two children: `cat` (the process hop alone) and a plain Python worker
/// (``pythonWorker``: parses the request, calls `model.predict` on its row,
/// writes the predictions), the least any design that runs the model in a
/// process of its own must do.
final class RelayProcess: @unchecked Sendable {
    private let process: Process
    private let inputHandle: FileHandle
    private let input: Int32
    private let lines: AsyncStream<Void>
    private var iterator: AsyncStream<Void>.Iterator

    /// Starts `executable` with `arguments`. Its stdout is read on a thread
    /// of its own, or, given `eventLoop`, by that event loop (a NIO pipe
    /// channel): the floor of a server that reads its workers' replies on
    /// the loop that writes the client's reply, with no thread between.
    init(executable: String, arguments: [String], environment: [String: String]? = nil,
         readingOn eventLoop: (any EventLoop)? = nil) async throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        inputHandle = stdin.fileHandleForWriting
        input = inputHandle.fileDescriptor
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        lines = stream
        iterator = stream.makeAsyncIterator()
        if let eventLoop {
            let output = dup(stdout.fileHandleForReading.fileDescriptor)
            _ = try await NIOPipeBootstrap(group: eventLoop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(LineCounter(lines: continuation)) }
                }
                .takingOwnershipOfDescriptor(input: output)
                .get()
            return
        }
        let output = stdout.fileHandleForReading.fileDescriptor
        let reader = Thread {
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                for byte in buffer[..<count] where byte == UInt8(ascii: "\n") { continuation.yield() }
            }
            continuation.finish()
        }
        reader.name = "relay-reader"
        reader.start()
    }

    /// Writes `message` and a newline to the child, and waits for its next
    /// line. One caller at a time (the connection's handler); `message` must
    /// hold no newline of its own (compact JSON has none).
    func pass(_ message: [UInt8]) async throws {
        var line = message
        line.append(UInt8(ascii: "\n"))
        var written = 0
        while written < line.count {
            let count = line.withUnsafeBytes { write(input, $0.baseAddress.map { $0 + written }, $0.count - written) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw BenchmarkFailure("the relay process stopped reading") }
            written += count
        }
        guard await iterator.next() != nil else { throw BenchmarkFailure("the relay process ended") }
    }

    /// Closes its stdin and waits for its end.
    func close() {
        try? inputHandle.close()
        process.waitUntilExit()
    }

    /// `cat`: every line back as it came.
    static func cat() async throws -> RelayProcess {
        try await RelayProcess(executable: "/bin/cat", arguments: [])
    }

    /// A plain Python worker in `python` (one BLAS thread, as the runtime's
    /// workers have) with the wire benchmark's model.
    static func python(_ python: String, readingOn eventLoop: (any EventLoop)? = nil) async throws -> RelayProcess {
        var environment = ProcessInfo.processInfo.environment
        for name in ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"] where environment[name] == nil {
            environment[name] = "1"
        }
        return try await RelayProcess(executable: python, arguments: ["-c", pythonWorker], environment: environment, readingOn: eventLoop)
    }

    /// Fits the wire benchmark's model the same way, then for each line (a
    /// `run_model` request) predicts on its row and writes the predictions.
    static let pythonWorker = WireBenchmarks.fittedModel + """
        stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
        while line := stdin.readline():
            rows = np.asarray([json.loads(line)["model"]["data"]], dtype=float)
            stdout.write(json.dumps(model.predict(rows).tolist()).encode() + b"\\n")
            stdout.flush()
        """
}

/// Counts the lines a relay's child writes, on the event loop that reads them.
private final class LineCounter: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let lines: AsyncStream<Void>.Continuation

    init(lines: AsyncStream<Void>.Continuation) { self.lines = lines }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        for byte in unwrapInboundIn(data).readableBytesView where byte == UInt8(ascii: "\n") { lines.yield() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        lines.finish()
    }
}

/// Runs a task's jobs on an event loop (as RuntimeServer's connections do).
final class EventLoopExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
