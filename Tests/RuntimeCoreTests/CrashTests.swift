import Testing
@testable import RuntimeCore

@Suite(.timeLimit(.minutes(2)))
struct CrashTests {
    private func expectCrash(_ source: String, mentioning fragment: String,
                             configure: (inout RuntimeConfiguration) -> Void = { _ in }) async throws {
        let runtime = TestSupport.runtime(configure)
        // A neighbour session that must not notice.
        let neighbour = try await runtime.run(TestSupport.program(["main.py": """
            import time
            from runtimeBridge import save_placeholder
            print("up", flush=True)
            time.sleep(0.5)
            save_placeholder("alive", True)
            """]))
        #expect(await neighbour.waitForOutput(containing: "up"))
        let (_, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": source])
        #expect(snapshot.status == .failed)
        #expect(snapshot.error?.type == "WorkerCrashed")
        #expect(snapshot.error?.message.contains(fragment) == true, "\(String(describing: snapshot.error))")
        // What the run saved went with its worker, and status says so.
        #expect(snapshot.valuesLost?.contains(fragment) == true, "\(String(describing: snapshot.valuesLost))")
        let other = await neighbour.waitUntilEnded()
        #expect(other.status == .finished)
        #expect(try await neighbour.value("alive") == true)
        await runtime.shutdown()
    }

    @Test func osExit() async throws {
        try await expectCrash("import os\nos._exit(3)\n", mentioning: "exited with code 3")
    }

    @Test func segfault() async throws {
        try await expectCrash("import ctypes\nctypes.string_at(0)\n", mentioning: "SIGSEGV")
    }

    @Test func memoryLimit() async throws {
        try await expectCrash("""
            import time
            hog = bytearray(400 * 1024 * 1024)
            for i in range(0, len(hog), 4096):
                hog[i] = 1
            while True:
                time.sleep(0.01)
            """, mentioning: "memory limit", configure: { $0.memoryLimitBytes = 200 << 20 })
    }
}
