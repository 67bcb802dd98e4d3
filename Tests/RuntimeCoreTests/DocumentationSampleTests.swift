// Not `@testable`: the samples use the public API only.
import Foundation
import Logging
import RuntimeCore
import ServiceLifecycle
import Testing

// The code samples of RuntimeCore's documentation catalog
// (Sources/RuntimeCore/RuntimeCore.docc), copied here as they are written
// there, so that they compile against the real API and the quick ones run.
// A sample changed in an article is changed here too; what is added here
// around a sample (a program to read from, `#expect`s) is marked.

// MARK: CustomEngines.md: the types, as the article declares them

struct DescribeStatsEngine: StatsEngine {
    static let describe = """
        lambda df: {"rowCount": len(df), "columns": [
            {"name": str(name), "kind": "numeric", **{key: float(value) for key, value in summary.items()}}
            for name, summary in df.describe().items()]}
        """

    func statistics(of name: String, in session: any Session) async throws(RuntimeError) -> JSONFragment {
        guard let worker = session.pythonWorker else {
            throw RuntimeError(.invalidRequest, "session \(session.id) has no Python worker")
        }
        do {
            return try await worker.apply(function: Self.describe, to: name)
        } catch let error where error.code == .invalidRequest && ["AttributeError", "TypeError"].contains(error.programError?.type) {
            throw RuntimeError(.notADataset, "'\(name)' is not a DataFrame", programError: error.programError)
        }
    }
}

struct ProbabilityInvoker: ModelInvoker {
    func predict(model name: String, input: ModelInput, method: String?,
                 in session: any Session) async throws(RuntimeError) -> JSONFragment {
        guard let worker = session.pythonWorker else {
            throw RuntimeError(.invalidRequest, "session \(session.id) has no Python worker")
        }
        guard case .inline(let data) = input else {
            throw RuntimeError(.pathNotAllowed, "this server takes inline data only")
        }
        return try await worker.callModel(named: name, data: .inline(data), method: method ?? "predict_proba")
    }
}

final class StaticSession: Session {
    let id: String
    let values: [String: JSONValue]

    init(id: String, values: [String: JSONValue]) {
        self.id = id
        self.values = values
    }

    func snapshot() async -> SessionSnapshot {
        SessionSnapshot(sessionId: id, status: .finished, placeholders: values.keys.sorted())
    }
    func events(after: Int?) async -> AsyncStream<SessionEvent> { AsyncStream { $0.finish() } }
    func waitUntilEnded() async -> SessionSnapshot { await snapshot() }
    func stop() async -> SessionSnapshot { await snapshot() }
    func placeholders() async -> [any Placeholder] {
        values.keys.sorted().map { SessionPlaceholder(session: self, name: $0, valueType: values[$0]?.kindName ?? "") }
    }
    func readPlaceholder(named name: String, window: RowWindow?) async throws(RuntimeError) -> PlaceholderValue {
        guard let value = values[name] else {
            throw RuntimeError(.placeholderNotFound, "No placeholder named '\(name)'")
        }
        return PlaceholderValue(name: name, valueType: value.kindName, value: value)
    }
}


struct MeanStatsEngine: StatsEngine {
    let native = NativeStatsEngine()

    func statistics(of name: String, in session: any Session) async throws(RuntimeError) -> JSONFragment {
        if session.pythonWorker != nil { return try await native.statistics(of: name, in: session) }
        let value = try await session.readPlaceholder(named: name, window: nil).value
        guard let numbers = value.arrayValue?.compactMap(\.doubleValue), !numbers.isEmpty else {
            throw RuntimeError(.notADataset, "'\(name)' is not a list of numbers")
        }
        let count = JSONValue.int(Int64(numbers.count))
        let column: JSONValue = ["name": .string(name), "kind": "numeric", "count": count,
                                 "mean": .double(numbers.reduce(0, +) / Double(numbers.count))]
        return JSONFragment(["rowCount": count, "columns": [column]])
    }
}

// MARK: Samples that name a deployment's paths or signals: compiled, never run

enum CompiledOnlySamples {
    /// GettingStarted.md, "Build the worker" and "Choose the Python environment".
    static func configuration() -> RuntimeConfiguration {
        var configuration = RuntimeConfiguration()
        configuration.worker = WorkerLauncher(executable: "/opt/myapp/bin/runtime-worker")
        configuration.python = PythonEnvironment(executable: "/opt/myapp/venv/bin/python", source: .configured)
        configuration.preloadModules = ["numpy", "pandas"]   // imported into idle workers ahead of time
        return configuration
    }

