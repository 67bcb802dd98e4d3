import Foundation
import Testing
@testable import RuntimeCore

/// A `Session` written by a library user, which knows nothing of read options.
private final class FixedSession: Session {
    let id = "fixed"
    func snapshot() async -> SessionSnapshot {
        SessionSnapshot(sessionId: id, status: .finished, placeholders: ["x"], startedAt: nil, finishedAt: nil,
                        durationMs: nil, error: nil, killed: false, lastSequence: 0)
    }
    func events(after: Int?) async -> AsyncStream<SessionEvent> { AsyncStream { $0.finish() } }
    func waitUntilEnded() async -> SessionSnapshot { await snapshot() }
    func stop() async -> SessionSnapshot { await snapshot() }
    func placeholders() async -> [any Placeholder] { [] }
    func readPlaceholder(named name: String, window: RowWindow?) async throws(RuntimeError) -> PlaceholderValue {
        PlaceholderValue(name: name, valueType: "int", value: 42, window: nil, truncated: false, rowCount: nil)
    }
}

@Suite struct SessionProtocolTests {
    @Test func aSessionWithoutOptionsServesTheDefaultAndRefusesOthers() async throws {
        let session: any Session = FixedSession()
        #expect(try await session.readPlaceholder(named: "x", window: nil, options: ValueReadOptions()).value == 42)
        await #expect { try await session.readPlaceholder(named: "x", window: nil, options: ValueReadOptions(exact: true)) } throws: {
            ($0 as? RuntimeError)?.code == .invalidRequest
        }
    }
}
