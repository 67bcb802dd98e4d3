import Foundation
import Testing
@testable import RuntimeCore
import RuntimeTestSupport

/// A program runs in its worker's process and can write to the worker's frame
/// channel. The parent believes nothing it reads there.
@Suite(.timeLimit(.minutes(2)))
struct HostileFrameTests {
    /// Python that finds the reply channel and the frame channel (the
    /// write-only pipes that are not fd 1 or 2; the worker takes its reply
    /// pipe first, so it has the lower number) and defines `frame(bytes)`
    /// writing a length-prefixed frame to the frame channel, and
    /// `reply_frame(bytes)` to the reply channel.
    private static let channel = """
        import fcntl, json, os, stat, struct
        from runtimeBridge import save_placeholder
        def find_channels():
            found, read_ends = [], set()
            for name in os.listdir('/proc/self/fd'):
                fd = int(name)
                if fd in (0, 1, 2):
                    continue
                try:
                    info = os.fstat(fd)
                    if stat.S_ISFIFO(info.st_mode):
                        mode = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE
                        if mode == os.O_WRONLY:
                            found.append((fd, info.st_ino))
                        elif mode == os.O_RDONLY:
                            read_ends.add(info.st_ino)
                except OSError:
                    pass
            # Pipes the worker reads itself (its copies' output) lead nowhere.
            found = [fd for fd, inode in found if inode not in read_ends]
            assert len(found) == 2, found
            return sorted(found)
        REPLIES, CHANNEL = find_channels()
        def raw(data, fd=None):
            os.write(CHANNEL if fd is None else fd, data)
        def frame(body, fd=None):
            raw(struct.pack('>I', len(body)) + body, fd)
        def reply_frame(body):
            frame(body, REPLIES)

        """

    @Test func forgedOutputFramesEndTheWorkerAndStayWithinTheCap() async throws {
        let runtime = TestSupport.runtime { $0.outputCapBytes = 64 << 10 }
        let (session, end) = try await TestSupport.runToEnd(runtime, ["main.py": Self.channel + """
            chunk = json.dumps({'ev': 'output', 'stream': 'stdout', 'text': 'y' * (1 << 20)}).encode()
            for _ in range(200):
                frame(chunk)
            """])
        // The worker's channel never sends more than the cap: more is forged.
        #expect(end.status == .failed)
        #expect(end.error?.type == "WorkerProtocolViolation")
        #expect(end.error?.message.contains("past the run's output cap") == true)
        var bytes = 0, markers = 0
        for event in await session.allEvents() {
            guard case .output(_, let text, let truncated) = event.kind else { continue }
            if truncated { markers += 1 } else { bytes += text.utf8.count }
        }
        #expect(bytes <= 64 << 10)
        #expect(markers <= 1)
        await runtime.shutdown()
    }

    @Test(arguments: [
        ("an oversized frame", "raw(struct.pack('>I', 1 << 30))", "over the limit"),
        ("a frame that is not JSON", "frame(b'{not json')", "not a JSON object"),
        ("a frame of unknown kind", "frame(json.dumps({'ev': 'pwn'}).encode())", "unknown kind"),
        ("a placeholder frame without a name", "frame(json.dumps({'ev': 'ready'}).encode())", "without a name"),
        // Once trapped the server (a pid past Int32), found by the soak.
        ("a second hello with a huge pid", "frame(json.dumps({'ev': 'hello', 'pid': 2 ** 32}).encode())", "hello"),
        // Found in review: names were kept whatever their size, warnings logged whatever their number.
        ("a placeholder name of a megabyte", "frame(json.dumps({'ev': 'ready', 'name': 'n' * (1 << 20), 'type': 'int'}).encode())", "over 1024 bytes"),
        ("a reply's error with a message of 100 KiB",
         "frame(json.dumps({'ev': 'reply', 'rid': 1, 'ok': False, 'error': {'code': 'INTERNAL', 'message': 'm' * (100 << 10)}}).encode())",
         "passes its limits"),
        ("warnings again and again", "[frame(json.dumps({'ev': 'warning', 'message': 'w'}).encode()) for _ in range(3)]", "more than one warning"),
        // Found by a red-team helper: a failed frame of [{}, {}, …] made the
        // server allocate 70 times its size and keep it in the event log.
        ("a failed run's error with 5,000 traceback frames",
         "frame(json.dumps({'ev': 'failed', 'error': {'type': 'E', 'message': 'm', 'text': 't', 'traceback': [{'file': 'f', 'line': 1, 'function': 'g'}] * 5000}}).encode())",
         "passes its limits"),
        ("a failed run's error of the wrong shape",
         "frame(json.dumps({'ev': 'failed', 'error': {'traceback': [{}] * 10}}).encode())", "passes its limits"),
        ("a header frame over 2 MiB", "frame(json.dumps({'ev': 'ready', 'name': 'x', 'type': 'int', 'pad': 'p' * (3 << 20)}).encode())",
         "over the limit of 2097152"),
    ])
    func aBrokenFrameEndsTheWorkerWithAViolation(_ what: String, _ source: String, _ reason: String) async throws {
        let runtime = TestSupport.runtime()
        let (_, end) = try await TestSupport.runToEnd(runtime, ["main.py": Self.channel + source + "\nimport time\ntime.sleep(60)\n"])
        #expect(end.status == .failed, "\(what)")
        #expect(end.error?.type == "WorkerProtocolViolation", "\(what): \(String(describing: end.error))")
        #expect(end.error?.message.contains(reason) == true, "\(what): \(String(describing: end.error?.message))")
        await runtime.shutdown()
    }