    /// GettingStarted.md, "Run it as a service" (it installs signal handlers).
    static func service(configuration: RuntimeConfiguration) async throws {
        let logger = Logger(label: "my-app")
        let runtime = Runtime(configuration: configuration, logger: logger)
        let group = ServiceGroup(services: [runtime /* , your services */],
                                 gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}

@Suite(.timeLimit(.minutes(5)))
struct DocumentationSampleTests {
    /// The runtime the samples' `configuration` stands for: no warm workers.
    static let configuration = RuntimeConfiguration(warmWorkers: 0)

    /// RuntimeCore.md, the overview.
    @Test func landingPage() async throws {
        let source = "import runtimeBridge\nruntimeBridge.save_placeholder('answer', 42)\n"  // added
        let runtime = Runtime()
        let program = try Program(files: [SourceFile(filename: "main.py", content: source)], mainFile: "main.py")
        let session = try await runtime.run(program)
        _ = await session.waitUntilEnded()
        let value = try await session.readPlaceholder(named: "answer", window: nil)
        await runtime.shutdown()
        #expect(value.value == 42 && value.valueType == "int")  // added
    }

    /// GettingStarted.md, "Run a program", "Read a placeholder" and "Shut down".
    @Test func runReadAndShutDown() async throws {
        let configuration = Self.configuration
        let runtime = Runtime(configuration: configuration)
        let program = try Program(
            files: [
                SourceFile(filename: "main.py", content: """
                    import runtimeBridge
                    from shapes import squares
                    runtimeBridge.save_placeholder("squares", squares(5))
                    print("saved", len(squares(5)), "squares")
                    """),
                SourceFile(filename: "shapes.py", content: """
                    def squares(n):
                        return [i * i for i in range(n)]
                    """),
            ],
            mainFile: "main.py")
        let session = try await runtime.run(program)
        let snapshot = await session.waitUntilEnded()
        switch snapshot.status {
        case .finished: print("finished in \(snapshot.durationMs ?? 0) ms, saved \(snapshot.placeholders)")
        case .failed: print(snapshot.error?.text ?? "failed")   // the Python traceback
        default: print(snapshot.status)
        }
        #expect(snapshot.status == .finished && snapshot.placeholders == ["squares"])  // added

        var seen: [SessionEvent.Kind] = []  // added
        for await event in await session.events(after: 0) {
            seen.append(event.kind)  // added
            switch event.kind {
            case .output(_, let text, _): print(text, terminator: "")
            case .placeholderReady(let name, let valueType): print("saved \(name): \(valueType)")
            case .failed(let error): print(error.text)
            default: break
            }
        }
        #expect(seen.first == .started && seen.contains(.placeholderReady(name: "squares", valueType: "list")))  // added
        #expect(seen.contains(.output(stream: .stdout, text: "saved 5 squares\n", truncated: false)))  // added

        let squares = try await session.readPlaceholder(named: "squares", window: nil)
        print(squares.valueType)      // list
        print(squares.value)          // [0,1,4,9,16]
        print(squares.rowCount ?? 0)  // 5
        #expect(squares.valueType == "list" && squares.value == [0, 1, 4, 9, 16] && squares.rowCount == 5)  // added
        #expect(squares.encodedValue.description == "[0,1,4,9,16]")  // added

        let page = try await session.readPlaceholder(named: "squares", window: RowWindow(begin: 1, size: 2))
        print(page.value, page.window?.max ?? 0)   // [1,4] 5
        #expect(page.value == [1, 4] && page.window?.max == 5)  // added

        var caught: RuntimeError?  // added
        do {
            _ = try await session.readPlaceholder(named: "cubes", window: nil)
        } catch {
            print(error.code, error.message)   // PLACEHOLDER_NOT_FOUND No placeholder or global named 'cubes'
            caught = error  // added
        }
        #expect(caught?.code == .placeholderNotFound)  // added

        _ = await session.stop()
        try await runtime.deleteSession(id: session.id)
        await runtime.shutdown()
        #expect(throws: RuntimeError.self) { try runtime.session(id: session.id) }  // added
    }

    /// GettingStarted.md, "Call a model, summarise a dataset".
    @Test func modelsAndStatistics() async throws {
        let runtime = Runtime(configuration: Self.configuration)  // added
        let fitted = try await runtime.run(Program(
            files: [SourceFile(filename: "main.py", content: """
                import pandas as pd, runtimeBridge
                from sklearn.linear_model import LinearRegression
                table = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "y": [1.0, 3.0, 5.0, 7.0]})
                runtimeBridge.save_placeholder("table", table)
                runtimeBridge.save_placeholder("model", LinearRegression().fit(table[["x"]], table["y"]))
                table[["x"]].to_csv("new.csv", index=False)
                """)],
            mainFile: "main.py"))
        let end = await fitted.waitUntilEnded()
        if end.status != .finished { print(end.error?.text ?? "the run did not finish") }  // e.g. ModuleNotFoundError: pandas

        let one = try await fitted.predict(model: "model", input: .inline(["x": 4.0]))     // [9.0]
        let two = try await fitted.predict(model: "model", input: .inline([[4.0], [5.0]])) // [9.0, 11.0]
        let all = try await fitted.predict(model: "model", input: .file("new.csv"))        // [1.0, 3.0, 5.0, 7.0]
        #expect(try Self.numbers(one) ≈ [9], "\(one)")  // added
        #expect(try Self.numbers(two) ≈ [9, 11], "\(two)")  // added
        #expect(try Self.numbers(all) ≈ [1, 3, 5, 7], "\(all)")  // added

        let stats = try await fitted.statistics(of: "table").decoded()
        print(stats["rowCount"] ?? .null)   // 4
        for column in stats["columns"]?.arrayValue ?? [] {
            print(column["name"] ?? .null, column["mean"] ?? .null)   // "x" 1.5, then "y" 4.0
        }
        #expect(stats["rowCount"] == 4)  // added
        #expect(stats["columns"]?.arrayValue?.map { "\($0["name"] ?? .null) \($0["mean"] ?? .null)" } == ["\"x\" 1.5", "\"y\" 4.0"])  // added
        await runtime.shutdown()  // added
    }

    /// GettingStarted.md, "Run it as a service", with the group's shutdown
    /// triggered here rather than by a signal.
    @Test func runtimeAsAService() async throws {
        let configuration = RuntimeConfiguration(warmWorkers: 1)
        let logger = Logger(label: "my-app")
        let runtime = Runtime(configuration: configuration, logger: logger)
        let group = ServiceGroup(services: [runtime], gracefulShutdownSignals: [], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let session = try await runtime.run(Program(files: [SourceFile(filename: "main.py", content: "print(1)\n")], mainFile: "main.py"))
            #expect(await session.waitUntilEnded().status == .finished)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        // Shut down by the group: it takes no more runs.
        await #expect(throws: RuntimeError.self) {
            try await runtime.run(Program(files: [SourceFile(filename: "main.py", content: "")], mainFile: "main.py"))
        }
    }

    /// CustomEngines.md: the engines on a real session, configured as the
    /// article configures them, and a session of your own adopted.
    @Test func customEngines() async throws {
        let configuration = RuntimeConfiguration(modelInvoker: ProbabilityInvoker(), statsEngine: DescribeStatsEngine())
        let runtime = Runtime(configuration: configuration)
        // added: a program saving the values the article's samples read.
        let session = try await runtime.run(Program(
            files: [SourceFile(filename: "main.py", content: """
                import pandas as pd, runtimeBridge
                from sklearn.linear_model import LogisticRegression
                table = pd.DataFrame({"x": [1, 2, 3, 4], "label": ["a", "b", "a", "b"]})
                runtimeBridge.save_placeholder("table", table)
                runtimeBridge.save_placeholder("classifier", LogisticRegression().fit([[0.0, 0.0], [1.0, 2.0], [2.0, 3.0], [3.0, 3.5]], [0, 0, 1, 1]))
                runtimeBridge.save_placeholder("numbers", [1, 2, 3])
                """)],
            mainFile: "main.py"))
        #expect(await session.waitUntilEnded().status == .finished)

        let summary = try await session.statistics(of: "table", using: runtime.configuration.statsEngine)
        let probabilities = try await session.predict(model: "classifier", input: .inline([[0.5, 1.5]]),
                                                      using: runtime.configuration.modelInvoker)

        // added: what the article says they return.
        let described = try summary.decoded()
        #expect(described["rowCount"] == 4 && described["columns"]?.arrayValue?.count == 1)
        let x = try #require(described["columns"]?[0])
        #expect(x["name"] == "x" && x["count"] == 4.0 && x["mean"] == 2.5 && x["25%"] == 1.75 && x["max"] == 4.0)
        let rows = try #require(try probabilities.decoded().arrayValue)
        #expect(rows.count == 1 && rows[0].arrayValue?.count == 2)
        #expect(abs((rows[0][0]?.doubleValue ?? 0) + (rows[0][1]?.doubleValue ?? 0) - 1) < 1e-9)
        await #expect { try await session.statistics(of: "numbers", using: DescribeStatsEngine()) } throws: {
            ($0 as? RuntimeError)?.code == .notADataset
        }
        await #expect { try await session.statistics(of: "classifier", using: DescribeStatsEngine()) } throws: {
            ($0 as? RuntimeError)?.code == .notADataset
        }
        await #expect { try await session.predict(model: "classifier", input: .file("x.csv"), using: ProbabilityInvoker()) } throws: {
            ($0 as? RuntimeError)?.code == .pathNotAllowed
        }

