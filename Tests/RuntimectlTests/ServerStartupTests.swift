import Foundation
import Glibc
import Testing

/// `RuntimeServer` refuses to start when it could never start a worker
/// (found by a user review: it listened, said `/healthz` ok, and failed
/// every run with `RuntimeUnavailable`).
@Suite(.timeLimit(.minutes(2)))
struct ServerStartupTests {
    @Test func aPythonThatDoesNotExistStopsTheServer() async throws {
        let result = try await CLI.server(["--port", "0", "--python", "/nonexistent/bin/python"])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("--python (the Python the workers embed): /nonexistent/bin/python does not exist"),
                "\(result.stderr)")
    }

    @Test func aWorkerExecutableThatCannotRunStopsTheServer() async throws {
        let folder = try CLI.folder(["runtime-worker": "not a program\n"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let worker = folder.appendingPathComponent("runtime-worker").path
        let result = try await CLI.server(["--port", "0", "--warm-workers", "0"], environment: ["RUNTIME_WORKER": worker])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("$RUNTIME_WORKER") && result.stderr.contains("\(worker) is not an executable file"),
                "\(result.stderr)")
    }

    /// A port another program listens on: one plain line naming the address
    /// (it was NIO's `bind(descriptor:ptr:bytes:)` error), exit 1.
    @Test func aBusyPortIsSaidPlainly() async throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(listener >= 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(listener, socketAddress, length) == 0 && listen(listener, 1) == 0
                    && getsockname(listener, socketAddress, &length) == 0
            }
        }
        #expect(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let result = try await CLI.server(["--port", "\(port)", "--warm-workers", "0"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("cannot listen on 127.0.0.1:\(port): the address is already in use"), "\(result.stderr)")
    }
}
