import Foundation
import Testing
@testable import RuntimeCore

@Suite(.timeLimit(.minutes(2)))
struct LifecycleTests {
    @Test func shutdownLeavesNoWorkerBehind() async throws {
        let runtime = TestSupport.runtime { $0.warmWorkers = 2 }
        await runtime.warmUp()
        #expect(await runtime.readyWorkers() == 2)
        let running = try await runtime.run(TestSupport.program(["main.py": "print('go', flush=True)\nwhile True: pass\n"]))
        #expect(await running.waitForOutput(containing: "go"))
        let (finished, _) = try await TestSupport.runToEnd(runtime, ["main.py": "x = 1\n"])
        let pids = [await running.workerPID(), await finished.workerPID()].compactMap { $0 }
        #expect(pids.count == 2)
        #expect(pids.allSatisfy(TestSupport.processExists))
        let folder = runtime.workFolder
        #expect(FileManager.default.fileExists(atPath: folder.path))
        await runtime.shutdown()
        #expect(!pids.contains(where: TestSupport.processExists))
        #expect(!FileManager.default.fileExists(atPath: folder.path))
        #expect(await running.snapshot().status == .stopped)
    }

    @Test func deleteSessionEndsItsWorkerAndFiles() async throws {
        let runtime = TestSupport.runtime()
        let (session, _) = try await TestSupport.runToEnd(runtime, ["main.py": "x = 1\n"])
        let pid = try #require(await session.workerPID())
        try await runtime.deleteSession(id: session.id)
        #expect(!TestSupport.processExists(pid))
        #expect { try runtime.session(id: session.id) } throws: {
            ($0 as? RuntimeError)?.code == .sessionNotFound && ($0 as? RuntimeError)?.message == "Session not found"
        }
        await runtime.shutdown()
    }

    /// The session limit is checked where the session is added: of runs
    /// asked for at once, exactly as many as the limit are accepted.
    @Test func concurrentRunsDoNotPassTheSessionLimitTogether() async throws {
        let runtime = TestSupport.runtime()
        let program = try TestSupport.program(["main.py": "x = 1\n"])
        let accepted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask { (try? await runtime.run(program, sessionLimit: 2)) != nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(accepted == 2)
        await #expect { try await runtime.run(program, sessionLimit: 2) } throws: { ($0 as? RuntimeError)?.code == .limitExceeded }
        await runtime.shutdown()
    }

    @Test func warmWorkersHaveTheirModulesPreloaded() async throws {
        let runtime = TestSupport.runtime { $0.warmWorkers = 1; $0.preloadModules = ["json", "no_such_module_xyz"] }
        await runtime.warmUp()
        #expect(await runtime.readyWorkers() == 1)
        let (session, _) = try await TestSupport.runToEnd(runtime, ["main.py": "import sys\nloaded = 'json' in sys.modules\n"])
        #expect(try await session.value("loaded") == true)
        await runtime.shutdown()
    }

    @Test func theProjectEnvironmentIsUsed() async throws {
        let runtime = TestSupport.runtime()
        let (session, _) = try await TestSupport.runToEnd(runtime, ["main.py": "import sys\nprefix = sys.prefix\n"])
        let environment = runtime.configuration.python
        #expect(environment.source == .projectVenv)
        let prefix = try #require(try await session.value("prefix").stringValue)
        #expect(environment.executable.hasPrefix(prefix + "/"))
        await runtime.shutdown()
    }
}

@Suite struct PythonEnvironmentTests {
    @Test func explicitWinsThenVirtualEnvThenSystem() {
        #expect(PythonEnvironment.resolve(explicit: "/x/bin/python", environment: [:], searchFrom: []).source == .configured)
        #expect(PythonEnvironment.resolve(environment: ["VIRTUAL_ENV": "/nonexistent"], searchFrom: ["/"]).source == .system)
        let system = PythonEnvironment.resolve(environment: [:], searchFrom: ["/"])
        #expect(system == PythonEnvironment(executable: "/usr/bin/python3", source: .system))
    }

    @Test func findsTheProjectVenvFromASubfolder() {
        let here = FileManager.default.currentDirectoryPath
        let found = PythonEnvironment.resolve(environment: [:], searchFrom: [here + "/Sources/RuntimeCore"])
        #expect(found.source == .projectVenv)
        #expect(found.executable == here + "/.venv/bin/python")
    }
}