    /// A local worker's replies come on a pipe of their own (the larger ones
    /// on the frame pipe): an event there, a reply over the pipe's limit, a
    /// reply nothing waits for, or a broken reply ends the worker.
    @Test(arguments: [
        ("an event on the reply channel", "reply_frame(json.dumps({'ev': 'finished'}).encode())", "an event on the reply channel"),
        ("a reply to a request never made, on the reply pipe",
         "reply_frame(json.dumps({'ev': 'reply', 'rid': 1, 'ok': False, 'error': {'code': 'INTERNAL', 'message': 'm'}}).encode())",
         "which nothing waits for"),
        ("a reply to a request never made, on the frame pipe",
         "frame(json.dumps({'ev': 'reply', 'rid': 1, 'ok': False, 'error': {'code': 'INTERNAL', 'message': 'm'}}).encode())",
         "which nothing waits for"),
        ("an oversized reply frame", "raw(struct.pack('>I', 1 << 30), REPLIES)", "over the limit"),
        ("a reply over 64 KiB on the reply pipe", "reply_frame(json.dumps({'ev': 'reply', 'rid': 1, 'pad': 'p' * (100 << 10)}).encode())",
         "over the limit of 65532"),
        // Encoded values travel as raw parts the parent splices unparsed: it still checks them.
        ("a reply part that is not JSON",
         "reply_frame(json.dumps({'ev': 'reply', 'rid': 1, 'ok': True, 'kind': 'value', 'valueType': 'int', 'parts': ['value']}).encode()); reply_frame(b'{\"x\": ')",
         "is not JSON"),
        ("a reply announcing more parts than allowed",
         "reply_frame(json.dumps({'ev': 'reply', 'rid': 1, 'ok': True, 'kind': 'result', 'parts': ['p'] * 9}).encode())", "parts"),
    ])
    func aBrokenReplyChannelEndsTheWorker(_ what: String, _ source: String, _ reason: String) async throws {
        try await aBrokenFrameEndsTheWorkerWithAViolation(what, source, reason)
    }

    /// Past the cap of listed names, values saved under new names stay in
    /// the worker, readable by name but not listed, with one notice (the
    /// session was cut off, every value lost; found by this session's
    /// second adversarial tester).
    @Test func namesPastTheCapAreKeptUnlisted() async throws {
        let runtime = TestSupport.runtime { $0.maximumPlaceholders = 50 }
        let (session, end) = try await TestSupport.runToEnd(runtime, ["main.py": """
            from runtimeBridge import save_placeholder
            for i in range(1000):
                save_placeholder('p%d' % i, i)
            save_placeholder('p0', 'again')
            """])
        #expect(end.status == .finished, "\(String(describing: end.error))")
        #expect(end.placeholders.count == 50 && end.valuesLost == nil)
        #expect(try await session.value("p999") == 999)
        #expect(try await session.value("p0") == "again")
        let notices = await session.allEvents().compactMap { event -> String? in
            guard case .output(.stderr, let text, _) = event.kind else { return nil }
            return text
        }
        #expect(notices.count == 1 && notices.first?.contains("cap of 50 placeholder names") == true, "\(notices)")
        await runtime.shutdown()
    }

