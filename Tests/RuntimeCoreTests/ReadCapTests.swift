import Foundation
import Testing
@testable import RuntimeCore

/// A read that takes too long is capped by `readTimeLimit`; one whose caller
/// is cancelled (its client went away) stops in the worker. Either way the
/// session serves the next request.
@Suite(.timeLimit(.minutes(2)))
struct ReadCapTests {
    /// Far longer to encode than the cap (nested values are not paged).
    private static let program = """
        from runtimeBridge import save_placeholder
        save_placeholder('big', {'numbers': list(range(20_000_000))})
        save_placeholder('small', [1, 2])
        """

    @Test func aReadPastTheTimeLimitAnswersLimitExceeded() async throws {
        let runtime = TestSupport.runtime { $0.readTimeLimit = .milliseconds(50) }
        let (session, end) = try await TestSupport.runToEnd(runtime, ["main.py": Self.program])
        #expect(end.status == .finished)
        await #expect { try await session.readPlaceholder(named: "big", window: nil) } throws: { error in
            let error = error as? RuntimeError
            return error?.code == .limitExceeded && error?.message.contains("50 ms") == true
        }
        #expect(try await session.value("small") == [1, 2])
        await runtime.shutdown()
    }

    /// Runs a program that saves `x`, then keeps the GIL in a call in C
    /// (libc's `system` through `ctypes.PyDLL`) running `shell`, then runs
    /// `then`; reads `x` while the call runs and expects `LIMIT_EXCEEDED`
    /// naming the cap, well before the call ends.
    private func readGivenUpOn(cap: Duration, shell: String, then: String = "") async throws -> (Runtime, any Session) {
        let runtime = TestSupport.runtime { $0.readTimeLimit = cap }
        let session = try await runtime.run(TestSupport.program(["main.py": """
            import ctypes, os, time, runtimeBridge
            runtimeBridge.save_placeholder('x', 1)
            ctypes.PyDLL(None).system(b"echo inside; \(shell)")
            \(then)
            """]))
        // The shell's line arrives while `system` runs, so the GIL is held.
        #expect(await session.waitForOutput(containing: "inside"))
        let asked = ContinuousClock.now
        let milliseconds = "\(WorkerReadRequest.milliseconds(cap)) ms"
        await #expect { try await session.readPlaceholder(named: "x", window: nil) } throws: { error in
            let error = error as? RuntimeError
            return error?.code == .limitExceeded && error?.message.contains(milliseconds) == true
        }
        #expect(ContinuousClock.now - asked < .seconds(30), "the read waited for the call in C")
        return (runtime, session)
    }

    /// While the program holds the interpreter in a call in C (here libc's
    /// `system` through `ctypes.PyDLL`, which keeps the GIL), the worker
    /// cannot start on a read: the server answers at the cap (plus a
    /// second) all the same, where it used to wait for the call to return.
    @Test(.timeLimit(.minutes(1)))
    func aReadIsAnsweredAtTheCapWhileTheProgramKeepsTheInterpreter() async throws {
        let (runtime, session) = try await readGivenUpOn(cap: .milliseconds(300), shell: "sleep 600")
        let stopped = await session.stop()
        #expect(stopped.status == .stopped)
        await runtime.shutdown()
    }

    /// The worker answers a read given up on once it can (after the call in
    /// C): that late reply is dropped, not taken for a forged one (which
    /// would end the worker), and the session serves the next read.
    @Test(.timeLimit(.minutes(1)))
    func theLateReplyToAReadGivenUpOnIsDropped() async throws {
        let (runtime, session) = try await readGivenUpOn(cap: .milliseconds(200), shell: "sleep 5", then: """
            print("after", flush=True)
            while not os.path.exists("done"):
                time.sleep(0.01)
            """)
        let worker = try #require((session as? WorkerSession)?.assignedWorker.withLock { $0 })
        #expect(worker.state.withLock { $0.abandoned.count } == 1)
        #expect(await session.waitForOutput(containing: "after"))
        // The worker's late reply comes once it gets the interpreter back.
        let clock = ContinuousClock(), patience = clock.now + .seconds(30)
        while worker.state.withLock({ !$0.abandoned.isEmpty }), clock.now < patience {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(worker.state.withLock { $0.abandoned.isEmpty }, "the late reply never came")
        #expect(try await session.value("x") == 1)
        #expect(await session.snapshot().status == .running)
        try Data().write(to: (session as? WorkerSession)?.directory.appendingPathComponent("done") ?? URL(fileURLWithPath: "/nonexistent"))
        #expect(await session.waitUntilEnded().status == .finished)
        await runtime.shutdown()
    }

    /// A program whose `__repr__` never returns (and catches what it can).
    private static let endless = """
        from runtimeBridge import save_placeholder
        class Endless:
            def __repr__(self):
                while True:
                    try:
                        sum(range(1000))
                    except Exception:
                        pass
        save_placeholder('endless', Endless())
        save_placeholder('small', [1, 2])
        """

    /// The program's own code runs between the budget's checks: the cap
    /// still stops it, for more reads at once than the worker serves.
    @Test func aReadRunningTheProgramsEndlessCodeIsStoppedAtTheCap() async throws {
        let runtime = TestSupport.runtime { $0.readTimeLimit = .milliseconds(300) }
        let (session, end) = try await TestSupport.runToEnd(runtime, ["main.py": Self.endless])
        #expect(end.status == .finished)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<5 {
                group.addTask {
                    await #expect { try await session.readPlaceholder(named: "endless", window: nil) } throws: { error in
                        let error = error as? RuntimeError
                        return error?.code == .limitExceeded && error?.message.contains("300 ms") == true
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await session.value("small") == [1, 2])
        await runtime.shutdown()
    }

    @Test func aCancelledReadOfEndlessCodeStopsInTheWorker() async throws {
        let runtime = TestSupport.runtime { $0.readTimeLimit = nil }
        let (session, _) = try await TestSupport.runToEnd(runtime, ["main.py": Self.endless])
        // More than the worker's serving threads: each must be freed.
        for _ in 0..<4 {
            let read = Task { try await session.readPlaceholder(named: "endless", window: nil) }
            read.cancel()
            if case .success = await read.result { Issue.record("the cancelled read ran to its end") }
        }
        #expect(try await session.value("small") == [1, 2])
        await runtime.shutdown()
    }

    @Test func aCancelledReadStopsInTheWorker() async throws {
        let runtime = TestSupport.runtime { $0.readTimeLimit = nil }
        let (session, _) = try await TestSupport.runToEnd(runtime, ["main.py": Self.program])
        let read = Task { try await session.readPlaceholder(named: "big", window: nil) }
        read.cancel()
        // Stopped, not finished: the value of 20 million numbers never came.
        switch await read.result {
        case .success: Issue.record("the cancelled read ran to its end")
        case .failure(let error):
            #expect((error as? RuntimeError)?.code == .limitExceeded, "\(error)")
        }
        #expect(try await session.value("small") == [1, 2])
        await runtime.shutdown()
    }
}
