import Foundation
import RuntimeTestSupport
import Testing
@testable import RuntimeCore

/// run_model through the real worker on scikit-learn models trained in the program.
@Suite(.timeLimit(.minutes(3)))
struct ModelInvokerTests {
    static let program = """
    import numpy as np, pandas as pd, runtimeBridge as rb
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    y = (X[:, 0] + 2 * X[:, 1] > 0).astype(int)
    logistic = LogisticRegression().fit(X, y)
    rb.save_placeholder("logistic", logistic)
    frame = pd.DataFrame({"speed": rng.uniform(0, 100, 300), "slope": rng.normal(0, 5, 300)})
    labels = (frame.speed - 4 * frame.slope > 50).astype(int)
    tree = DecisionTreeClassifier(max_depth=4, random_state=0).fit(frame, labels)
    rb.save_placeholder("tree", tree)
    rb.save_placeholder("double", lambda data: np.asarray(data, dtype=float).sum(axis=1) * 2)
    class Broken:
        def predict(self, data):
            raise ValueError("cannot predict today")
    rb.save_placeholder("broken", Broken())
    rb.save_placeholder("kinds", lambda data: [[type(v).__name__ for v in row] for row in data])
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder
    from sklearn.linear_model import LinearRegression
    mixed = pd.DataFrame({"n": [1.0, 2.0, 3.0, 4.0], "c": ["a", "b", "a", "b"]})
    # The numbers are one-hot encoded too: given as text ("2.5"), they would be unknown categories.
    pipeline = make_pipeline(make_column_transformer((OneHotEncoder(), ["c", "n"])), LinearRegression())
    pipeline.fit(mixed, [1.0, 5.0, 3.0, 7.0])
    rb.save_placeholder("pipeline", pipeline)
    rb.save_placeholder("expected_pipeline", pipeline.predict(pd.DataFrame({"n": [2.0], "c": ["b"]})).tolist())
    class Dtypes:
        feature_names_in_ = np.array(["n", "c"], dtype=object)
        def predict(self, data):
            return [str(data[column].dtype) for column in data.columns]
    rb.save_placeholder("dtypes", Dtypes())
    rb.save_placeholder("not_a_model", [1, 2, 3])
    # What the models say, computed directly, for the test to compare.
    rb.save_placeholder("expected_logistic", logistic.predict(np.array([[1.0, 2.0], [-3.0, -1.0]])).tolist())
    rb.save_placeholder("expected_proba", logistic.predict_proba(np.array([[1.0, 2.0]])).tolist())
    rb.save_placeholder("expected_tree", tree.predict(pd.DataFrame({"speed": [90.0, 10.0], "slope": [1.0, 2.0]})).tolist())
    pd.DataFrame({"slope": [1.0, 2.0], "speed": [90.0, 10.0]}).to_csv("rows.csv", index=False)
    np.save("rows.npy", np.array([[1.0, 2.0], [-3.0, -1.0]]))
    import json
    json.dump({"dataframe_records": [{"speed": 90.0, "slope": 1.0}, {"speed": 10.0, "slope": 2.0}]}, open("rows.json", "w"))
    """

