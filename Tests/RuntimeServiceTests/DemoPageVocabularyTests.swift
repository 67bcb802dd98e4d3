import Foundation
import RuntimeCore
import RuntimeProtocol
import RuntimeTestSupport
import Testing

/// The demo page speaks the protocol RuntimeProtocol spells: every action it
/// sends and every message type it reads is one of `WireAction`, `MessageType`
/// or `[error]:` with a `RuntimeError.Code`, and it handles every event a run sends.
@Suite(.timeLimit(.minutes(3)))
struct DemoPageVocabularyTests {
    /// Types the page makes up itself and never receives: its answer to a
    /// request the connection lost or could not send (`request()` and
    /// `ws.onclose`), shown by the same error views as the server's errors.
    static let pageLocalTypes: Set<String> = ["[error]:DISCONNECTED"]

    /// One event of every kind a run can send.
    static let runEvents: [SessionEvent.Kind] = [
        .started, .placeholderReady(name: "x", valueType: "int"), .output(stream: .stdout, text: "hi\n", truncated: false),
        .finished(durationMs: 1), .failed(ProgramError(type: "ValueError", message: "boom")), .stopped(killed: false),
    ]

    /// Stops compiling when a kind is added: add it to ``runEvents`` too.
    static func ordinal(_ kind: SessionEvent.Kind) -> Int {
        switch kind {
        case .started: 0
        case .placeholderReady: 1
        case .output: 2
        case .finished: 3
        case .failed: 4
        case .stopped: 5
        }
    }

    /// The page's JavaScript, as the server serves it.
    private func script() async throws -> String {
        let server = try await TestServer.start()
        let page = try await server.get("/")
        try await server.stop()
        #expect(page.status == 200)
        let blocks = page.body.matches(of: try Regex(#"<script[^>]*>(.*?)</script>"#, as: (Substring, Substring).self)
            .dotMatchesNewlines())
        let script = blocks.map { String($0.output.1) }.joined(separator: "\n")
        try #require(!script.isEmpty, "the page has no script")
        return script
    }

    private func captures(_ pattern: String, in text: String) throws -> [String] {
        text.matches(of: try Regex(pattern, as: (Substring, Substring).self)).map { String($0.output.1) }
    }

    @Test func everyWireStringIsInTheProtocol() async throws {
        let script = try await script()

        let actions = try captures(#"\baction\s*:\s*"([^"]*)""#, in: script)
        #expect(try captures(#"\b(action)\s*:"#, in: script).count == actions.count,
                "every action the page sends is a string literal, so that this test sees it")
        let knownActions = Set(WireAction.allCases.map(\.rawValue))
        #expect(actions.filter { !knownActions.contains($0) } == [], "actions the protocol does not have")
        // And the page offers every action there is.
        #expect(knownActions.subtracting(actions) == [], "actions the page never sends")

        let types = Set(try captures(#"["'`](\[[a-z]+\]:[A-Z_]*)["'`]"#, in: script))
        let knownTypes = Set(MessageType.allCases.map(\.rawValue))
        let prefixes: Set<String> = [MessageType.errorPrefix, MessageType.endEventPrefix]
        let unknown = types.filter { type in
            !knownTypes.contains(type) && !prefixes.contains(type)
                && !(MessageType.errorCode(ofType: type).map { RuntimeError.Code.allCodes.contains($0) } ?? false)
        }
        #expect(types.count > 10, "the extraction found the page's types: \(types.sorted())")
        #expect(unknown == Self.pageLocalTypes, "message types the protocol does not have: \(unknown.sorted())")
        for type in Self.pageLocalTypes {
            #expect(MessageType.errorCode(ofType: type) == nil, "\(type) is a protocol code now: take it off the page-local list")
        }
    }

    @Test func thePageHandlesEveryEventARunSends() async throws {
        #expect(Set(Self.runEvents.map(Self.ordinal)).count == Self.runEvents.count)
        let eventTypes = Set(Self.runEvents.map { kind in
            SessionEvent(sessionId: "s", sequence: 1, kind: kind).wireMessage["type"]?.stringValue ?? ""
        })
        #expect(eventTypes.count == Self.runEvents.count)

        let script = try await script()
        // The switch of `sessionEvent(message)`, where the page takes a session's events.
        let start = try #require(script.range(of: "function sessionEvent("), "the page has no sessionEvent function")
        let body = script[start.upperBound...]
        let end = body.range(of: "\nfunction ") ?? body.endIndex..<body.endIndex
        let handled = Set(try captures(#"case\s+"([^"]+)"\s*:"#, in: String(body[..<end.lowerBound])))
        #expect(eventTypes.subtracting(handled) == [], "events of a run the page does not show")
        #expect(handled.subtracting(eventTypes) == [], "cases for events no run sends")
    }
}
