import Foundation
import RuntimeCore
import RuntimeTestSupport
import Testing

/// How runtimectl prints values, statistics and sessions for people (and, with --json, for scripts).
@Suite(.timeLimit(.minutes(2)))
struct OutputFormatTests {
    static let programs = [
        "frame.py": """
            import pandas as pd, runtimeBridge
            df = pd.DataFrame({'x': [i / 3 for i in range(200)], 'label': ['bb' if i % 3 == 0 else 'a' for i in range(200)]})
            runtimeBridge.save_placeholder('df', df)
            runtimeBridge.save_placeholder('data', {'x': [1.0, 2.0, 3.0, 4.0], 'w': ['a', 'b', 'a', 'c']})
            runtimeBridge.save_placeholder('text', 'plain')

            """,
        "figure.py": """
            import matplotlib
            import matplotlib.pyplot as plt
            import runtimeBridge
            fig, ax = plt.subplots()
            ax.plot([1, 2, 3], [1, 4, 9])
            runtimeBridge.save_placeholder('fig', fig)

            """,
    ]

    private func withSession(_ main: String, _ body: (TestServer, String, URL) async throws -> Void) async throws {
        let server = try await TestServer.start()
        let folder = try CLI.folder(Self.programs)
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try await CLI.run(["run", "--wait", main, "--server", server.url], in: folder)
        #expect(run.status == 0, "\(run.stderr)")
        let id = try #require(run.stderr.split(separator: "\n").first { $0.hasPrefix("session ") }.map { String($0.dropFirst(8)) })
        try await body(server, id, folder)
        try await server.stop()
    }

    @Test func tablesRoundAndRightAlignNumbersAndNameTheirRows() async throws {
        try await withSession("frame.py") { server, id, _ in
            let page = try await CLI.run(["get", id, "df", "--begin", "195", "--size", "5", "--server", server.url])
            #expect(page.status == 0, "\(page.stderr)")
            #expect(page.stderr == "df (DataFrame, 200 rows × 2 columns): rows 195–199 of 200\n")
            #expect(page.stdout == """
                           x  label
                     float64  str
                ---  -------  -----
                195     65.0  bb
                196  65.3333  a
                197  65.6667  a
                198     66.0  bb
                199  66.3333  a

                """, "\(page.stdout)")
            let one = try await CLI.run(["get", id, "df", "--begin", "7", "--size", "1", "--server", server.url])
            #expect(one.stderr == "df (DataFrame, 200 rows × 2 columns): row 7 of 200\n")

            // Scripts get every digit.
            let json = try JSONParser.parse(try await CLI.run(["get", id, "df", "--begin", "196", "--size", "1", "--json", "--server", server.url]).stdout)
            #expect(json["value"]?["data"]?[0]?[0] == .double(196.0 / 3.0))
        }
    }

    @Test func runGetPrintsValuesTheWayGetDoes() async throws {
        let server = try await TestServer.start()
        let folder = try CLI.folder(Self.programs)
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try await CLI.run(["run", "frame.py", "--get", "df", "--get", "text", "--server", server.url], in: folder)
        #expect(run.status == 0, "\(run.stderr)")
        let id = try #require(run.stderr.split(separator: "\n").first { $0.hasPrefix("session ") }.map { String($0.dropFirst(8)) })
        let frame = try await CLI.run(["get", id, "df", "--server", server.url])
        let text = try await CLI.run(["get", id, "text", "--server", server.url])
        #expect(run.stdout == frame.stdout + text.stdout)
        #expect(frame.stdout.split(separator: "\n").count == 203, "names, dtypes, rule and 200 rows")
        #expect(text.stdout == "\"plain\"\n")
        #expect(run.stderr.contains(frame.stderr) && run.stderr.contains("text (str)\n"), "\(run.stderr)")
        try await server.stop()
    }

    @Test func statsShowQuartilesTopValuesAndAHistogram() async throws {
        try await withSession("frame.py") { server, id, _ in
            let stats = try await CLI.run(["stats", id, "data", "--server", server.url])
            #expect(stats.status == 0, "\(stats.stderr)")
            let out = stats.stdout
            #expect(out.contains("""
                x:
                min   25%  50%   75%  max
                ---  ----  ---  ----  ---
                1.0  1.75  2.5  3.25  4.0
                histogram:
                """), "\(out)")
            #expect(out.contains("""
                w:
                top values:
                value  count
                -----  -----
                a          2
                b          1
                c          1
                """), "\(out)")
            // Four buckets of one value each: every bar is full, the edges right-aligned.
            let bars = out.split(separator: "\n").filter { $0.contains(" – ") }.map(String.init)
            let full = String(repeating: "█", count: 30)
            #expect(bars == ["   1.0 – 1.75  1  " + full, "  1.75 –  2.5  1  " + full,
                             "   2.5 – 3.25  1  " + full, "  3.25 –  4.0  1  " + full], "\(out)")
        }
    }

    @Test func sessionsShowDurationAndPlaceholderCount() async throws {
        try await withSession("frame.py") { server, id, _ in
            let sessions = try await CLI.run(["sessions", "--server", server.url])
            #expect(sessions.status == 0, "\(sessions.stderr)")
            let lines = sessions.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("SESSION") == true && lines.first?.hasSuffix("DURATION  PLACEHOLDERS") == true, "\(lines)")
            let row = try #require(lines.first { $0.hasPrefix(id) })
            #expect(row.contains("  finished  "))
            #expect(row.hasSuffix("  3"), "three placeholders: \(row)")
            #expect(row.range(of: #"  [0-9]+(\.[0-9])? m?s  "#, options: .regularExpression) != nil, "a duration: \(row)")
        }
    }

    @Test func saveWithoutADisplayFormSaysSoAndWritesNothing() async throws {
        try await withSession("frame.py") { server, id, folder in
            let target = folder.appendingPathComponent("out.png")
            let result = try await CLI.run(["get", id, "text", "--save", target.path, "--server", server.url])
            #expect(result.status == 1)
            #expect(result.stderr == "runtimectl: text has no display form to save: the server sent no `display` for this str\n")
            #expect(!FileManager.default.fileExists(atPath: target.path))
        }
    }

    @Test
    func saveWritesAFiguresPNGFromDisplay() async throws {
        try await withSession("figure.py") { server, id, folder in
            let json = try JSONParser.parse(try await CLI.run(["get", id, "fig", "--json", "--server", server.url]).stdout)
            #expect(json["display"]?["image/png"]?.stringValue != nil, "the reply for a matplotlib figure carries display[\"image/png\"]: \(json)")
            let target = folder.appendingPathComponent("fig.png")
            let result = try await CLI.run(["get", id, "fig", "--save", target.path, "--server", server.url])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr == "saved fig as image/png to \(target.path)\n")
            let bytes = try Data(contentsOf: target)
            #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "a PNG file")
            let wrong = try await CLI.run(["get", id, "fig", "--save", folder.appendingPathComponent("fig.jpg").path, "--server", server.url])
            #expect(wrong.status == 1 && wrong.stderr.contains("has no image/jpeg form"), "\(wrong.stderr)")
        }
    }

    @Test
    func tablesShowTheirDtypesUnderTheColumnNames() async throws {
        try await withSession("frame.py") { server, id, _ in
            let page = try await CLI.run(["get", id, "df", "--begin", "0", "--size", "2", "--server", server.url])
            let lines = page.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 5, "names, dtypes, rule, two rows: \(page.stdout)")
            // pandas 3 names text columns `str` (it was `object`).
            #expect(lines[1].contains("float64") && lines[1].contains("str"), "the reply's dtypes under the names: \(page.stdout)")
        }
    }
}