    private func withSession(allowed: [URL] = [], _ body: (any Session, PythonModelInvoker) async throws -> Void) async throws {
        // The runtime is told the allowed folders too: a session's sandbox
        // opens them (read-only) when its run starts.
        let invoker = PythonModelInvoker(allowedDataFolders: allowed)
        let runtime = TestSupport.runtime { $0.modelInvoker = invoker }
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": Self.program])
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error?.text))")
        try await body(session, invoker)
        await runtime.shutdown()
    }

    @Test func everyInlineShape() async throws {
        try await withSession { session, invoker in
            func predict(_ name: String, _ data: JSONValue, method: String? = nil) async throws -> JSONValue {
                try await invoker.predict(model: name, input: .inline(JSONFragment(data)), method: method, in: session).decoded()
            }
            let expected = try await session.value("expected_logistic")
            let first = try #require(expected[0])
            #expect(try await predict("logistic", [1.0, 2.0]) == [first])
            #expect(try await predict("logistic", [[1.0, 2.0], [-3.0, -1.0]]) == expected)
            #expect(try await predict("logistic", ["instances": [[1.0, 2.0], [-3.0, -1.0]]]) == expected)
            #expect(try await predict("logistic", ["inputs": [[1.0, 2.0], [-3.0, -1.0]]]) == expected)
            #expect(try await predict("logistic", [1.0, 2.0], method: "predict_proba") == (try await session.value("expected_proba")))

            let tree = try await session.value("expected_tree")
            // Objects follow the model's feature_names_in_, whatever order they come in.
            #expect(try await predict("tree", ["slope": 1.0, "speed": 90.0]) == [try #require(tree[0])])
            #expect(try await predict("tree", [["slope": 1.0, "speed": 90.0], ["speed": 10.0, "slope": 2.0]]) == tree)
            #expect(try await predict("tree", ["dataframe_records": [["slope": 1.0, "speed": 90.0], ["speed": 10.0, "slope": 2.0]]]) == tree)
            #expect(try await predict("tree", ["dataframe_split": ["columns": ["slope", "speed"], "data": [[1.0, 90.0], [2.0, 10.0]]]]) == tree)
            // Arrays for a model with named features become a DataFrame with those names.
            #expect(try await predict("tree", [[90.0, 1.0], [10.0, 2.0]]) == tree)

            // A plain callable receives the converted input.
            #expect(try await predict("double", [[1, 2], [3, 4]]) == [6.0, 14.0])
            #expect(try await predict("double", [1, 2, 3]) == [12.0])
            #expect(try await predict("double", [1, 2, 3], method: "__call__") == [12.0])
            // Numbers beside strings stay numbers (numpy's common type would be text).
            #expect(try await predict("kinds", [[1.5, "a"], [2, "b"]]) == [["float", "str"], ["int", "str"]])
            #expect(try await predict("kinds", [["x", "y"]]) == [["str_", "str_"]])
            #expect(try await predict("pipeline", [2.0, "b"]) == (try await session.value("expected_pipeline")))
            #expect(try await predict("dtypes", [[1, "a"], [2, "b"]]) == ["int64", "str"])
            #expect(try await predict("dtypes", [[1.5, "a"]]) == ["float64", "str"])

            // A method name with an underscore reaches nothing private or
            // special (found by this session's adversarial tester: a read
            // could call __reduce_ex__ or __class__).
            for method in ["__class__", "__reduce_ex__", "_private"] {
                await #expect { try await predict("logistic", [1.0, 2.0], method: method) } throws: {
                    ($0 as? RuntimeError)?.code == .notAModel && ($0 as? RuntimeError)?.message.contains("not a public method") == true
                }
            }
        }
    }

    /// Records must each name every feature: a missing one is never filled
    /// in with NaN, which a model that takes NaN would predict on silently.
    @Test func recordsLackingAFeatureAreRefused() async throws {
        let runtime = TestSupport.runtime()
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": """
            import numpy as np, pandas as pd, runtimeBridge as rb
            from sklearn.ensemble import HistGradientBoostingRegressor
            from sklearn.linear_model import LinearRegression
            rng = np.random.default_rng(0)
            X = pd.DataFrame({"a": rng.random(200), "b": rng.random(200)})
            rb.save_placeholder("named", HistGradientBoostingRegressor(max_iter=10).fit(X, X.a + 10 * X.b))
            rb.save_placeholder("unnamed", lambda data: [len(data.columns)] * len(data))
            """])
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error?.text))")
        let invoker = PythonModelInvoker()
        let lacking: [JSONValue] = [
            [["a": 0.5, "b": 0.9], ["a": 0.5]],
            ["dataframe_records": [["a": 0.5, "b": 0.9], ["a": 0.5]]],
            ["instances": [["a": 0.5], ["a": 0.5, "b": 0.9]]],
        ]
        for data in lacking {
            await #expect { try await invoker.predict(model: "named", input: .inline(JSONFragment(data)), method: nil, in: session) } throws: {
                ($0 as? RuntimeError)?.code == .invalidRequest && ($0 as? RuntimeError)?.message.contains("lacks the model's features: b") == true
            }
        }
        // Extra keys are dropped; whole records are predicted.
        #expect(try await invoker.predict(model: "named", input: .inline([["b": 0.9, "a": 0.5, "c": 1]]), method: nil, in: session)
                    .decoded().arrayValue?.count == 1)
        // Without feature names, records must agree on their keys.
        await #expect { try await invoker.predict(model: "unnamed", input: .inline([["x": 1, "y": 2], ["x": 1]]), method: nil, in: session) } throws: {
            ($0 as? RuntimeError)?.code == .invalidRequest && ($0 as? RuntimeError)?.message.contains("ragged") == true
        }
        #expect(try await invoker.predict(model: "unnamed", input: .inline([["x": 1, "y": 2], ["y": 3, "x": 4]]), method: nil, in: session)
                    .decoded() == [2, 2])
        await runtime.shutdown()
    }

    @Test func dataFilesInTheSessionFolder() async throws {
        try await withSession { session, invoker in
            let tree = try await session.value("expected_tree")
            #expect(try await invoker.predict(model: "tree", input: .file("rows.csv"), method: nil, in: session).decoded() == tree)
            #expect(try await invoker.predict(model: "tree", input: .file("rows.json"), method: nil, in: session).decoded() == tree)
            #expect(try await invoker.predict(model: "logistic", input: .file("rows.npy"), method: nil, in: session).decoded()
                    == (try await session.value("expected_logistic")))
            await #expect { try await invoker.predict(model: "tree", input: .file("missing.csv"), method: nil, in: session) } throws: {
                ($0 as? RuntimeError)?.code == .invalidRequest && ($0 as? RuntimeError)?.message.contains("no file") == true
            }
        }
    }

    @Test func allowedFolderAndRefusedPaths() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("models-\(UUID().uuidString)")
        let allowed = root.appendingPathComponent("allowed"), outside = root.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: allowed, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let csv = "speed,slope\n90.0,1.0\n10.0,2.0\n"
        try csv.write(to: allowed.appendingPathComponent("rows.csv"), atomically: true, encoding: .utf8)
        try csv.write(to: outside.appendingPathComponent("secret.csv"), atomically: true, encoding: .utf8)
        try await withSession(allowed: [allowed]) { session, invoker in
            let tree = try await session.value("expected_tree")
            #expect(try await invoker.predict(model: "tree", input: .file(allowed.appendingPathComponent("rows.csv").path),
                                              method: nil, in: session).decoded() == tree)
            let folder = try #require((session as? WorkerSession)?.directory)
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("link.csv"),
                                                       withDestinationURL: outside.appendingPathComponent("secret.csv"))
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("linked-folder"), withDestinationURL: outside)
            let refused = [
                outside.appendingPathComponent("secret.csv").path,   // absolute, outside
                "../outside.csv", "../../etc/passwd", "/etc/passwd",  // climbing out
                "link.csv", "linked-folder/secret.csv",               // symlinks leading out
                allowed.path + "/../outside/secret.csv",              // through an allowed folder and back out
                "nope\u{0}.csv",
            ]
            for path in refused {
                await #expect { try await invoker.predict(model: "tree", input: .file(path), method: nil, in: session) } throws: {
                    ($0 as? RuntimeError)?.code == .pathNotAllowed
                }
            }
            // The session's folder and an allowed folder are inside, but folders, not files.
            for path in [".", allowed.path, allowed.path + "/"] {
                await #expect { try await invoker.predict(model: "tree", input: .file(path), method: nil, in: session) } throws: {
                    ($0 as? RuntimeError)?.code == .invalidRequest && ($0 as? RuntimeError)?.message.contains("is a folder") == true
                }
            }
        }
    }

    @Test func errorsLeaveTheSessionUsable() async throws {
        try await withSession { session, invoker in
            await #expect { try await invoker.predict(model: "broken", input: .inline([1, 2]), method: nil, in: session) } throws: { error in
                let error = error as? RuntimeError
                return error?.code == .modelError && error?.programError?.type == "ValueError"
                    && error?.programError?.message == "cannot predict today"
                    && error?.programError?.traceback.last?.function == "predict"
            }
            await #expect { try await invoker.predict(model: "not_a_model", input: .inline([1]), method: nil, in: session) } throws: {
                ($0 as? RuntimeError)?.code == .notAModel
            }
            await #expect { try await invoker.predict(model: "logistic", input: .inline([1]), method: "no_such_method", in: session) } throws: {
                ($0 as? RuntimeError)?.code == .notAModel
            }
            await #expect { try await invoker.predict(model: "tree", input: .inline(["speed": 1]), method: nil, in: session) } throws: {
                ($0 as? RuntimeError)?.code == .invalidRequest && ($0 as? RuntimeError)?.message.contains("slope") == true
            }
            await #expect { try await invoker.predict(model: "logistic", input: .inline([]), method: nil, in: session) } throws: {
                ($0 as? RuntimeError)?.code == .invalidRequest
            }
            await #expect { try await invoker.predict(model: "missing", input: .inline([1]), method: nil, in: session) } throws: {
                ($0 as? RuntimeError)?.code == .placeholderNotFound
            }
            // No instance, or instances without features, in any shape: the
            // caller's mistake, answered before the model sees it.
            let empty: [(JSONValue, String)] = [
                (["dataframe_split": ["columns": ["speed", "slope"], "data": []]], "no instance"),
                (["dataframe_split": ["columns": ["speed", "slope"]]], "no instance"),
                (["inputs": ["speed": [], "slope": []]], "no instance"),
                (["inputs": [:]], "lacks the model's features"),
                ([:], "lacks the model's features: speed, slope"),  // how the demo page learns a model's features
                (["dataframe_split": ["columns": ["speed", "slope"], "data": [[1.0, 2.0], [3.0]]]], "one value per column"),
                (["dataframe_records": []], "no instance"),
                (["instances": []], "no instance"),
                ([[]], "no feature"),
            ]
            for (data, reason) in empty {
                let model = reason == "no feature" ? "logistic" : "tree"
                await #expect { try await invoker.predict(model: model, input: .inline(JSONFragment(data)), method: nil, in: session) } throws: {
                    ($0 as? RuntimeError)?.code == .invalidRequest && ($0 as? RuntimeError)?.message.contains(reason) == true
                }
            }
            // Still serving.
            let again = try await invoker.predict(model: "logistic", input: .inline([1.0, 2.0]), method: nil, in: session)
            #expect(try again.decoded().arrayValue?.count == 1)
        }
    }

    @Test func sessionsServeModelCallsInParallel() async throws {
        let runtime = TestSupport.runtime()
        // Each model waits at a barrier that opens once both calls are in:
        // only parallel calls finish. (Sessions share no folder to meet in.)
        let barrier = try LoopbackListener()
        defer { barrier.close() }
        let released = Task { await barrier.releaseInBackground(after: 2) }
        func program(_ me: String, _ other: String) -> String {
            """
            import socket, runtimeBridge
            class Waiting:
                def predict(self, rows):
                    link = socket.create_connection(("127.0.0.1", \(barrier.port)), timeout=60)
                    if link.recv(1) != b"g":
                        raise TimeoutError("the other call never started")
                    return [len(rows)]
            runtimeBridge.save_placeholder("model", Waiting())
            """
        }
        let (a, _) = try await TestSupport.runToEnd(runtime, ["main.py": program("a", "b")])
        let (b, _) = try await TestSupport.runToEnd(runtime, ["main.py": program("b", "a")])
        let invoker = PythonModelInvoker()
        async let first = invoker.predict(model: "model", input: .inline([[1, 2]]), method: nil, in: a)
        async let second = invoker.predict(model: "model", input: .inline([[1, 2]]), method: nil, in: b)
        #expect(try await first == [1])
        #expect(try await second == [1])
        #expect(await released.value)
        await runtime.shutdown()
    }
}
