import Testing
@testable import RuntimeCore

@Suite(.timeLimit(.minutes(2)))
struct ErrorTests {
    @Test func exceptionInMain() async throws {
        let runtime = TestSupport.runtime()
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["gen_hello.py": """
            from runtimeBridge import save_placeholder
            save_placeholder("before", 1)
            def main():
                raise ValueError("boom")
            main()
            """])
        #expect(snapshot.status == .failed)
        let error = try #require(snapshot.error)
        #expect(error.type == "ValueError")
        #expect(error.message == "boom")
        #expect(error.traceback == [
            .init(file: "gen_hello.py", line: 5, function: "<module>"),
            .init(file: "gen_hello.py", line: 4, function: "main"),
        ])
        #expect(error.text.contains("File \"gen_hello.py\", line 4, in main"))
        #expect(!error.text.contains("/"), "paths of the working folder leak: \(error.text)")
        #expect(try await session.value("before") == 1)
        let events = await session.allEvents()
        #expect(events.last?.kind == .failed(error))
        // A name the failed run never saved: "not found" says why the run ended.
        await #expect { try await session.readPlaceholder(named: "after", window: nil) } throws: {
            let error = $0 as? RuntimeError
            return error?.code == .placeholderNotFound
                && error?.message == "No placeholder or global named 'after' (the run failed: ValueError: boom)"
        }
        await #expect { try await session.predict(model: "model", input: .inline([1])) } throws: {
            ($0 as? RuntimeError)?.message.hasSuffix("(the run failed: ValueError: boom)") == true
        }
        await runtime.shutdown()
    }

    /// An exception whose `str()` raises is still the one reported, with its
    /// frames, as Python's own traceback prints it.
    @Test func exceptionWhoseStrRaises() async throws {
        let runtime = TestSupport.runtime()
        let (_, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": """
            class Odd(Exception):
                def __str__(self):
                    raise RuntimeError("str failed")
            def main():
                raise Odd()
            main()
            """])
        #expect(snapshot.status == .failed)
        let error = try #require(snapshot.error)
        #expect(error.type == "Odd")
        #expect(error.message == "<exception str() failed>")
        #expect(error.traceback.last == .init(file: "main.py", line: 5, function: "main"))
        #expect(error.text.contains("Odd: <exception str() failed>"))
        await runtime.shutdown()
    }

    @Test func exceptionInAnImportedFile() async throws {
        let runtime = TestSupport.runtime()
        let (_, snapshot) = try await TestSupport.runToEnd(runtime, [
            "main.py": "import helper\nhelper.divide(1, 0)\n",
            "helper.py": "def divide(a, b):\n    return a / b\n",
        ])
        let error = try #require(snapshot.error)
        #expect(error.type == "ZeroDivisionError")
        #expect(error.traceback.map(\.file) == ["main.py", "helper.py"])
        #expect(error.traceback.last == .init(file: "helper.py", line: 2, function: "divide"))
        await runtime.shutdown()
    }

    @Test func syntaxError() async throws {
        let runtime = TestSupport.runtime()
        let (_, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": "x = 1\ndef broken(:\n    pass\n"])
        let error = try #require(snapshot.error)
        #expect(error.type == "SyntaxError")
        #expect(error.traceback.last?.file == "main.py")
        #expect(error.traceback.last?.line == 2)
        #expect(!error.message.contains("/"))
        await runtime.shutdown()
    }

    @Test func syntaxErrorInAnImportedFile() async throws {
        let runtime = TestSupport.runtime()
        let (_, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": "import bad\n", "bad.py": "if True\n"])
        let error = try #require(snapshot.error)
        #expect(error.type == "SyntaxError")
        #expect(error.traceback.first == .init(file: "main.py", line: 1, function: "<module>"))
        #expect(error.traceback.last?.file == "bad.py")
        await runtime.shutdown()
    }
}
