import Foundation
import RuntimeJSON
import Testing
import WorkerFrames
@testable import RuntimeCore

/// Ways a value changes after its session's run
/// ended that the cache does not see. Each test reads a value, lets it change
/// without a model call or `apply`, and expects the new value.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ValueCacheStalenessTests {
    /// Reading `probe` runs its display form, which changes `state`.
    static let displayChangesState = """
        import runtimeBridge as rb
        state = {"n": 0}
        class Probe:
            def _repr_html_(self):
                state["n"] += 1
                return "<b>%d</b>" % state["n"]
        rb.save_placeholder("state", state)
        rb.save_placeholder("probe", Probe())
        """

    /// Reading one value runs code of the program (its display form,
    /// `_repr_html_`), which changes another value already kept.
    @Test func aDisplayFormThatChangesAnotherValue() async throws {
        let runtime = TestSupport.runtime()
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": Self.displayChangesState])
        #expect(snapshot.status == .finished)
        #expect(try await session.value("state") == ["n": 0])
        _ = try? await session.value("probe")  // runs Probe._repr_html_: state["n"] is now 1
        let after = try await session.value("state")
        #expect(after == ["n": 1], "the kept value is stale: \(after), cache \(runtime.valueCacheUsage)")
        await runtime.shutdown()
    }

    /// A process the program forked writes to memory it shares with the
    /// worker (a numpy array over an anonymous shared mmap) after the run ended.
    @Test(arguments: [256 << 20, 0]) func aForkedChildWritingSharedMemory(cacheBytes: Int) async throws {
        let runtime = TestSupport.runtime { $0.valueCacheBytes = cacheBytes }
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import mmap, os, time
            import numpy as np
            import runtimeBridge as rb
            mm = mmap.mmap(-1, 8)
            shared = np.frombuffer(mm, dtype=np.int64)
            rb.save_placeholder("shared", shared)
            if os.fork() == 0:
                try:
                    view = np.frombuffer(mm, dtype=np.int64)
                    for _ in range(20000):
                        view[0] += 1
                        time.sleep(0.002)
                finally:
                    os._exit(0)
            """])
        #expect(snapshot.status == .finished)
        let first = try await session.value("shared")
        var changed = false
        let deadline = ContinuousClock.now + .seconds(10)
        while !changed, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            changed = try await session.value("shared") != first
        }
        #expect(changed, "the value read first (\(first)) is served again: cache \(runtime.valueCacheUsage)")
        await runtime.shutdown()
    }

    /// A gc callback (or a `__del__`, a weakref finalizer) runs in whatever
    /// thread allocates: the worker's own, while it reads another value.
    @Test(arguments: [256 << 20, 0]) func aGarbageCollectorCallbackDuringAnotherRead(cacheBytes: Int) async throws {
        let runtime = TestSupport.runtime { $0.valueCacheBytes = cacheBytes }
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import gc
            import runtimeBridge as rb
            ticks = {"n": 0}
            armed = [False]
            def on_gc(phase, info):
                if armed[0] and phase == "start":
                    ticks["n"] += 1
            rb.save_placeholder("ticks", ticks)
            rb.save_placeholder("arm", armed)
            rb.save_placeholder("junk", [[i] for i in range(50000)])
            gc.callbacks.append(on_gc)
            gc.set_threshold(1, 1_000_000, 1_000_000)  # a young collection at nearly every allocation
            armed[0] = True
            """])
        #expect(snapshot.status == .finished)
        let first = try await session.value("ticks")
        // Reading a value of many lists allocates: the collector runs.
        for _ in 0..<3 { _ = try await session.value("junk", window: RowWindow(begin: 0, size: 50000)) }
        let after = try await session.value("ticks")
        // Without the cache the worker answers with the collections counted since.
        #expect(after != first, "the kept value is stale: \(after), cache \(runtime.valueCacheUsage)")
        await runtime.shutdown()
    }

    /// Control: with the cache off, the same programs read fresh values.
    @Test func controlWithoutTheCache() async throws {
        let runtime = TestSupport.runtime { $0.valueCacheBytes = 0 }
        let (session, _) = try await TestSupport.runToEnd(runtime, ["main.py": Self.displayChangesState])
        #expect(try await session.value("state") == ["n": 0])
        _ = try? await session.value("probe")
        #expect(try await session.value("state") == ["n": 1])
        await runtime.shutdown()
    }
}
