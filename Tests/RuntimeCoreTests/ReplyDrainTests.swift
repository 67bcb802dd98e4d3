import Foundation
import Glibc
import Testing
import WorkerFrames
@testable import RuntimeCore

/// A runtime without a reply reader of its own reads a worker's reply pipe
/// on the worker's reader thread: replies the worker wrote just before it
/// ended are still delivered, not failed as "the worker ended" (found in
/// review: a stand-in worker answering three requests in one write and
/// exiting at once lost 8 replies in 300).
@Suite(.timeLimit(.minutes(2)))
struct ReplyDrainTests {
    /// Reads three requests on fd 0, answers all three in one write on fd 4, exits.
    static let standIn = """
        import os, struct, json
        def exact(fd, n):
            b = b''
            while len(b) < n:
                c = os.read(fd, n - len(b))
                if not c: os._exit(3)
                b += c
            return b
        def frame(fd):
            return exact(fd, struct.unpack('>I', exact(fd, 4))[0])
        rids = []
        while len(rids) < 3:
            header = json.loads(frame(0))
            for _ in header.get('parts', []): frame(0)
            if 'rid' in header: rids.append(header['rid'])
        out = b''
        for rid in rids:
            body = json.dumps({'ev': 'reply', 'rid': rid, 'ok': True, 'kind': 'result', 'parts': ['result']}).encode()
            out += struct.pack('>I', len(body)) + body + struct.pack('>I', 1) + b'1'
        os.write(4, out)
        os._exit(0)
        """

    @Test func repliesWrittenJustBeforeTheEndAreDelivered() async throws {
        var lost = 0
        for _ in 0..<60 {
            let plan = WorkerSpawnPlan(executable: "/usr/bin/python3", arguments: ["-c", Self.standIn], sandboxArguments: [],
                                       environment: [:], cgroup: nil, uid: nil, maximumFrameBytes: 1 << 20, replyReader: nil)
            let worker = try await WorkerProcess.spawn(plan)
            lost += await withTaskGroup(of: Int.self) { group in
                for _ in 0..<3 {
                    group.addTask { (try? await worker.request(.statistics(name: "x"))) == nil ? 1 : 0 }
                }
                return await group.reduce(0, +)
            }
            #expect(await worker.exit == .exited(code: 0))
        }
        #expect(lost == 0, "\(lost) of 180 answered requests failed as if unanswered")
    }
}
