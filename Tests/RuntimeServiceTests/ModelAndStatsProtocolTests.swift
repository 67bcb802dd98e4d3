import Foundation
import RuntimeClient
import RuntimeCore
import RuntimeTestSupport
import Testing

/// run_model and get_stats over the wire: reply shapes and errors.
@Suite(.timeLimit(.minutes(2)))
struct ModelAndStatsProtocolTests {
    static let program = """
    import pandas as pd, runtimeBridge as rb
    from sklearn.linear_model import LinearRegression
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [2.0, 4.0, 6.0, 8.0], "label": ["a", "b", "a", "a"]})
    rb.save_placeholder("df", df)
    model = LinearRegression().fit(df[["x"]], df["y"])
    rb.save_placeholder("model", model)
    class Broken:
        def predict(self, rows):
            raise RuntimeError("model exploded")
    rb.save_placeholder("broken", Broken())
    df.to_csv("data.csv", index=False)
    """

    @Test func modelResultsAndErrors() async throws {
        let dataFolder = FileManager.default.temporaryDirectory.appendingPathComponent("data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dataFolder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dataFolder) }
        try "x\n10\n".write(to: dataFolder.appendingPathComponent("more.csv"), atomically: true, encoding: .utf8)
        let server = try await TestServer.start {
            $0.runtime.modelInvoker = PythonModelInvoker(allowedDataFolders: [dataFolder])
        }
        let client = try await server.connect()
        let id = try #require(try await client.run(["main.py": Self.program])["sessionId"]?.stringValue)
        #expect(await client.eventsUntilEnd(of: id).last?.type == "[state]:EXECUTION_FINISHED")
        let session = JSONValue.string(id)

        let one = try await client.request(["action": "run_model", "model": ["sessionId": session, "name": "model", "is_data": true, "data": ["x": 5.0]]])
        #expect(one.type == "[model]:RESULT" && one["name"] == "model" && one["sessionId"] == session)
        let predicted = try #require(one["predictions"]?[0]?.doubleValue)
        #expect(abs(predicted - 10) < 1e-9)
        let defaulted = try await client.request(["action": "run_model", "model": ["sessionId": session, "name": "model", "data": [[1.0], [2.0]]]])
        #expect(defaulted["predictions"]?.arrayValue?.count == 2)

        let fromFile = try await client.request(["action": "run_model", "model": ["sessionId": session, "name": "model", "is_data": false, "data": "data.csv"]])
        #expect(fromFile["predictions"]?.arrayValue?.count == 4)
        let allowed = try await client.request(["action": "run_model", "model": ["sessionId": session, "name": "model", "is_data": false,
                                                                                 "data": .string(dataFolder.appendingPathComponent("more.csv").path)]])
        #expect(abs((allowed["predictions"]?[0]?.doubleValue ?? 0) - 20) < 1e-9)
        let refused = try await client.request(["action": "run_model", "model": ["sessionId": session, "name": "model", "is_data": false, "data": "../../etc/passwd"]])
        #expect(refused.type == "[error]:PATH_NOT_ALLOWED")

        let broken = try await client.request(["action": "run_model", "model": ["sessionId": session, "name": "broken", "data": [1]]])
        #expect(broken.type == "[error]:MODEL_ERROR")
        #expect(broken["error"]?["type"] == "RuntimeError")
        #expect(broken["error"]?["message"]?.stringValue?.contains("model exploded") == true)
        #expect(broken["error"]?["traceback"]?.arrayValue?.last?["function"] == "predict")
        #expect(broken["error"]?["text"]?.stringValue?.contains("RuntimeError: model exploded") == true)

        let notModel = try await client.request(["action": "run_model", "model": ["sessionId": session, "name": "df", "data": [1]]])
        #expect(notModel.type == "[error]:NOT_A_MODEL")
        await client.close()
        try await server.stop()
    }

    @Test func statsReply() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        let id = try #require(try await client.run(["main.py": Self.program])["sessionId"]?.stringValue)
        _ = await client.eventsUntilEnd(of: id)
        let stats = try await client.request(["action": "get_stats", "placeholder": ["sessionId": .string(id), "name": "df"]])
        #expect(stats.type == "[placeholder]:STATS")
        #expect(stats["name"] == "df" && stats["dataset_name"] == "df" && stats["sessionId"] == .string(id))
        let value = try #require(stats["value"])
        #expect(value["rowCount"] == 4)
        let columns = try #require(value["columns"]?.arrayValue)
        #expect(columns.map { $0["name"] ?? .null } == ["x", "y", "label"])
        #expect(columns[0]["kind"] == "numeric" && columns[0]["mean"] == 2.5 && columns[0]["median"] == 2.5)
        #expect(columns[0]["quartiles"] == [1.0, 1.75, 2.5, 3.25, 4.0])
        #expect(columns[0]["histogram"]?.arrayValue?.count == 4)
        #expect(columns[2]["kind"] == "string" && columns[2]["top"] == [["value": "a", "count": 3], ["value": "b", "count": 1]])
        let notDataset = try await client.request(["action": "get_stats", "placeholder": ["sessionId": .string(id), "name": "model"]])
        #expect(notDataset.type == "[error]:NOT_A_DATASET")
        await client.close()
        try await server.stop()
    }
}
