import Foundation
import Glibc
import NIOCore
import NIOPosix
import RuntimeJSON
import Testing
import WorkerFrames
@testable import RuntimeCore
@testable import RuntimeService

/// The reading of a worker's replies on an event loop, against a stand-in
/// worker (a thread answering each request frame on the reply pipe): it
/// starts on the loop of the first request, moves to another loop that
/// sends two requests in a row while none waits, and every reply reaches
/// its request whichever loop read it.
@Suite(.timeLimit(.minutes(1)))
struct ReplyReadingMoveTests {
    private static func makePipe() -> [Int32] {
        var fds: [Int32] = [-1, -1]
        _ = Glibc.pipe(&fds)
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return fds
    }

    /// Answers each request read from `requests` with a result holding its `rid`.
    private static func answer(requests: Int32, replies: Int32) {
        while let (header, _) = try? FrameIO.readMessage(from: requests), let rid = header["rid"] {
            let reply = WorkerReply.result(JSONFragment(["rid": rid]))
            try? FrameIO.write(bytes: reply.frames(rid: rid), to: replies)
        }
        close(replies)
    }

    private static func ask(_ worker: WorkerProcess, on eventLoop: any EventLoop) async throws -> JSONValue? {
        let reply = try await Task(executorPreference: EventLoopTaskExecutor(eventLoop: eventLoop)) {
            try await EventLoopReplyReader.$current.withValue(eventLoop) {
                try await worker.request(.statistics(name: "x"))
            }
        }.value
        guard case .result(let fragment) = reply else { return nil }
        return try JSONParser.parse(fragment.bytes)["rid"]
    }

    /// The handle's pid is one no process has (Linux's are below 2^22):
    /// were it to signal its worker, nothing would be hit.
    @Test func theReadingMovesToALoopThatAsksTwiceAndEveryReplyArrives() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let first = group.next(), second = group.next()
        #expect(first !== second)
        let requests = Self.makePipe(), replies = Self.makePipe()
        let worker = WorkerProcess(pid: .max, requestFD: requests[1], cgroup: nil, uid: nil,
                                   maximumFrameBytes: 1 << 20, forked: false)
        worker.state.withLock { $0.replies = .waiting(replies[0], EventLoopReplyReader(fallback: group)) }
        let answering = Thread { Self.answer(requests: requests[0], replies: replies[1]) }
        answering.start()

        #expect(try await Self.ask(worker, on: first) == 1)
        let reading = try #require(worker.state.withLock { state -> EventLoopReplyReading? in
            guard case .reading(let reading) = state.replies else { return nil }
            return reading as? EventLoopReplyReading
        })
        #expect(reading.eventLoop === first)
        // One request from the other loop does not move the reading; a second in a row does.
        #expect(try await Self.ask(worker, on: second) == 2)
        try await first.submit {}.get()
        #expect(reading.eventLoop === first)
        #expect(try await Self.ask(worker, on: second) == 3)
        try await first.submit {}.get()  // the move runs on the old loop
        #expect(reading.eventLoop === second)
        // Replies arrive whichever loop asks, and wherever the reading is.
        for rid in Int64(4)...20 {
            #expect(try await Self.ask(worker, on: rid % 3 == 0 ? first : second) == .int(rid))
        }

        worker.closeRequests()  // the stand-in answers no more and closes the reply pipe
        reading.finish(grace: .seconds(5))
        close(requests[0])
        try await group.shutdownGracefully()
    }
}
