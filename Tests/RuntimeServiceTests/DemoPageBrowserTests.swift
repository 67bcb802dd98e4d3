import Foundation
import RuntimeCore
import RuntimeTestSupport
import Testing

/// The demo page in a real headless browser (Debian's chromium and
/// chromium-driver with Selenium; `./scripts/setup.sh --test` installs them).
@Suite(.timeLimit(.minutes(3)))
struct DemoPageBrowserTests {
    @Test func runningTheBundledExampleShowsEventsAndValues() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"),
                     "chromium-driver is missing: run ./scripts/setup.sh --test")
        let server = try await TestServer.start()
        let python = URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/.venv/bin/python")
        let result = try await ChildProcess.run(python, ["Tests/RuntimeServiceTests/Fixtures/demo_page_check.py",
                                                         "http://127.0.0.1:\(server.port)/"])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try JSONParser.parse(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(summary["connection"]?.stringValue?.hasSuffix("(1 client)") == true, "the greeting: \(summary)")
        #expect(summary["files"] == ["main.py", "helper.py"])
        let events = summary["events"]?.stringValue ?? ""
        #expect(events.contains("#1 started"))
        #expect(events.contains("placeholder greeting (str)"))
        #expect(events.contains("done: 12 rows"))
        #expect(events.contains("finished in"))
        #expect(summary["greeting"] == "\"Hello, world!\"")
        #expect(summary["tableHeader"] == ["x", "square", "even"])
        #expect(summary["tableRows"] == 12)
        #expect(summary["status"] == "finished")
        #expect(summary["consoleErrors"] == [])
        try await server.stop()
    }
}
