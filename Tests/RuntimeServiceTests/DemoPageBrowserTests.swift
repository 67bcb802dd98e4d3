import Foundation
import RuntimeCore
import RuntimeTestSupport
import Testing

/// The demo page in a real headless browser (Debian's chromium and
/// chromium-driver with Selenium; `./scripts/setup.sh --test` installs them).
/// The checks take the screenshots in `Docs/screenshots/`.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct DemoPageBrowserTests {
    private static let folder = FileManager.default.currentDirectoryPath
    private static let python = URL(fileURLWithPath: folder + "/.venv/bin/python")
    private static let screenshots = folder + "/Docs/screenshots"

    /// Runs a fixture script and returns its JSON summary (nil when it failed, which is recorded).
    private func runCheck(_ script: String, _ arguments: [String]) async throws -> JSONValue? {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"),
                     "chromium-driver is missing: run ./scripts/setup.sh --test")
        let result = try await ChildProcess.run(Self.python, ["Tests/RuntimeServiceTests/Fixtures/" + script] + arguments)
        #expect(result.status == 0, "\(script): \(result.stderr)")
        guard result.status == 0 else { return nil }
        return try JSONParser.parse(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Console errors other than the browser's own notes about WebSocket connections that dropped.
    private func unexpectedConsoleErrors(_ summary: JSONValue) -> [String] {
        (summary["consoleErrors"]?.arrayValue ?? []).compactMap(\.stringValue).filter { !$0.contains("WebSocket") }
    }

    @Test func walkThroughRunValuesPagerStatsModelTracebackSessionsAndReplay() async throws {
        // The check loads the page through a forwarder of its own, which cuts the connection for a while.
        let server = try await TestServer.start()
        let result = try await runCheck("demo_page_check.py", [String(server.port), Self.screenshots])
        try await server.stop()
        let summary = try #require(result)
        #expect(summary["connection"]?.stringValue?.hasSuffix("(1 client)") == true, "the greeting: \(summary)")
        #expect(summary["files"] == ["main.py", "helper.py"])
        #expect(summary["stopDisabledBeforeRun"] == true)
        let events = summary["events"]?.stringValue ?? ""
        #expect(events.contains("#1 started"))
        #expect(events.contains("placeholder greeting (str)"))
        #expect(events.contains("placeholder measurements (DataFrame)"))
        #expect(events.contains("done: 240 rows"))
        #expect(events.contains("finished in"))
        #expect(summary["greeting"] == "Hello, world!")

        // Table: shape, rounding with the full value on hover, pager.
        #expect(summary["shape"] == "measurements : DataFrame — 240 rows × 3 columns")
        #expect(summary["tableHeader"] == ["", "speed", "slope", "road"])
        #expect(summary["tableRows"] == 50)
        let cell = try #require(summary["roundedCell"])
        let full = try #require(cell["title"]?.stringValue.flatMap(Double.init))
        #expect(cell["title"]?.stringValue?.count ?? 0 > 10, "the full value: \(cell)")
        #expect(cell["text"]?.stringValue == String(format: "%.6g", full).replacingOccurrences(of: #"0+$"#, with: "", options: .regularExpression),
                "rounded to 6 significant digits: \(cell)")
        #expect(cell["class"]?.stringValue?.contains("num") == true)
        #expect(summary["pagerInfo"] == "rows 0–49 of 240")
        #expect(summary["previousDisabled"] == true)
        #expect(summary["pages"] == [["rows 50–99 of 240", "50"], ["rows 100–149 of 240", "100"],
                                     ["rows 150–199 of 240", "150"], ["rows 200–239 of 240", "200"]])
        #expect(summary["nextDisabledOnLastPage"] == true)
        #expect(summary["lastPageRows"] == 40)

        // Statistics.
        #expect(summary["statsTitle"] == "measurements: 240 rows × 3 columns")
        #expect(summary["quartileHeader"] == ["min", "25%", "50%", "75%", "max"])
        #expect(summary["axisLabels"] == ["count", "speed"])
        #expect(summary["histogramBars"] == 10)
        let top = summary["topValues"]?.arrayValue ?? []
        #expect(top.compactMap { $0[0]?.stringValue }.sorted() == ["city", "highway", "rural"], "\(top)")
        #expect(top.compactMap { $0[1]?.stringValue.flatMap(Int.init) }.reduce(0, +) == 240)

        // The model form, built from the features the server named.
        #expect(summary["modelFields"] == ["speed", "slope"])
        #expect(summary["modelHeader"] == ["#", "speed", "slope", "prediction"])
        #expect(summary["modelRow"] == ["0", "90", "1.5", "183"])

        #expect(summary["status"] == "finished")
        #expect(summary["statusPlaceholders"] == "greeting, measurements, squares, model")

        // A failed run: the traceback formatted, nothing left of the session before.
        #expect(summary["failureException"] == "ValueError: boom")
        #expect(summary["failureFrames"] == ["file3.py, line 9, in <module>", "file3.py, line 6, in main"])
        #expect(summary["fullTraceback"] == "ValueError: boom")
        #expect(summary["placeholdersAfterFailure"] == ["partial"])
        #expect(summary["valueAfterFailure"] == "Click a placeholder.")
        #expect(summary["modelResultAfterFailure"] == "")
        #expect(summary["modelFieldsAfterFailure"] == 0)
        #expect(summary["statsDisabledAfterFailure"] == true && summary["modelDisabledAfterFailure"] == true)
        #expect(summary["stopDisabledAfterFailure"] == true)
        #expect(summary["newSession"] == true)

        // Sessions: both listed, then one deleted.
        #expect(summary["sessions"] == [["failed", "1", true], ["finished", "4", true]])
        #expect(summary["sessionAfterDelete"] == "–")
        #expect(summary["placeholdersAfterDelete"] == 0)
        #expect(summary["openedPlaceholders"] == ["greeting", "measurements", "squares", "model"])

        // The dropped connection: banner, reconnect, every event once, in order.
        #expect(summary["bannerText"]?.stringValue?.hasPrefix("Connection lost.") == true, "\(summary)")
        #expect(summary["stopDisabledWhileDown"] == true)
        #expect(summary["missedWhileDown"] == true, "the run went on while the page was away")
        #expect(summary["replayNote"] == true)
        let seqs = summary["replaySeqs"]?.arrayValue?.compactMap(\.intValue) ?? []
        #expect(seqs == Array(1...max(1, seqs.count)), "events once each, none missing: \(seqs)")
        #expect(summary["ticks"] == 25)
        #expect(unexpectedConsoleErrors(summary) == [])
    }

    @Test func reconnectsAfterTheServerRestartsOnTheSamePort() async throws {
        let server = Processes.buildFolder.appendingPathComponent("RuntimeServer").path
        let summary = try #require(try await runCheck("demo_page_restart.py",
                                                      [server, PythonEnvironment.resolve().executable, Self.screenshots]))
        #expect(summary["bannerText"]?.stringValue?.contains("cannot be reached; retrying in") == true, "\(summary)")
        #expect(summary["connectionWhileDown"] == "disconnected")
        #expect(summary["buttonsDisabledWhileDown"] == [true, true, true], "run, statistics, status")
        #expect(summary["samePort"] == true)
        #expect(summary["notice"]?.stringValue?.contains("no longer exists on the server") == true, "\(summary)")
        #expect(summary["sessionAfterRestart"] == "–")
        #expect(summary["placeholdersAfterRestart"] == 0)
        #expect(summary["stopDisabled"] == true && summary["statsDisabled"] == true)
        #expect(summary["oldSessionListed"] == false)
        #expect(summary["runAfterRestart"] == true)
        #expect(unexpectedConsoleErrors(summary) == [])
    }

    @Test
    func showsFiguresAsImagesAndHTMLInASandbox() async throws {
        let server = try await TestServer.start()
        let result = try await runCheck("demo_page_display.py", ["http://127.0.0.1:\(server.port)/", Self.screenshots])
        try await server.stop()
        let summary = try #require(result)
        #expect(summary["imageSource"] == "data:image/png;base64,")
        #expect((summary["imageWidth"]?.intValue ?? 0) > 100)
        #expect(summary["sandbox"] == "")
        #expect(summary["srcdoc"]?.stringValue?.contains("<b id='bold'>bold</b>") == true)
        #expect(summary["title"] == "Runtime server – demo client", "the HTML's script did not run")
        #expect(unexpectedConsoleErrors(summary) == [])
    }

    @Test
    func showsDtypesUnderTheColumnNames() async throws {
        let server = try await TestServer.start()
        let result = try await runCheck("demo_page_dtypes.py", ["http://127.0.0.1:\(server.port)/"])
        try await server.stop()
        let summary = try #require(result)
        #expect(summary["dtypes"] == ["", "Int64", "float64"])
        #expect(summary["firstRow"] == ["0", "1", "1.5"], "a nullable integer stays an integer")
        #expect(unexpectedConsoleErrors(summary) == [])
    }
}
