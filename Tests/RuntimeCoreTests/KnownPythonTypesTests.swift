import Foundation
import RuntimeCore
import Testing

/// The worker looks numpy's, pandas' and datetime's types up once per module
/// object (`KnownPythonTypes`), not once per value encoded: a module the
/// program imports after a value was encoded is still recognised in the
/// values after it.
@Suite(.timeLimit(.minutes(2)))
struct KnownPythonTypesTests {
    @Test func aModuleImportedAfterAReadIsRecognised() async throws {
        let runtime = TestSupport.runtime { $0.preloadModules = [] }
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import sys, runtimeBridge as rb
            rb.save_placeholder("n", 1)
            rb.save_placeholder("numpy_imported", "numpy" in sys.modules)
            """])
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error?.text))")
        // This read encodes a value while numpy is not imported in the worker.
        let imported = try await session.readPlaceholder(named: "numpy_imported", window: nil)
        try #require(imported.value == false, "the worker imported numpy before the program did")

        // The function imports numpy: its array is encoded as an array (a
        // lookup kept from the read above would not know ndarray, and would
        // send the array's repr), and so are numpy's scalars and pandas' tables.
        let worker = try #require(session.pythonWorker)
        #expect(try await worker.apply(function: "lambda n: __import__('numpy').arange(3) + n", to: "n").decoded() == [1, 2, 3])
        #expect(try await worker.apply(function: "lambda n: __import__('numpy').float32(n) / 4", to: "n").decoded() == 0.25)
        let frame = try await worker.apply(function: "lambda n: __import__('pandas').DataFrame({'a': [n]})", to: "n").decoded()
        #expect(frame == ["columns": ["a"], "index": [0], "data": [[1]]])
        await runtime.shutdown()
    }
}
