import Foundation
import Testing
import RuntimeCore
import RuntimeJSON

/// A program that forks (`os.fork`, multiprocessing's default "fork" start
/// method) makes copies of the worker's process. Only the worker's own
/// process speaks to the runtime: a copy's output goes to the raw streams,
/// its saves are refused, and a copy that comes back from the main file or
/// from a function the runtime called ends there, as under `python main.py`.
@Suite(.timeLimit(.minutes(2)))
struct ForkedChildTests {
    private static func stdout(of events: [SessionEvent]) -> String {
        events.compactMap { event -> String? in
            if case .output(.stdout, let text, _) = event.kind { return text }
            return nil
        }.joined()
    }

    private static func stderr(of events: [SessionEvent]) -> String {
        events.compactMap { event -> String? in
            if case .output(.stderr, let text, _) = event.kind { return text }
            return nil
        }.joined()
    }

    /// Pool workers and the main process print long lines at once. Their
    /// frames used to interleave on the one frame pipe, and the runtime cut
    /// the session off ("a frame that is not a JSON object").
    @Test func poolWorkersThatPrintDoNotBreakTheSession() async throws {
        let runtime = TestSupport.runtime()
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import multiprocessing as mp
            from runtimeBridge import save_placeholder
            def work(letter):
                for _ in range(6):
                    print(letter * 20000, flush=True)
                return letter
            if __name__ == "__main__":
                with mp.get_context("fork").Pool(2) as pool:
                    pending = pool.map_async(work, ["a", "b", "c", "d"])
                    for _ in range(6):
                        print("P" * 20000, flush=True)
                    save_placeholder("letters", pending.get())
            """])
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error))")
        #expect(snapshot.placeholders == ["letters"])
        let letters = try await session.readPlaceholder(named: "letters", window: nil).value
        #expect(letters == ["a", "b", "c", "d"])
        // Raw writes of several processes may mix within a line, as on a
        // terminal; none is lost.
        let output = Self.stdout(of: await session.allEvents())
        for letter in ["a", "b", "c", "d", "P"] {
            #expect(output.filter { String($0) == letter }.count == 6 * 20000, "\(letter)")
        }
        await runtime.shutdown()
    }

    /// A copy's output keeps its place against the session process's own:
    /// a Pool worker's line came before the header its parent printed
    /// first (they came on different pipes; found by this session's
    /// adversarial tester).
    @Test func aCopysOutputKeepsItsPlace() async throws {
        let runtime = TestSupport.runtime()
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import multiprocessing as mp, os
            def task(args):
                epoch, n = args
                print("epoch", epoch, "task", n)
                return n
            if __name__ == "__main__":
                with mp.get_context("fork").Pool(2) as pool:
                    for epoch in range(5):
                        print("== epoch", epoch)
                        pool.map(task, [(epoch, n) for n in range(4)])
                for k in range(20):
                    print("parent", k)
                    pid = os.fork()
                    if pid == 0:
                        print("child", k)
                        os._exit(0)
                    os.waitpid(pid, 0)
            """])
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error?.text))")
        let lines = Self.stdout(of: await session.allEvents()).split(separator: "\n").map(String.init)
        var expected: [[String]] = []
        for epoch in 0..<5 { expected.append(["== epoch \(epoch)"]); expected.append((0..<4).map { "epoch \(epoch) task \($0)" }) }
        for k in 0..<20 { expected.append(["parent \(k)"]); expected.append(["child \(k)"]) }
        // Within an epoch the tasks may come in any order; the groups may not.
        var rest = lines[...]
        for group in expected {
            let next = rest.prefix(group.count)
            #expect(Set(next) == Set(group), "\(Array(next)) where \(group) was due; all: \(lines)")
            rest = rest.dropFirst(group.count)
        }
        #expect(rest.isEmpty)
        await runtime.shutdown()
    }

    /// A child that does not call `os._exit` runs on to the end of the main
    /// file and ends there with its exit status; its save is refused with a
    /// clear error. It used to go back into the worker, report the run's
    /// end before the parent had ended, and hang the parent's `waitpid`.
    @Test func aChildThatReachesTheEndOfTheMainFileEndsThere() async throws {
        let runtime = TestSupport.runtime()
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import os, sys
            from runtimeBridge import save_placeholder
            statuses = []
            for how in ("save", "exit", "end"):
                pid = os.fork()
                if pid == 0:
                    print("child", how)
                    if how == "save":
                        save_placeholder("from_child", 1)
                    elif how == "exit":
                        sys.exit(3)
                    break
                statuses.append(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
            else:
                save_placeholder("statuses", statuses)
                print("parent done")
            """])
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error))")
        #expect(snapshot.placeholders == ["statuses"])
        #expect(try await session.readPlaceholder(named: "statuses", window: nil).value == [1, 3, 0])
        let events = await session.allEvents()
        let output = Self.stdout(of: events)
        #expect(output.contains("child save\n") && output.contains("child exit\n") && output.contains("child end\n"))
        #expect(output.hasSuffix("parent done\n"))
        let errors = Self.stderr(of: events)
        #expect(errors.contains("RuntimeError: save_placeholder: called in a process the program forked"))
        // The traceback names the client's file, as the run's own errors do.
        #expect(errors.contains("File \"main.py\", line 9"))
        #expect(!errors.contains("_runtime_worker"))
        #expect(!events.contains { $0.kind == .placeholderReady(name: "from_child", valueType: "int") })
        await runtime.shutdown()
    }

    /// A Python the program starts (multiprocessing's "spawn", joblib's
    /// loky workers, `python other.py`) can import `runtimeBridge`: the
    /// spawned ones import the main file again, and its
    /// `import runtimeBridge` failed there, so a spawn Pool started new
    /// workers without end. A save there is refused, and a Python child's
    /// output is unbuffered (`PYTHONUNBUFFERED`).
    @Test func processesTheProgramStartsCanImportTheBridge() async throws {
        let runtime = TestSupport.runtime()
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import multiprocessing as mp, subprocess, sys
            import runtimeBridge
            from joblib import Parallel, delayed
            def square(x):
                return x * x
            def loud_square(x):
                print("loky task", x, flush=False)
                return x * x
            if __name__ == "__main__":
                with mp.get_context("spawn").Pool(2) as pool:
                    spawned = pool.map(square, range(4))
                loky = Parallel(n_jobs=2)(delayed(loud_square)(i) for i in range(4))
                child = subprocess.run([sys.executable, "other.py"], capture_output=True, text=True)
                runtimeBridge.save_placeholder("results", [spawned, loky, child.returncode, child.stdout])
            """, "other.py": """
            import runtimeBridge
            try:
                runtimeBridge.save_placeholder("x", 1)
            except RuntimeError as e:
                print(e)
            """])
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error?.text))")
        let results = try await session.readPlaceholder(named: "results", window: nil).value
        #expect(results[0] == [0, 1, 4, 9])
        #expect(results[1] == [0, 1, 4, 9])
        #expect(results[2] == 0)
        #expect(results[3]?.stringValue?.hasPrefix("save_placeholder: called in a process the program started") == true, "\(results)")
        // The loky workers live on after the run; unbuffered, what they
        // printed came before its end (it came when they ended, and was dropped).
        let output = Self.stdout(of: await session.allEvents())
        // Unbuffered, a print is several writes: two workers' may mix.
        #expect(output.components(separatedBy: "loky task").count - 1 == 4, "\(output)")
        await runtime.shutdown()
    }

    /// multiprocessing's sockets (a `Manager()`, the forkserver) live in a
    /// folder under the temporary folder, and an AF_UNIX address holds 107
    /// bytes at most: under a long work root (or a server pid of five
    /// digits under /tmp) they failed with "AF_UNIX path too long".
    @Test func managersAndTheForkserverWorkUnderALongWorkRoot() async throws {
        let root = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("runtime-tests-a-work-root-long-enough-to-pass-the-socket-limit-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        let runtime = TestSupport.runtime { $0.workRoot = root }
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import multiprocessing as mp, tempfile
            from runtimeBridge import save_placeholder
            def square(x):
                return x * x
            if __name__ == "__main__":
                with mp.Manager() as manager:
                    shared = manager.dict(a=1)
                    shared["b"] = 2
                    kept = dict(shared)
                with mp.get_context("forkserver").Pool(2) as pool:
                    squares = pool.map(square, range(4))
                save_placeholder("results", [kept, squares, len(tempfile.gettempdir()) > 75])
            """])
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error?.text))")
        let results = try await session.readPlaceholder(named: "results", window: nil).value
        #expect(results == [["a": 1, "b": 2], [0, 1, 4, 9], true], "\(results)")
        await runtime.shutdown()
    }

    /// A copy that ends at the end of the main file ends as python ends: its
    /// threads waited for, its open files flushed, its exit status; what it
    /// wrote to stderr without a newline is not lost to an `os._exit`. And
    /// a program that patches `os.getpid` is still the session's own
    /// process. (Found by this session's adversarial tester.)
    @Test func aCopyEndsAsPythonWould() async throws {
        let runtime = TestSupport.runtime()
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import os, sys, threading, time
            from unittest import mock
            from runtimeBridge import save_placeholder
            pid = os.fork()
            if pid == 0:
                f = open("out.txt", "w")
                f.write("x" * 100)
                def later():
                    time.sleep(0.2)
                    print("the copy's thread ended")
                threading.Thread(target=later).start()
                sys.exit(4)
            status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
            pid = os.fork()
            if pid == 0:
                sys.stderr.write("partial")
                os._exit(0)
            os.waitpid(pid, 0)
            with mock.patch("os.getpid", return_value=4242):
                save_placeholder("result", [status, os.path.getsize("out.txt")])
            """])
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error?.text))")
        #expect(try await session.readPlaceholder(named: "result", window: nil).value == [4, 100])
        let events = await session.allEvents()
        #expect(Self.stdout(of: events).contains("the copy's thread ended\n"))
        #expect(Self.stderr(of: events).contains("partial"))
        await runtime.shutdown()
    }

    /// As `python main.py` does at its exit, a run waits for the non-daemon
    /// processes it started with multiprocessing (their output came after
    /// the end event, and was dropped); daemonic ones are not waited for.
    @Test func aRunWaitsForTheProcessesItStarted() async throws {
        let runtime = TestSupport.runtime()
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import multiprocessing as mp, time
            def job(n):
                time.sleep(0.3)
                print("job", n, "done", flush=True)
            if __name__ == "__main__":
                mp.get_context("fork").Process(target=time.sleep, args=(600,), daemon=True).start()
                for n in range(2):
                    mp.get_context("fork").Process(target=job, args=(n,)).start()
                print("main file done")
            """])
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error?.text))")
        let output = Self.stdout(of: await session.allEvents())
        #expect(output.contains("main file done\n") && output.contains("job 0 done\n") && output.contains("job 1 done\n"), "\(output)")
        await runtime.shutdown()
    }

    /// An executor or a Manager left open is not waited for (python's exit
    /// would shut them down first; here they stay for later calls): their
    /// processes are not daemonic, and the run never ended. Each session
    /// draws its own multiprocessing key, which lets a process talk to its
    /// Manager (the fork server's was shared). From this session's review.
    @Test func openExecutorsAndManagersDoNotHoldTheRunAndKeysDiffer() async throws {
        let runtime = TestSupport.runtime()
        let program: KeyValuePairs<String, String> = ["main.py": """
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor
            from runtimeBridge import save_placeholder
            if __name__ == "__main__":
                executor = ProcessPoolExecutor(2, mp_context=mp.get_context("fork"))
                manager = mp.Manager()
                shared = manager.dict(a=executor.submit(abs, -3).result())
                save_placeholder("kept", dict(shared))
                save_placeholder("key", mp.current_process().authkey.hex())
            """]
        let (first, one) = try await TestSupport.runToEnd(runtime, program)
        let (second, two) = try await TestSupport.runToEnd(runtime, program)
        #expect(one.status == .finished && two.status == .finished, "\(String(describing: one.error?.text))")
        #expect(try await first.readPlaceholder(named: "kept", window: nil).value == ["a": 3])
        let keys = [try await first.readPlaceholder(named: "key", window: nil).value,
                    try await second.readPlaceholder(named: "key", window: nil).value]
        #expect(keys[0] != keys[1], "\(keys)")
        await runtime.shutdown()
    }

    /// A function the runtime calls that forks returns in the copy too: the
    /// copy ends without answering, and every later request is answered by
    /// the worker's own process.
    @Test func aForkInAFunctionCallIsAnsweredByTheWorkerOnly() async throws {
        let runtime = TestSupport.runtime()
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": """
            x = 1
            """])
        #expect(snapshot.status == .finished)
        let worker = try #require(session.pythonWorker)
        let own = try #require(try await worker.apply(function: "lambda v: __import__('os').getpid()", to: "x").decoded().intValue)
        let forked = try await worker.apply(function: "lambda v: __import__('os').fork()", to: "x").decoded()
        // The parent's answer: the child's pid (the child's would be 0).
        #expect((forked.intValue ?? 0) > 0, "\(forked)")
        // A copy that raises ends with the status python would give it.
        let status = try await worker.apply(function: """
            lambda v: (lambda os, pid: os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) if pid else __import__('sys').exit(5))(__import__('os'), __import__('os').fork())
            """, to: "x").decoded()
        #expect(status == 5)
        for _ in 0..<20 {
            #expect(try await worker.apply(function: "lambda v: __import__('os').getpid()", to: "x").decoded().intValue == own)
        }
        await runtime.shutdown()
    }
}
