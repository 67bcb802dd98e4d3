import Foundation
import RuntimeCore
import RuntimeTestSupport
import Testing

/// `PythonWorkerAccess` on a real session (what engines of your own build
/// on), and the convenience APIs `Session.statistics`/`predict` and
/// `Placeholder.statistics`/`predict`.
@Suite(.timeLimit(.minutes(3)))
struct PythonWorkerAccessTests {
    static let program = """
    import pandas as pd, runtimeBridge as rb
    from sklearn.linear_model import LinearRegression
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [2.0, 4.0, 6.0, 8.0]})
    rb.save_placeholder("df", df)
    rb.save_placeholder("model", LinearRegression().fit(df[["x"]], df["y"]))
    df[["x"]].to_csv("rows.csv", index=False)
    """

    private func withSession(_ body: (any Session) async throws -> Void) async throws {
        let runtime = TestSupport.runtime()
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": Self.program])
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error?.text))")
        try await body(session)
        await runtime.shutdown()
    }

    @Test func applyCallsALambdaOnTheValue() async throws {
        try await withSession { session in
            let worker = try #require(session.pythonWorker)
            #expect(try await worker.apply(function: "lambda df: df.shape[0]", to: "df").decoded() == 4)
            #expect(try await worker.apply(function: "lambda df: df['y'].tolist()", to: "df").decoded() == [2.0, 4.0, 6.0, 8.0])
            // What it returns is encoded by the placeholder rules: a DataFrame as columns, index and data.
            let means = try await worker.apply(function: "lambda df: df.describe().loc[['mean']]", to: "df").decoded()
            #expect(means == ["columns": ["x", "y"], "index": ["mean"], "data": [[2.5, 5.0]]])

            let raised = await #expect(throws: RuntimeError.self) {
                try await worker.apply(function: "lambda df: df.shape[0] / 0", to: "df")
            }
            #expect(raised?.code == .invalidRequest)
            #expect(raised?.message == "the function raised ZeroDivisionError: division by zero")
            #expect(raised?.programError?.type == "ZeroDivisionError" && raised?.programError?.message == "division by zero")
            #expect(raised?.programError?.traceback.last?.function == "<lambda>", "\(String(describing: raised?.programError))")
            #expect(raised?.programError?.text.contains("ZeroDivisionError: division by zero") == true)

            let notCallable = await #expect(throws: RuntimeError.self) { try await worker.apply(function: "42", to: "df") }
            #expect(notCallable?.code == .invalidRequest && notCallable?.programError?.type == "TypeError")
            let syntax = await #expect(throws: RuntimeError.self) { try await worker.apply(function: "lambda df:", to: "df") }
            #expect(syntax?.code == .invalidRequest && syntax?.programError?.type == "SyntaxError")
            let missing = await #expect(throws: RuntimeError.self) { try await worker.apply(function: "lambda v: v", to: "nothing") }
            #expect(missing?.code == .placeholderNotFound)

            // The session serves on after the errors.
            #expect(try await worker.apply(function: "lambda df: list(df.columns)", to: "df").decoded() == ["x", "y"])
        }
    }

    /// A statistics engine of one's own, built on `apply`.
    struct MeansEngine: StatsEngine {
        func statistics(of name: String, in session: any Session) async throws(RuntimeError) -> JSONFragment {
            guard let worker = session.pythonWorker else { throw RuntimeError(.notADataset, "no Python worker") }
            return try await worker.apply(function: """
                lambda df: {"rowCount": len(df), "columns": [{"name": str(c), "kind": "numeric", "mean": float(df[c].mean())} for c in df.columns]}
                """, to: name)
        }
    }

    @Test func statisticsAndPredictionsThroughTheSessionAndItsPlaceholders() async throws {
        try await withSession { session in
            let native = try await session.statistics(of: "df").decoded()
            #expect(native["rowCount"] == 4 && native["columns"]?[1]?["mean"] == 5.0)
            #expect(try await session.pythonWorker?.nativeStatistics(of: "df").decoded() == native)
            let own = try await session.statistics(of: "df", using: MeansEngine()).decoded()
            #expect(own == ["rowCount": 4, "columns": [["name": "x", "kind": "numeric", "mean": 2.5],
                                                       ["name": "y", "kind": "numeric", "mean": 5.0]]])
            let notDataset = await #expect(throws: RuntimeError.self) { try await session.statistics(of: "model") }
            #expect(notDataset?.code == .notADataset)

            let one = try await session.predict(model: "model", input: .inline(["x": 5.0])).decoded()
            #expect(abs((one[0]?.doubleValue ?? 0) - 10) < 1e-9 && one.arrayValue?.count == 1)
            let fromFile = try await session.predict(model: "model", input: .file("rows.csv")).decoded()
            #expect(fromFile.arrayValue?.compactMap(\.doubleValue).map { ($0 * 1e6).rounded() / 1e6 } == [2, 4, 6, 8])
            let direct = try await session.pythonWorker?.callModel(named: "model", data: .inline([[1.0], [2.0]]), method: nil).decoded()
            #expect(direct?.arrayValue?.compactMap(\.doubleValue).map { ($0 * 1e6).rounded() / 1e6 } == [2, 4])
            let notModel = await #expect(throws: RuntimeError.self) { try await session.predict(model: "df", input: .inline([1])) }
            #expect(notModel?.code == .notAModel)

            let placeholders = await session.placeholders()
            #expect(placeholders.map(\.name) == ["df", "model"])
            #expect(placeholders.map(\.valueType) == ["DataFrame", "LinearRegression"])
            #expect(try await placeholders[0].statistics().decoded() == native)
            #expect(try await placeholders[0].statistics(using: MeansEngine()).decoded() == own)
            #expect(try await placeholders[0].read(window: RowWindow(begin: 3, size: 5)).rowCount == 4)
            let predicted = try await placeholders[1].predict(.inline([[3.0]])).decoded()
            #expect(abs((predicted[0]?.doubleValue ?? 0) - 6) < 1e-9)
        }
    }
}