    /// A loop that saves the same name on every step (a training loss) has
    /// its events stopped at half the event log, with one marker; the run
    /// goes on to its end, and the last value is the one read.
    @Test func savingOnePlaceholderAgainAndAgainIsBounded() async throws {
        let runtime = TestSupport.runtime { $0.maximumEvents = 500 }
        let (session, end) = try await TestSupport.runToEnd(runtime, ["main.py": """
            from runtimeBridge import save_placeholder
            for i in range(100000):
                save_placeholder('same', i)
            save_placeholder('other', 'new after the cap')
            """])
        #expect(end.status == .finished, "\(String(describing: end.error))")
        #expect(end.valuesLost == nil)
        #expect(try await session.value("same") == 99_999)
        #expect(try await session.value("other") == "new after the cap")
        #expect(end.placeholders == ["same", "other"])
        let events = await session.allEvents()
        let ready = events.filter { if case .placeholderReady = $0.kind { true } else { false } }
        #expect(ready.count == 245)
        let markers = events.compactMap { event -> String? in
            guard case .output(.stderr, let text, _) = event.kind else { return nil }
            return text
        }
        #expect(markers.count == 1 && markers.first?.contains("cap of 245 events") == true, "\(markers)")
        await runtime.shutdown()
    }

    @Test func aWorkerThatDiesAfterItsRunLosesItsValuesAndSaysWhy() async throws {
        let runtime = TestSupport.runtime()
        let (session, end) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import os
            from runtimeBridge import save_placeholder
            class Fatal:
                def predict(self, rows):
                    os._exit(7)
            save_placeholder('model', Fatal())
            save_placeholder('x', 1)
            """])
        #expect(end.status == .finished)
        await #expect(throws: RuntimeError.self) {
            try await PythonModelInvoker().predict(model: "model", input: .inline([1]), method: nil, in: session)
        }
        await (session as? WorkerSession)?.waitForWorkerEnd()
        let snapshot = await session.snapshot()
        #expect(snapshot.status == .finished)
        #expect(snapshot.valuesLost?.contains("exited with code 7") == true, "\(String(describing: snapshot.valuesLost))")
        #expect(snapshot.wireMessage["valuesLost"]?.stringValue == snapshot.valuesLost)
        await #expect { try await session.value("x") } throws: { error in
            let error = error as? RuntimeError
            return error?.code == .placeholderNotFound && error?.message.contains("values were lost") == true
        }
        await runtime.shutdown()
    }

    /// A huge exception is sent cut to the error object's limits: the run
    /// fails as the program raised it, and the log stays small.
    @Test func aHugeExceptionIsCutNotTakenWhole() async throws {
        let runtime = TestSupport.runtime()
        let (_, end) = try await TestSupport.runToEnd(runtime, ["main.py": """
            def deep(n):
                if n == 0:
                    raise ValueError("x" * (8 << 20))
                deep(n - 1)
            import sys
            sys.setrecursionlimit(5000)
            deep(1500)
            """])
        #expect(end.status == .failed)
        let error = try #require(end.error)
        #expect(error.type == "ValueError")
        #expect(error.message.utf8.count <= 64 << 10 && error.message.hasSuffix("bytes, cut]"), "\(error.message.suffix(60))")
        #expect(error.text.utf8.count <= 256 << 10)
        #expect(error.traceback.count == 1000 && error.traceback.last?.function == "deep")
        await runtime.shutdown()
    }

    /// Long names saved again and again stop at the log's byte budget; the
    /// run goes on and every value stays readable.
    @Test func placeholderEventsAreBoundedInBytes() async throws {
        let runtime = TestSupport.runtime { $0.maximumPlaceholderEventBytes = 1 << 20 }
        let (session, end) = try await TestSupport.runToEnd(runtime, ["main.py": """
            from runtimeBridge import save_placeholder
            for i in range(5000):
                save_placeholder('n' * 1000 + str(i % 10), i)
            """])
        #expect(end.status == .finished, "\(String(describing: end.error))")
        #expect(end.placeholders.count == 10)
        #expect(try await session.value(String(repeating: "n", count: 1000) + "9") == 4999)
        let events = await session.allEvents()
        #expect(events.count < 1100)
        #expect(events.contains { event in
            if case .output(.stderr, let text, _) = event.kind { text.contains("cap of 1048576 bytes of names") } else { false }
        })
        await runtime.shutdown()
    }

    /// A name the runtime could not announce or a client could not send back
    /// is refused by `save_placeholder` with an error the program can catch
    /// (it used to cut the worker off, its values lost); a type name past
    /// the limit is cut, in the event and in a read alike.
    @Test func namesTheRuntimeCannotCarryAreRefusedInPython() async throws {
        let runtime = TestSupport.runtime()
        let (session, end) = try await TestSupport.runToEnd(runtime, ["main.py": """
            from runtimeBridge import save_placeholder
            save_placeholder('kept', 1)
            refused = []
            for name in ['n' * 1025, 'a\\ud800']:
                try:
                    save_placeholder(name, 2)
                except ValueError as e:
                    refused.append(str(e))
            save_placeholder('refused', refused)
            save_placeholder('n' * 1024, 3)
            save_placeholder('odd', type('T' * 2000, (), {})())
            """])
        #expect(end.status == .finished, "\(String(describing: end.error))")
        #expect(end.placeholders == ["kept", "refused", String(repeating: "n", count: 1024), "odd"])
        let refused = try await session.value("refused")
        #expect(refused.arrayValue?.count == 2)
        #expect(refused[0]?.stringValue?.contains("1025 bytes") == true, "\(refused)")
        #expect(refused[1]?.stringValue?.contains("lone surrogate") == true, "\(refused)")
        #expect(try await session.value("kept") == 1)
        let odd = try await session.readPlaceholder(named: "odd", window: nil)
        #expect(odd.valueType.utf8.count == 1024 && odd.valueType.hasSuffix("[2000 bytes, cut]"), "\(odd.valueType.suffix(40))")
        let announced = await session.allEvents().compactMap { event -> String? in
            guard case .placeholderReady("odd", let valueType) = event.kind else { return nil }
            return valueType
        }
        #expect(announced == [odd.valueType])
        await runtime.shutdown()
    }

    /// Output of one long write arrives whole, in frames the server's header
    /// limit takes.
    @Test func longOutputArrivesInPieces() async throws {
        let runtime = TestSupport.runtime { $0.outputCapBytes = 8 << 20 }
        let (session, end) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import sys
            sys.stdout.write("é" * (1600 << 10))
            sys.stdout.flush()
            """])
        #expect(end.status == .finished, "\(String(describing: end.error))")
        var text = ""
        for event in await session.allEvents() {
            if case .output(_, let piece, _) = event.kind { text += piece }
        }
        #expect(text == String(repeating: "é", count: 1600 << 10))
        await runtime.shutdown()
    }

    /// A warning a program forges is logged with its newlines escaped: it
    /// cannot write a line of its own into the server's log.
    @Test func aForgedWarningCannotForgeALogLine() async throws {
        let logs = LogCapture()
        let runtime = Runtime(configuration: RuntimeConfiguration(warmWorkers: 0), logger: logs.logger())
        _ = try await TestSupport.runToEnd(runtime, ["main.py": Self.channel + """
            frame(json.dumps({'ev': 'warning', 'message': 'x\\ncritical RuntimeServer: FORGED'}).encode())
            """])
        let lines = logs.all.filter { $0.contains("FORGED") }
        #expect(lines.count == 1 && lines.allSatisfy { !$0.contains("\n") && $0.contains("x\\u{a}critical") }, "\(lines)")
        await runtime.shutdown()
    }

    /// Text that JSON escaping lengthens (quotes, control characters: up to
    /// six times) still fits the server's header limit: found in review, a
    /// healthy session was cut off for its own output or exception.
    @Test func escapedTextFitsTheHeaderLimit() async throws {
        let runtime = TestSupport.runtime()
        let (session, end) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import sys
            sys.stdout.write('"' * ((1 << 20) - 1))
            sys.stdout.write(chr(1) * 400000)
            sys.stdout.flush()
            class Model:
                def predict(self, x):
                    raise ValueError(chr(1) * 400000)
            model = Model()
            name = 'a_long_function_name_' + 'x' * 180
            exec(f"def {name}(n):\\n    if n == 0:\\n        raise ValueError(chr(1) * 400000)\\n    {name}(n - 1)\\n")
            sys.setrecursionlimit(5000)
            globals()[name](1200)
            """])
        #expect(end.status == .failed)
        #expect(end.error?.type == "ValueError", "\(String(describing: end.error?.type)): \(String(describing: end.error?.message.prefix(200)))")
        var output = 0
        for event in await session.allEvents() {
            if case .output(_, let text, false) = event.kind { output += text.utf8.count }
        }
        #expect(output == 1 << 20, "the output cap is 1 MiB, all of it kept: \(output)")
        await #expect { try await session.predict(model: "model", input: .inline(JSONFragment([[1.0]]))) } throws: {
            ($0 as? RuntimeError)?.code == .modelError
        }
        #expect(try await session.value("model").stringValue?.contains("Model") == true)
        await runtime.shutdown()
    }
}
