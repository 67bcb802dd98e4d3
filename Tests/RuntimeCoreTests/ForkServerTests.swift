import Foundation
import Glibc
import RuntimeTestSupport
import Testing
@testable import RuntimeCore

/// Workers forked from the fork server: isolated from each other as spawned
/// ones are, forked while a sibling computes, unharmed when the fork server
/// dies, and gone (the fork server too) after shutdown.
@Suite(.timeLimit(.minutes(3)))
struct ForkServerTests {
    private static func runtime(_ customize: (inout RuntimeConfiguration) -> Void = { _ in }) -> Runtime {
        TestSupport.runtime {
            $0.preloadModules = ["numpy"]
            $0.forkServer = true
            customize(&$0)
        }
    }

    @Test func forkedSiblingsShareNothingTheirProgramsMake() async throws {
        let runtime = Self.runtime()
        let main = """
            import os, random, sys, numpy, shared
            from runtimeBridge import save_placeholder
            save_placeholder("value", shared.VALUE)
            save_placeholder("random", random.random())
            save_placeholder("numpy", float(numpy.random.rand()))
            save_placeholder("mine", [m for m in ("onlyA", "onlyB") if m in sys.modules])
            save_placeholder("preloaded", "numpy" in sys.modules)
            """
        async let a = TestSupport.runToEnd(runtime, ["main.py": main, "shared.py": "VALUE = 'A'\nimport onlyA\n", "onlyA.py": ""])
        async let b = TestSupport.runToEnd(runtime, ["main.py": main, "shared.py": "VALUE = 'B'\nimport onlyB\n", "onlyB.py": ""])
        let (sessionA, endA) = try await a
        let (sessionB, endB) = try await b
        #expect(endA.status == .finished, "\(String(describing: endA.error))")
        #expect(endB.status == .finished, "\(String(describing: endB.error))")
        #expect(try await sessionA.value("value") == "A")
        #expect(try await sessionB.value("value") == "B")
        #expect(try await sessionA.value("mine") == ["onlyA"])
        #expect(try await sessionB.value("mine") == ["onlyB"])
        // Both random generators were re-seeded in each fork.
        let (randomA, randomB) = (try await sessionA.value("random"), try await sessionB.value("random"))
        let (numpyA, numpyB) = (try await sessionA.value("numpy"), try await sessionB.value("numpy"))
        #expect(randomA != randomB)
        #expect(numpyA != numpyB)
        #expect(try await sessionA.value("preloaded") == true)
        let state = try #require(await runtime.diagnostics().forkServer)
        #expect(state.pid != nil && state.unusable == nil, "\(String(describing: state.unusable))")
        await runtime.shutdown()
    }

    @Test func aForkWhileASiblingComputesWithNumpy() async throws {
        let runtime = Self.runtime()
        let busy = try await runtime.run(TestSupport.program(["main.py": """
            import numpy
            from runtimeBridge import save_placeholder
            print("computing", flush=True)
            a = numpy.random.rand(300, 300)
            for _ in range(40):
                a = (a @ a) / 300.0
            save_placeholder("done", True)
            """]))
        #expect(await busy.waitForOutput(containing: "computing"))
        let (quick, end) = try await TestSupport.runToEnd(runtime, ["main.py": "import numpy\nfrom runtimeBridge import save_placeholder\nsave_placeholder('s', int(numpy.arange(10).sum()))\n"])
        #expect(end.status == .finished, "\(String(describing: end.error))")
        #expect(try await quick.value("s") == 45)
        #expect(await busy.waitUntilEnded().status == .finished)
        await runtime.shutdown()
    }

    @Test func runsGoOnWhenTheForkServerIsKilledMidBurst() async throws {
        let runtime = Self.runtime { $0.warmWorkers = 0 }
        let (_, first) = try await TestSupport.runToEnd(runtime, ["main.py": "x = 1\n"])
        #expect(first.status == .finished)
        let original = try #require(await runtime.diagnostics().forkServer?.pid)
        var sessions: [any Session] = []
        for index in 0..<12 {
            if index == 4 { #expect(kill(original, SIGKILL) == 0) }
            sessions.append(try await runtime.run(TestSupport.program(["main.py": "from runtimeBridge import save_placeholder\nsave_placeholder('i', \(index))\n"])))
        }
        for (index, session) in sessions.enumerated() {
            let end = await session.waitUntilEnded()
            #expect(end.status == .finished, "run \(index): \(String(describing: end.error))")
            #expect(try await session.value("i") == .int(Int64(index)))
        }
        let state = try #require(await runtime.diagnostics().forkServer)
        #expect(state.starts >= 2, "the fork server was not started again")
        #expect(state.pid != original)
        await runtime.shutdown()
    }

    @Test func aBurstOfAHundredSessions() async throws {
        let runtime = Self.runtime()
        var sessions: [any Session] = []
        for index in 0..<100 {
            sessions.append(try await runtime.run(TestSupport.program(["main.py": "from runtimeBridge import save_placeholder\nsave_placeholder('i', \(index))\n"])))
        }
        for (index, session) in sessions.enumerated() {
            let end = await session.waitUntilEnded()
            #expect(end.status == .finished, "run \(index): \(String(describing: end.error))")
        }
        #expect(try await sessions[99].value("i") == 99)
        #expect(await runtime.diagnostics().forkServer?.starts == 1)
        await runtime.shutdown()
    }

    @Test func nothingIsLeftAfterShutdownTheForkServerIncluded() async throws {
        let runtime = Self.runtime()
        let session = try await runtime.run(TestSupport.program(["main.py": "import time\nprint('up', flush=True)\ntime.sleep(60)\n"]))
        #expect(await session.waitForOutput(containing: "up"))
        let forkServer = try #require(await runtime.diagnostics().forkServer?.pid)
        let worker = try #require(await session.workerPID())
        await runtime.shutdown()
        #expect(!Processes.isAlive(forkServer))
        #expect(!Processes.isAlive(worker))
    }

    @Test func withoutAForkServerWorkersAreSpawned() async throws {
        let runtime = TestSupport.runtime { $0.forkServer = false }
        let (session, end) = try await TestSupport.runToEnd(runtime, ["main.py": "from runtimeBridge import save_placeholder\nsave_placeholder('x', 2)\n"])
        #expect(end.status == .finished)
        #expect(try await session.value("x") == 2)
        #expect(await runtime.diagnostics().forkServer == nil)
        await runtime.shutdown()
    }
}
