import Foundation
import Testing
@testable import RuntimeCore

@Suite(.timeLimit(.minutes(2)))
struct RunTests {
    @Test func mainImportsItsSiblingAndSavesPlaceholders() async throws {
        let runtime = TestSupport.runtime()
        let main = """
        import os, sys
        import speedPrediction2
        from pkg import util
        from runtimeBridge import save_placeholder
        save_placeholder("speed", speedPrediction2.predict(10))
        save_placeholder("util", util.NAME)
        save_placeholder("where", [os.getcwd() == os.path.dirname(__file__), sys.path[0] == os.getcwd(), __name__])
        print("done")
        """
        let session = try await runtime.run(TestSupport.program([
            "main.py": main,
            "speedPrediction2.py": "def predict(x):\n    return x * 2.5\n",
            "pkg/__init__.py": "",
            "pkg/util.py": "NAME = 'util'\n",
        ]))
        let snapshot = await session.waitUntilEnded()
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error))")
        #expect(snapshot.placeholders == ["speed", "util", "where"])
        #expect(try await session.value("speed") == 25.0)
        #expect(try await session.value("util") == "util")
        #expect(try await session.value("where") == [true, true, "__main__"])

        let events = await session.allEvents()
        #expect(events.map(\.sequence) == Array(1...events.count))
        #expect(events.first?.kind == .started)
        #expect(events.contains { $0.kind == .placeholderReady(name: "speed", valueType: "float") })
        #expect(events.contains { $0.kind == .output(stream: .stdout, text: "done\n", truncated: false) })
        guard case .finished(let duration)? = events.last?.kind else {
            Issue.record("last event is \(String(describing: events.last))")
            return
        }
        #expect(duration >= 0 && snapshot.durationMs == duration)
        #expect(snapshot.startedAt != nil && snapshot.finishedAt != nil)
        await runtime.shutdown()
    }

    /// A worker's environment names no locale; its Python still reads and
    /// writes text and file names as UTF-8, as `python3` does.
    @Test func filesAndTheirNamesAreUTF8() async throws {
        let runtime = TestSupport.runtime()
        let main = """
        import locale, sys
        from runtimeBridge import save_placeholder
        save_placeholder("sent", open("data.txt").read())
        save_placeholder("named", open("été.txt").read())
        with open("données.txt", "w") as f:
            f.write("café")
        save_placeholder("written", open("données.txt", encoding="utf-8").read())
        save_placeholder("encodings", [sys.getfilesystemencoding(), locale.getpreferredencoding(False)])
        """
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, [
            "main.py": main, "data.txt": "café", "été.txt": "naïve",
        ])
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error))")
        #expect(try await session.value("sent") == "café")
        #expect(try await session.value("named") == "naïve")
        #expect(try await session.value("written") == "café")
        #expect(try await session.value("encodings") == ["utf-8", "utf-8"])
        await runtime.shutdown()
    }

    @Test func outputIsStreamedWhileTheProgramRuns() async throws {
        let runtime = TestSupport.runtime()
        // The program waits for a file that the test creates only after it has
        // seen the first line: the line must have arrived while it ran.
        let gate = FileManager.default.temporaryDirectory.appendingPathComponent("gate-\(UUID().uuidString)")
        let main = """
        import os, sys, time
        print("first")
        deadline = time.time() + 60
        while not os.path.exists(\(JSONValue.string(gate.path).jsonString)) and time.time() < deadline:
            time.sleep(0.01)
        print("second", file=sys.stderr)
        """
        let session = try await runtime.run(TestSupport.program(["main.py": main]))
        #expect(await session.waitForOutput(containing: "first\n"))
        #expect(await session.snapshot().status == .running)
        _ = FileManager.default.createFile(atPath: gate.path, contents: Data())
        defer { try? FileManager.default.removeItem(at: gate) }
        let snapshot = await session.waitUntilEnded()
        #expect(snapshot.status == .finished)
        let events = await session.allEvents()
        #expect(events.contains { $0.kind == .output(stream: .stderr, text: "second\n", truncated: false) })
        await runtime.shutdown()
    }

    /// As `python main.py` does, a run ends once the non-daemon threads it
    /// started have ended: what such a thread prints and saves after the
    /// main file's last line comes before the end event (it used to come
    /// after it, and was lost). Executor pools left open are not waited for.
    @Test func aRunEndsWhenItsThreadsHaveEnded() async throws {
        let runtime = TestSupport.runtime()
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import threading, time
            from concurrent.futures import ThreadPoolExecutor
            from runtimeBridge import save_placeholder
            pool = ThreadPoolExecutor(2)
            pool.submit(int, 1).result()
            def later():
                time.sleep(0.3)
                print("from the thread", flush=True)
                save_placeholder("late", 7)
            threading.Thread(target=later).start()
            """])
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error))")
        #expect(snapshot.placeholders == ["late"])
        let events = await session.allEvents()
        #expect(events.contains { $0.kind == .output(stream: .stdout, text: "from the thread\n", truncated: false) })
        #expect(events.contains { $0.kind == .placeholderReady(name: "late", valueType: "int") })
        #expect(events.last?.kind == .finished(durationMs: snapshot.durationMs ?? -1))
        await runtime.shutdown()
    }

    /// A file of the run named like a module the preloads imported (numpy
    /// and pandas import `secrets` and `calendar`) is what the program's
    /// `import` finds, as under `python main.py` (it got the standard
    /// library's; found by this session's adversarial tester). The preloaded
    /// libraries keep working, and a `runtimeBridge.py` stub sent with the
    /// program does not take the runtime's place.
    @Test func aFileOfTheRunShadowsAPreloadedModule() async throws {
        let runtime = TestSupport.runtime { $0.preloadModules = ["numpy", "pandas"] }
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, [
            "main.py": """
                import secrets, calendar
                import pandas as pd
                from runtimeBridge import save_placeholder
                save_placeholder("who", [secrets.WHO, calendar.WHO])
                save_placeholder("rows", len(pd.DataFrame({"a": [1, 2]})))
                """,
            "secrets.py": "WHO = 'mine'\n",
            "calendar/__init__.py": "WHO = 'my package'\n",
            "runtimeBridge.py": "def save_placeholder(name, value):\n    pass\n",
        ])
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error))")
        #expect(try await session.value("who") == ["mine", "my package"])
        #expect(try await session.value("rows") == 2)
        await runtime.shutdown()
    }

    /// While its threads are waited for, the main thread counts as ended,
    /// as in Python's own shutdown: a thread that watches it, or joins it,
    /// ends (such runs hung; found by this session's second adversarial
    /// tester). A main file that raised ends the run at once, failed,
    /// whatever its threads do (its error was hidden behind them).
    @Test func threadsWatchingTheMainThreadEndAndAFailureDoesNotWait() async throws {
        let runtime = TestSupport.runtime()
        let (_, watched) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import threading, time
            def watch():
                while threading.main_thread().is_alive():
                    time.sleep(0.01)
                print("main ended", flush=True)
            threading.Thread(target=watch).start()
            threading.Thread(target=threading.main_thread().join).start()
            """])
        #expect(watched.status == .finished, "\(String(describing: watched.error))")
        let (_, failed) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import threading
            threading.Thread(target=threading.Event().wait).start()
            raise ValueError("boom")
            """])
        #expect(failed.status == .failed && failed.error?.type == "ValueError", "\(String(describing: failed.error))")
        await runtime.shutdown()
    }

    /// A file of the run named like a module the runtime itself uses to
    /// answer reads (json here) is not imported: a program's json.py broke
    /// every model call of its session (found by this session's second
    /// adversarial tester).
    @Test func theRuntimesOwnModulesCannotBeShadowed() async throws {
        let runtime = TestSupport.runtime { $0.preloadModules = ["numpy", "pandas"] }
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, [
            "main.py": "import json\nfrom runtimeBridge import save_placeholder\nsave_placeholder('double', lambda x: x * 2)\nloads = hasattr(json, 'loads')\n",
            "json.py": "X = 1\n",
        ])
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error))")
        #expect(try await session.value("loads") == true)
        let predictions = try await session.predict(model: "double", input: .inline([[1.0, 2.0]])).decoded()
        #expect(predictions == [[2.0, 4.0]])
        await runtime.shutdown()
    }

    @Test func aSaveAfterTheEndIsListedWithoutAnEvent() async throws {
        let runtime = TestSupport.runtime()
        // A thread of the program saves once the test, having seen the end,
        // opens its gate: the worker lives on, so the value can be read, and
        // the session's list names it; no event follows the end event.
        let gate = FileManager.default.temporaryDirectory.appendingPathComponent("gate-\(UUID().uuidString)")
        let main = """
        import os, threading, time
        from runtimeBridge import save_placeholder
        def later():
            deadline = time.time() + 60
            while not os.path.exists(\(JSONValue.string(gate.path).jsonString)) and time.time() < deadline:
                time.sleep(0.01)
            save_placeholder("late", 7)
        threading.Thread(target=later, daemon=True).start()
        save_placeholder("early", 1)
        """
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": main])
        #expect(snapshot.status == .finished)
        #expect(snapshot.placeholders == ["early"])
        let eventsAtTheEnd = await session.allEvents().count
        _ = FileManager.default.createFile(atPath: gate.path, contents: Data())
        defer { try? FileManager.default.removeItem(at: gate) }
        let deadline = ContinuousClock.now + .seconds(60)
        while await !session.snapshot().placeholders.contains("late"), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(await session.snapshot().placeholders == ["early", "late"])
        #expect(await session.placeholders().map(\.name) == ["early", "late"])
        #expect(try await session.value("late") == 7)
        #expect(await session.allEvents().count == eventsAtTheEnd)
        await runtime.shutdown()
    }

    @Test func outputIsCutAtTheCapWithAMarker() async throws {
        let runtime = TestSupport.runtime { $0.outputCapBytes = 100 }
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": """
            for i in range(1000):
                print("line %04d" % i)
            x = 1
            """])
        #expect(snapshot.status == .finished)
        var text = ""
        var markers = 0
        for event in await session.allEvents() {
            if case .output(_, let chunk, let truncated) = event.kind {
                if truncated { markers += 1 } else { text += chunk }
            }
        }
        #expect(text.utf8.count == 100)
        #expect(text.hasPrefix("line 0000\nline 0001\n"))
        #expect(markers == 1)
        #expect(try await session.value("x") == 1)
        await runtime.shutdown()
    }

    /// A line at a time, each its own event: past half the event log the
    /// output is cut with a marker, and the run goes on to its end with its
    /// values (it used to be cut off as a protocol violation, values lost).
    @Test func manySmallWritesAreCutNotKilled() async throws {
        let runtime = TestSupport.runtime { $0.maximumEvents = 100 }
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": """
            from runtimeBridge import save_placeholder
            for i in range(1000):
                print(i % 10)
            save_placeholder("after", 42)
            """])
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error))")
        #expect(snapshot.valuesLost == nil)
        #expect(try await session.value("after") == 42)
        let outputs = await session.allEvents().compactMap { event -> (String, Bool)? in
            guard case .output(_, let text, let truncated) = event.kind else { return nil }
            return (text, truncated)
        }
        #expect(outputs.count == 51)
        #expect(outputs.prefix(50).allSatisfy { !$0.1 })
        #expect(outputs.last?.1 == true && outputs.last?.0.contains("cap of 50 writes") == true, "\(String(describing: outputs.last))")
        await runtime.shutdown()
    }

    /// `sys.stdout.reconfigure(...)` (common in generated code) and
    /// `sys.stdout.buffer` work as on a console (both raised
    /// AttributeError; found by this session's adversarial tester).
    @Test func standardStreamsHaveABufferAndReconfigure() async throws {
        let runtime = TestSupport.runtime()
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import sys
            sys.stdout.reconfigure(encoding="utf-8")
            sys.stdout.buffer.write("é".encode()[:1])
            sys.stdout.buffer.write("é\\n".encode()[1:])
            sys.stderr.buffer.write(b"bad \\xff\\n")
            sys.stdout.flush()
            """])
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error?.text))")
        let outputs = await session.allEvents().compactMap { event -> String? in
            guard case .output(let stream, let text, _) = event.kind else { return nil }
            return "\(stream.rawValue):\(text)"
        }
        #expect(outputs == ["stdout:é\n", "stderr:bad \u{FFFD}\n"], "\(outputs)")
        await runtime.shutdown()
    }

    /// `sys.stdout.fileno()` is the raw stdout's descriptor (it raised
    /// `io.UnsupportedOperation`): a subprocess given `stdout=sys.stdout`
    /// and `faulthandler.enable()` work, and their output arrives in order.
    @Test func standardStreamsHaveTheRawDescriptors() async throws {
        let runtime = TestSupport.runtime()
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import faulthandler, subprocess, sys
            sys.stdout.write("pending, ")
            subprocess.run(["sh", "-c", "echo from the subprocess; echo to stderr >&2"],
                           stdout=sys.stdout, stderr=sys.stderr, check=True)
            faulthandler.enable()
            print(sys.stdout.fileno(), sys.stderr.fileno(), sys.stdout.buffer.fileno(), faulthandler.is_enabled())
            """])
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error?.text))")
        var streams: [String: String] = [:]
        for event in await session.allEvents() {
            if case .output(let stream, let text, _) = event.kind { streams[stream.rawValue, default: ""] += text }
        }
        #expect(streams["stdout"] == "pending, from the subprocess\n1 2 1 True\n", "\(streams)")
        #expect(streams["stderr"] == "to stderr\n", "\(streams)")
        await runtime.shutdown()
    }

    @Test func exitZeroFinishesAndNonZeroFails() async throws {
        let runtime = TestSupport.runtime()
        let (_, ok) = try await TestSupport.runToEnd(runtime, ["main.py": "import sys\nsys.exit(0)\n"])
        #expect(ok.status == .finished)
        let (_, none) = try await TestSupport.runToEnd(runtime, ["main.py": "raise SystemExit\n"])
        #expect(none.status == .finished)
        let (_, bad) = try await TestSupport.runToEnd(runtime, ["main.py": "import sys\nsys.exit(3)\n"])
        #expect(bad.status == .failed)
        #expect(bad.error?.type == "SystemExit")
        #expect(bad.error?.message == "exit code 3")
        // The text is the formatted traceback, as for any other error.
        #expect(bad.error?.text == "Traceback (most recent call last):\n  File \"main.py\", line 2, in <module>\n    sys.exit(3)\nSystemExit: 3\n",
                "\(String(describing: bad.error?.text))")
        #expect(bad.error?.traceback.map(\.line) == [2])
        await runtime.shutdown()
    }

    @Test func statusReportsTheContractsFields() async throws {
        let runtime = TestSupport.runtime()
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": "import runtimeBridge\nruntimeBridge.save_placeholder('a', 1)\n"])
        #expect(snapshot.sessionId == session.id)
        #expect(snapshot.status.legacyStatus == "Finished")
        #expect(SessionStatus.running.legacyStatus == "Alive" && SessionStatus.queued.legacyStatus == "Alive")
        #expect(snapshot.placeholders == ["a"])
        #expect(snapshot.error == nil && !snapshot.killed)
        await runtime.shutdown()
    }

    @Test func runsBeyondTheParallelLimitWaitAsQueued() async throws {
        let runtime = TestSupport.runtime { $0.maximumParallelRuns = 1 }
        let first = try await runtime.run(TestSupport.program(["main.py": "print('go', flush=True)\nimport time\nwhile True: time.sleep(0.01)\n"]))
        #expect(await first.waitForOutput(containing: "go"))
        let second = try await runtime.run(TestSupport.program(["main.py": "x = 2\n"]))
        #expect(await second.snapshot().status == .queued)
        #expect(await second.snapshot().startedAt == nil)
        _ = await first.stop()
        let done = await second.waitUntilEnded()
        #expect(done.status == .finished)
        #expect(try await second.value("x") == 2)
        await runtime.shutdown()
    }
}
