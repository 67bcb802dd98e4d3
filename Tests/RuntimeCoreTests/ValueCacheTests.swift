import Foundation
import RuntimeJSON
import Testing
import WorkerFrames
@testable import RuntimeCore

/// Values read after a run ended are kept by the runtime, and never when
/// something could still change them.
@Suite(.timeLimit(.minutes(3)))
struct ValueCacheTests {
    private func value(_ bytes: Int, stable: Bool = true) -> EncodedValue {
        EncodedValue(valueType: "str", value: JSONFragment(.string(String(repeating: "x", count: bytes))), stable: stable)
    }

    private func key(_ session: String, _ name: String) -> EncodedValueCache.Key {
        EncodedValueCache.Key(session: session, read: WorkerReadRequest(name: name))
    }

    @Test func keepsStableValuesUnderTheirSessionsTicket() throws {
        let cache = EncodedValueCache(capacity: 1 << 20)
        let ticket = try #require(cache.ticket(for: "a"))
        cache.store(value(10), for: key("a", "x"), ticket: ticket)
        cache.store(value(10, stable: false), for: key("a", "y"), ticket: ticket)
        #expect(cache.value(for: key("a", "x")) == value(10))
        #expect(cache.value(for: key("a", "y")) == nil)
        #expect(cache.value(for: key("b", "x")) == nil)
        // The read's deadline is not part of what it is.
        var read = WorkerReadRequest(name: "x")
        read.deadlineMilliseconds = 5
        #expect(cache.value(for: EncodedValueCache.Key(session: "a", read: read)) == value(10))
        read.exact = true
        #expect(cache.value(for: EncodedValueCache.Key(session: "a", read: read)) == nil)
    }

    @Test func userCodeDropsTheSessionsValuesAndRepliesSentBeforeIt() throws {
        let cache = EncodedValueCache(capacity: 1 << 20)
        let early = try #require(cache.ticket(for: "a"))
        cache.store(value(10), for: key("a", "x"), ticket: early)
        cache.store(value(10), for: key("b", "x"), ticket: try #require(cache.ticket(for: "b")))
        cache.userCodeStarts(in: "a")
        #expect(cache.value(for: key("a", "x")) == nil)
        #expect(cache.value(for: key("b", "x")) != nil)
        // While user code runs, no ticket; a reply to a read sent before is not kept.
        #expect(cache.ticket(for: "a") == nil)
        cache.store(value(10), for: key("a", "x"), ticket: early)
        cache.userCodeEnded(in: "a")
        cache.store(value(10), for: key("a", "x"), ticket: early)
        #expect(cache.value(for: key("a", "x")) == nil)
        let late = try #require(cache.ticket(for: "a"))
        cache.store(value(10), for: key("a", "x"), ticket: late)
        #expect(cache.value(for: key("a", "x")) != nil)
        cache.forget("a")
        #expect(cache.value(for: key("a", "x")) == nil)
        #expect(cache.usage.values == 1)
    }

    @Test func theLeastRecentlyReadGoFirstAndLargeValuesAreNotKept() throws {
        let cache = EncodedValueCache(capacity: 4096, maximumEntries: 3)
        let ticket = try #require(cache.ticket(for: "a"))
        cache.store(value(2000), for: key("a", "big"), ticket: ticket)  // over a quarter of the bound
        #expect(cache.value(for: key("a", "big")) == nil)
        for name in ["1", "2", "3"] { cache.store(value(10), for: key("a", name), ticket: ticket) }
        _ = cache.value(for: key("a", "1"))
        cache.store(value(10), for: key("a", "4"), ticket: ticket)
        #expect(cache.value(for: key("a", "2")) == nil)
        #expect(cache.value(for: key("a", "1")) != nil && cache.value(for: key("a", "4")) != nil)
        #expect(cache.usage.values == 3 && cache.usage.bytes <= 4096)
        let none = EncodedValueCache(capacity: 0)
        #expect(none.ticket(for: "a") == nil)
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
