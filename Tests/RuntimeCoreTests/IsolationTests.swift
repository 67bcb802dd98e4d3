import Foundation
import RuntimeTestSupport
import Testing
@testable import RuntimeCore

@Suite(.timeLimit(.minutes(2)))
struct IsolationTests {
    @Test func sessionsSeeOnlyTheirOwnModulesGlobalsAndFolders() async throws {
        let runtime = TestSupport.runtime()
        let main = """
        import os, sys, shared
        from runtimeBridge import save_placeholder
        save_placeholder("value", shared.VALUE)
        save_placeholder("cwd", os.getcwd())
        save_placeholder("others", [m for m in ("speedA", "speedB") if m in sys.modules])
        """
        async let a = TestSupport.runToEnd(runtime, ["main.py": main, "shared.py": "VALUE = 'A'\nimport speedA\n", "speedA.py": ""])
        async let b = TestSupport.runToEnd(runtime, ["main.py": main, "shared.py": "VALUE = 'B'\nimport speedB\n", "speedB.py": ""])
        let (sessionA, endA) = try await a
        let (sessionB, endB) = try await b
        #expect(endA.status == .finished && endB.status == .finished)
        #expect(try await sessionA.value("value") == "A")
        #expect(try await sessionB.value("value") == "B")
        #expect(try await sessionA.value("others") == ["speedA"])
        #expect(try await sessionB.value("others") == ["speedB"])
        #expect(try await sessionA.value("cwd") != sessionB.value("cwd"))
        await runtime.shutdown()
    }

    @Test func twoRunsExecuteInParallel() async throws {
        let runtime = TestSupport.runtime()
        // Each program connects to a barrier and waits for its go, which is
        // sent only once both are connected: if the runs were not parallel
        // neither could finish. (Sessions share no folder to meet in.)
        let barrier = try LoopbackListener()
        defer { barrier.close() }
        let released = Task { await barrier.releaseInBackground(after: 2) }
        func program(_ me: String, _ other: String) -> String {
            """
            import socket, time
            from runtimeBridge import save_placeholder
            start = time.time()
            link = socket.create_connection(("127.0.0.1", \(barrier.port)), timeout=60)
            if link.recv(1) != b"g":
                raise TimeoutError("the other run never started")
            time.sleep(0.05)
            save_placeholder("interval", [start, time.time()])
            """
        }
        async let a = TestSupport.runToEnd(runtime, ["main.py": program("a", "b")])
        async let b = TestSupport.runToEnd(runtime, ["main.py": program("b", "a")])
        let (sessionA, endA) = try await a
        let (sessionB, endB) = try await b
        #expect(await released.value)
        #expect(endA.status == .finished, "\(String(describing: endA.error))")
        #expect(endB.status == .finished, "\(String(describing: endB.error))")
        let ia = try await sessionA.value("interval"), ib = try await sessionB.value("interval")
        let (a0, a1) = (try #require(ia[0]?.doubleValue), try #require(ia[1]?.doubleValue))
        let (b0, b1) = (try #require(ib[0]?.doubleValue), try #require(ib[1]?.doubleValue))
        #expect(a0 < b1 && b0 < a1, "run intervals do not overlap: \(ia) \(ib)")
        await runtime.shutdown()
    }
}
