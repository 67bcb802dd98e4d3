import Foundation
import Glibc
import Testing
@testable import RuntimeCore

/// A worker that stops reading its requests (here: stopped with SIGSTOP, as a
/// program can do to itself) must not hold up anyone else: requests to it are
/// queued by a writer thread of its own, never written from Swift's pool.
@Suite(.timeLimit(.minutes(2)))
struct StoppedWorkerTests {
    @Test func requestsToAStoppedWorkerDoNotHoldUpOtherSessions() async throws {
        let runtime = TestSupport.runtime()
        let (stopped, _) = try await TestSupport.runToEnd(runtime, ["main.py": """
            from runtimeBridge import save_placeholder
            class Model:
                def predict(self, rows):
                    return [0] * len(rows)
            save_placeholder('model', Model())
            """])
        let supervisor = try #require(await stopped.workerPID())
        for pid in SessionProcesses.descendants(of: supervisor) { kill(pid, SIGSTOP) }
        // Far more than a pipe holds, from more tasks than the pool has threads.
        let rows: JSONValue = .array(Array(repeating: .array(Array(repeating: .double(1.5), count: 16)), count: 8000))
        let blocked = (0..<8).map { _ in
            Task { try await PythonModelInvoker().predict(model: "model", input: .inline(JSONFragment(rows)), method: nil, in: stopped) }
        }
        // Another session runs and answers meanwhile.
        let (other, end) = try await TestSupport.runToEnd(runtime, ["main.py": "from runtimeBridge import save_placeholder\nsave_placeholder('x', 7)\n"])
        #expect(end.status == .finished)
        #expect(try await other.value("x") == 7)
        // Deleting the stopped session ends it (killed after the grace period), and its requests fail.
        try await runtime.deleteSession(id: stopped.id)
        for task in blocked {
            if case .success = await task.result { Issue.record("a request to a stopped worker succeeded") }
        }
        await runtime.shutdown()
    }
}
