import Foundation
import RuntimeJSON
import Testing
import WorkerFrames
@testable import RuntimeCore

/// Values read after a run ended are kept by the runtime, and never when
/// something could still change them.
@Suite(.timeLimit(.minutes(3)))
struct ValueCacheTests {
    private func value(_ bytes: Int, stable: Bool = true, ranCode: Bool = false) -> EncodedValue {
        EncodedValue(valueType: "str", value: JSONFragment(.string(String(repeating: "x", count: bytes))),
                     stable: stable && !ranCode, ranProgramCode: ranCode)
    }

    private func key(_ session: String, _ name: String) -> EncodedValueCache.Key {
        EncodedValueCache.Key(session: session, read: WorkerReadRequest(name: name))
    }

    /// Reads a value as the session does: begin, store, end.
    private func read(_ cache: EncodedValueCache, _ key: EncodedValueCache.Key, _ value: EncodedValue, ranCode: Bool = false) {
        let ticket = cache.begin(in: key.session)
        cache.store(value, for: key, ticket: ticket)
        cache.end(ticket, ranProgramCode: ranCode)
    }

    @Test func keepsStableValuesOnly() throws {
        let cache = EncodedValueCache(capacity: 1 << 20)
        read(cache, key("a", "x"), value(10))
        read(cache, key("a", "y"), value(10, stable: false))
        #expect(cache.value(for: key("a", "x")) == value(10))
        #expect(cache.value(for: key("a", "y")) == nil)
        #expect(cache.value(for: key("b", "x")) == nil)
        // The read's deadline, and whether it asked to be kept, are not part of what it is.
        var read = WorkerReadRequest(name: "x")
        read.deadlineMilliseconds = 5
        read.keep = true
        #expect(cache.value(for: EncodedValueCache.Key(session: "a", read: read)) == value(10))
        read.exact = true
        #expect(cache.value(for: EncodedValueCache.Key(session: "a", read: read)) == nil)
    }

    @Test func nothingIsServedWhileARequestIsUnderWay() throws {
        let cache = EncodedValueCache(capacity: 1 << 20)
        read(cache, key("a", "x"), value(10))
        let model = cache.begin(in: "a")
        #expect(cache.value(for: key("a", "x")) == nil)
        #expect(cache.value(for: key("b", "x")) == nil)
        cache.end(model, ranProgramCode: false)
        #expect(cache.value(for: key("a", "x")) != nil)
    }

    @Test func codeOfTheProgramDropsTheSessionsValuesAndRepliesSentBeforeIt() throws {
        let cache = EncodedValueCache(capacity: 1 << 20)
        read(cache, key("a", "x"), value(10))
        read(cache, key("b", "x"), value(10))
        // A read sent, then a model call that ends before the read's reply comes.
        let early = cache.begin(in: "a")
        let model = cache.begin(in: "a")
        cache.end(model, ranProgramCode: true)
        cache.store(value(10), for: key("a", "y"), ticket: early)
        cache.end(early, ranProgramCode: false)
        #expect(cache.value(for: key("a", "x")) == nil)
        #expect(cache.value(for: key("a", "y")) == nil)
        #expect(cache.value(for: key("b", "x")) != nil)
        // A read that ran code of the program is not kept, and drops the rest.
        read(cache, key("a", "x"), value(10))
        read(cache, key("a", "z"), value(10, ranCode: true), ranCode: true)
        #expect(cache.value(for: key("a", "x")) == nil && cache.value(for: key("a", "z")) == nil)
        read(cache, key("a", "x"), value(10))
        cache.forget("a")
        #expect(cache.value(for: key("a", "x")) == nil)
        #expect(cache.usage.values == 1)
    }

    @Test func theLeastRecentlyReadGoFirstAndLargeValuesAreNotKept() throws {
        let cache = EncodedValueCache(capacity: 4096, maximumEntries: 3)
        read(cache, key("a", "big"), value(2000))  // over a quarter of the bound
        #expect(cache.value(for: key("a", "big")) == nil)
        for name in ["1", "2", "3"] { read(cache, key("a", name), value(10)) }
        _ = cache.value(for: key("a", "1"))
        read(cache, key("a", "4"), value(10))
        #expect(cache.value(for: key("a", "2")) == nil)
        #expect(cache.value(for: key("a", "1")) != nil && cache.value(for: key("a", "4")) != nil)
        #expect(cache.usage.values == 3 && cache.usage.bytes <= 4096)
        let none = EncodedValueCache(capacity: 0)
        read(none, key("a", "x"), value(10))
        #expect(none.value(for: key("a", "x")) == nil)
    }

