import Foundation
import Glibc
import Testing
@testable import RuntimeCore

/// However many descriptors the server has open, a worker gets its own four
/// in the right places (a fixed staging range once collided with new pipes
/// when the server held about 60 descriptors).
@Suite(.timeLimit(.minutes(3)))
struct WorkerDescriptorPlacementTests {
    @Test func workersGetTheirDescriptorsWhateverTheServerHasOpen() async throws {
        let runtime = TestSupport.runtime()
        var held: [Int32] = []
        defer { for fd in held { close(fd) } }
        // Sweep the lowest free descriptor across 40...90 while starting workers.
        while true {
            let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { break }
            held.append(fd)
            if fd >= 40 { break }
        }
        for _ in 0..<25 {
            let (session, end) = try await TestSupport.runToEnd(runtime, ["main.py": """
                import os
                os.write(1, b'out\\n')
                os.write(2, b'err\\n')
                print('printed')
                """])
            #expect(end.status == .finished, "\(String(describing: end.error)) with \(held.count) descriptors held")
            var seen = ""
            for event in await session.allEvents() {
                if case .output(_, let text, _) = event.kind { seen += text }
            }
            #expect(seen.contains("out\n") && seen.contains("err\n") && seen.contains("printed\n"), "\(seen)")
            try await runtime.deleteSession(id: session.id)
            for _ in 0..<2 {
                let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
                if fd >= 0 { held.append(fd) }
            }
        }
        await runtime.shutdown()
    }
}
