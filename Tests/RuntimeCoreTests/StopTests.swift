import RuntimeTestSupport
import Testing
@testable import RuntimeCore

@Suite(.timeLimit(.minutes(2)))
struct StopTests {
    /// Runs `body`, which must print `started` once it is in the state to be
    /// stopped, and stops it then, killing it after `grace`.
    private func stopAfterStart(_ body: String, grace: Duration = interruptingStopGrace) async throws -> (any Session, SessionSnapshot, Runtime) {
        let runtime = TestSupport.runtime { $0.stopGracePeriod = grace }
        let source = "from runtimeBridge import save_placeholder\nsave_placeholder('before', 'kept')\n" + body
        let session = try await runtime.run(TestSupport.program(["main.py": source]))
        #expect(await session.waitForOutput(containing: "started\n"))
        let stopped = await session.stop()
        return (session, stopped, runtime)
    }

    @Test func stopsABusyLoopWithKeyboardInterrupt() async throws {
        let (session, stopped, runtime) = try await stopAfterStart("print('started', flush=True)\nwhile True:\n    pass\n")
        #expect(stopped.status == .stopped)
        #expect(!stopped.killed && stopped.valuesLost == nil)
        #expect(try await session.value("before") == "kept")
        #expect(await session.allEvents().last?.kind == .stopped(killed: false))
        await runtime.shutdown()
    }

    /// A run waiting for a thread that never ends is stopped by the
    /// interrupt, not killed.
    @Test func stopsARunWaitingForItsThread() async throws {
        let (session, stopped, runtime) = try await stopAfterStart("""
            import threading, time
            def forever():
                while True:
                    time.sleep(0.01)
            threading.Thread(target=forever).start()
            print('started', flush=True)
            """)
        #expect(stopped.status == .stopped)
        #expect(!stopped.killed && stopped.valuesLost == nil)
        #expect(try await session.value("before") == "kept")
        await runtime.shutdown()
    }

    /// A stop sent as soon as the run has started, before the program's
    /// first instruction, still interrupts it (several times over: the
    /// moment the signal lands varies).
    @Test func aStopRightAfterTheStartInterrupts() async throws {
        let runtime = TestSupport.runtime { $0.stopGracePeriod = interruptingStopGrace }
        for _ in 0..<5 {
            let session = try await runtime.run(TestSupport.program(["main.py": """
                import time
                from runtimeBridge import save_placeholder
                for i in range(200):
                    print(i)
                    time.sleep(0.005)
                save_placeholder("end", True)
                """]))
            // The moment the run frame has gone to the worker: the program
            // has not started yet (a server's EXECUTION_STARTED comes sooner).
            let assigned = try #require(session as? WorkerSession)
            while assigned.assignedWorker.withLock({ $0 == nil }) { await Task.yield() }
            let stopped = await session.stop()
            #expect(stopped.status == .stopped)
            #expect(!stopped.killed, "killed: the interrupt was lost")
            #expect(!stopped.placeholders.contains("end"), "the program ran to its end")
        }
        await runtime.shutdown()
    }

    @Test func stopsASleep() async throws {
        let (session, stopped, runtime) = try await stopAfterStart("import time\nprint('started', flush=True)\ntime.sleep(1000)\n")
        #expect(stopped.status == .stopped && !stopped.killed)
        #expect(try await session.value("before") == "kept")
        await runtime.shutdown()
    }

    @Test func killsARunThatIgnoresSIGINT() async throws {
        let (session, stopped, runtime) = try await stopAfterStart("""
            import signal, time
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            print("started", flush=True)
            while True:
                time.sleep(0.01)
            """, grace: .seconds(1))
        #expect(stopped.status == .stopped)
        #expect(stopped.killed)
        #expect(stopped.valuesLost == "the run was stopped by killing its worker process")
        #expect(await session.allEvents().last?.kind == .stopped(killed: true))
        await #expect { try await session.value("before") } throws: {
            ($0 as? RuntimeError)?.message == "the session's values were lost: the run was stopped by killing its worker process"
        }
        await runtime.shutdown()
    }

    @Test func killsARunThatSwallowsKeyboardInterrupt() async throws {
        let (_, stopped, runtime) = try await stopAfterStart("""
            import time
            announced = False
            while True:
                try:
                    if not announced:
                        announced = True
                        print("started", flush=True)
                    time.sleep(10)
                except KeyboardInterrupt:
                    pass
            """, grace: .seconds(1))
        #expect(stopped.status == .stopped && stopped.killed)
        await runtime.shutdown()
    }

    @Test func stoppingAnEndedRunChangesNothing() async throws {
        let runtime = TestSupport.runtime()
        let (session, ended) = try await TestSupport.runToEnd(runtime, ["main.py": "x = 1\n"])
        let again = await session.stop()
        #expect(again.status == .finished && again == ended)
        await runtime.shutdown()
    }

    /// A stop after the end ends what the run left running (here a
    /// subprocess it never waited for), and keeps the values: it did
    /// nothing, and leftovers lived until the session was deleted
    /// (found by this session's adversarial tester).
    @Test func stoppingAnEndedRunEndsWhatItLeftRunning() async throws {
        let runtime = TestSupport.runtime()
        let (session, ended) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import subprocess
            from runtimeBridge import save_placeholder
            save_placeholder("sleeper", subprocess.Popen(["sleep", "600"]))
            """])
        #expect(ended.status == .finished)
        let worker = try #require(session.pythonWorker)
        #expect(try await worker.apply(function: "lambda p: p.poll()", to: "sleeper").decoded() == .null)
        let again = await session.stop()
        #expect(again.status == .finished && again == ended)
        // Killed (SIGKILL), and the values are still served.
        #expect(try await worker.apply(function: "lambda p: p.wait(timeout=60)", to: "sleeper").decoded() == -9)
        await runtime.shutdown()
    }

    @Test func stoppingAQueuedRun() async throws {
        let runtime = TestSupport.runtime {
            $0.maximumParallelRuns = 1
            $0.stopGracePeriod = interruptingStopGrace
        }
        let busy = try await runtime.run(TestSupport.program(["main.py": "print('go', flush=True)\nwhile True: pass\n"]))
        #expect(await busy.waitForOutput(containing: "go"))
        let queued = try await runtime.run(TestSupport.program(["main.py": "x = 1\n"]))
        let stopped = await queued.stop()
        #expect(stopped.status == .stopped && !stopped.killed)
        #expect(await busy.stop().status == .stopped)
        await runtime.shutdown()
    }
}