    @Test func aValueReadAgainAfterTheRunComesFromTheRuntime() async throws {
        let runtime = TestSupport.runtime()
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import runtimeBridge as rb
            rb.save_placeholder("numbers", list(range(5)))
            """])
        #expect(snapshot.status == .finished)
        #expect(try await session.value("numbers") == [0, 1, 2, 3, 4])
        let before = runtime.valueCacheUsage
        #expect(try await session.value("numbers") == [0, 1, 2, 3, 4])
        #expect(runtime.valueCacheUsage.hits == before.hits + 1)
        // Another window is another value.
        #expect(try await session.value("numbers", window: RowWindow(begin: 1, size: 2)) == [1, 2])
        #expect(runtime.valueCacheUsage.hits == before.hits + 1)
        try await runtime.deleteSession(id: session.id)
        #expect(runtime.valueCacheUsage.values == 0)
        await runtime.shutdown()
    }

    @Test func tablesArraysAndTheirDisplayFormsAreKept() async throws {
        let runtime = TestSupport.runtime()
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import datetime, numpy as np, pandas as pd, runtimeBridge as rb
            rb.save_placeholder("frame", pd.DataFrame({"a": [1.5, 2.5], "b": ["x", "y"],
                                                       "when": pd.to_datetime(["2026-01-01", "2026-01-02"])}))
            rb.save_placeholder("array", np.arange(6).reshape(2, 3))
            rb.save_placeholder("series", pd.Series([1, 2], name="s"))
            rb.save_placeholder("nested", {"d": datetime.date(2026, 1, 1), "t": (1, 2.5, None)})
            """])
        #expect(snapshot.status == .finished)
        for name in ["frame", "array", "series", "nested"] {
            let first = try await session.value(name)
            let before = runtime.valueCacheUsage.hits
            #expect(try await session.value(name) == first)
            #expect(runtime.valueCacheUsage.hits == before + 1, "\(name) was not kept")
        }
        await runtime.shutdown()
    }

    @Test func aValueWhoseReadRunsTheProgramsCodeIsNotKept() async throws {
        let runtime = TestSupport.runtime()
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import runtimeBridge as rb
            class Counter:
                def __init__(self):
                    self.n = 0
                def __repr__(self):
                    self.n += 1
                    return "Counter(%d)" % self.n
            rb.save_placeholder("counter", Counter())
            """])
        #expect(snapshot.status == .finished)
        #expect(try await session.value("counter") == "Counter(1)")
        #expect(try await session.value("counter") == "Counter(2)")
        #expect(runtime.valueCacheUsage.values == 0)
        await runtime.shutdown()
    }

    @Test func aValueReadWhileTheRunGoesOnIsReadAgainAfterIt() async throws {
        let runtime = TestSupport.runtime()
        let session = try await runtime.run(TestSupport.program(["main.py": """
            import os, time, runtimeBridge as rb
            box = {"v": 1}
            rb.save_placeholder("box", box)
            while not os.path.exists("go"):
                time.sleep(0.005)
            box["v"] = 2
            """]))
        _ = await session.firstEvent { if case .placeholderReady = $0.kind { true } else { false } }
        #expect(try await session.value("box") == ["v": 1])
        let folder = try #require((session as? WorkerSession)?.directory)
        #expect(FileManager.default.createFile(atPath: folder.appendingPathComponent("go").path, contents: Data()))
        #expect(await session.waitUntilEnded().status == .finished)
        #expect(try await session.value("box") == ["v": 2])
        await runtime.shutdown()
    }

    @Test func aThreadTheProgramLeftRunningKeepsItsValuesFresh() async throws {
        let runtime = TestSupport.runtime()
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import threading, time, runtimeBridge as rb
            counter = [0]
            rb.save_placeholder("counter", counter)
            def tick():
                while True:
                    counter[0] += 1
                    time.sleep(0.002)
            threading.Thread(target=tick, daemon=True).start()
            """])
        #expect(snapshot.status == .finished)
        let first = try await session.value("counter")
        var changed = false
        let deadline = ContinuousClock.now + .seconds(60)
        while !changed, ContinuousClock.now < deadline {
            changed = try await session.value("counter") != first
        }
        #expect(changed)
        #expect(runtime.valueCacheUsage.values == 0)
        await runtime.shutdown()
    }

    @Test func aModelCallDropsWhatWasKeptOfItsSession() async throws {
        let runtime = TestSupport.runtime()
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import runtimeBridge as rb
            calls = {"n": 0}
            def model(data):
                calls["n"] += 1
                return [calls["n"]]
            rb.save_placeholder("calls", calls)
            rb.save_placeholder("model", model)
            """])
        #expect(snapshot.status == .finished)
        #expect(try await session.value("calls") == ["n": 0])
        #expect(try await session.value("calls") == ["n": 0])
        #expect(runtime.valueCacheUsage.values == 1)
        _ = try await session.predict(model: "model", input: .inline([1.0]))
        #expect(runtime.valueCacheUsage.values == 0)
        #expect(try await session.value("calls") == ["n": 1])
        await runtime.shutdown()
    }
}