        try await runtime.adopt(StaticSession(id: "fixtures", values: ["answer": 42, "primes": [2, 3, 5, 7]]))

        // added: the adopted session, found like the runtime's own.
        // Found again by its id (`session(id:)` throws `SESSION_NOT_FOUND`
        // for an id it does not know; it returns no optional).
        let fixtures = try runtime.session(id: "fixtures")
        let answer = try await fixtures.readPlaceholder(named: "answer", window: nil).value   // 42
        #expect(answer == 42)
        #expect(await fixtures.snapshot().placeholders == ["answer", "primes"])
        #expect(try await fixtures.placeholders().last?.read(window: nil).value == [2, 3, 5, 7])
        let mean = try await fixtures.statistics(of: "primes", using: MeanStatsEngine()).decoded()
        #expect(mean["rowCount"] == 4 && mean["columns"]?[0]?["mean"] == 4.25)
        await #expect { try await fixtures.statistics(of: "answer", using: MeanStatsEngine()) } throws: {
            ($0 as? RuntimeError)?.code == .notADataset
        }
        await #expect { try await fixtures.statistics(of: "primes") } throws: {
            ($0 as? RuntimeError)?.code == .invalidRequest
        }
        let native = try await session.statistics(of: "table", using: MeanStatsEngine()).decoded()
        #expect(native["columns"]?.arrayValue?.count == 2)  // the worker's session goes to the native engine
        await runtime.shutdown()
    }

    /// Every line of every Swift sample in the catalog's articles and in
    /// RuntimeCore's `///` comments is in this file (white space around it
    /// aside), so a sample edited there and not here fails.
    @Test func everySampleIsCopiedHere() throws {
        let here = Set(try String(contentsOfFile: "Tests/RuntimeCoreTests/DocumentationSampleTests.swift", encoding: .utf8)
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        let catalog = "Sources/RuntimeCore/RuntimeCore.docc"
        let articles = try FileManager.default.contentsOfDirectory(atPath: catalog).filter { $0.hasSuffix(".md") }
        let sources = try #require(FileManager.default.enumerator(atPath: "Sources/RuntimeCore")).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") }
        var samples = 0, missing: [String] = []
        for path in articles.map({ "\(catalog)/\($0)" }) + sources.map({ "Sources/RuntimeCore/\($0)" }) {
            var block: [String]?
            for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false) {
                var text = line.trimmingCharacters(in: .whitespaces)
                if path.hasSuffix(".swift") {
                    guard text.hasPrefix("///") else { continue }
                    text = String(text.dropFirst(3)).trimmingCharacters(in: .whitespaces)
                }
                if block == nil, text == "```swift" {
                    block = []
                } else if let lines = block, text == "```" {
                    block = nil
                    guard lines.first != "// Package.swift" else { continue }  // a manifest: not this API
                    samples += 1
                    missing += lines.filter { !$0.isEmpty && !here.contains($0) }.map { "\(path): \($0)" }
                } else if block != nil {
                    block?.append(text)
                }
            }
        }
        #expect(samples >= 15, "the samples were not found")
        #expect(missing.isEmpty, "samples not copied into DocumentationSampleTests.swift:\n\(missing.joined(separator: "\n"))")
    }

    /// The numbers of a JSON list.
    static func numbers(_ fragment: JSONFragment) throws -> [Double] {
        try fragment.decoded().arrayValue?.compactMap(\.doubleValue) ?? []
    }
}

infix operator ≈: ComparisonPrecedence

/// Equal to within 1e-9 each (a fitted line is computed, not exact).
private func ≈ (lhs: [Double], rhs: [Double]) -> Bool {
    lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { abs($0 - $1) < 1e-9 }
}
