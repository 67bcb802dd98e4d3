import Foundation
import Glibc
import Logging
import Testing
import RuntimeTestSupport
import WorkerTLS
@testable import RuntimeCore

/// TLS on the worker port: workers given the server's certificate connect
/// with TLS and accept that certificate only; nothing is read in the clear.
@Suite(.timeLimit(.minutes(2)))
struct RemoteWorkerTLSTests {
    /// A self-signed certificate and its key, made with openssl.
    private static func certificate(in folder: URL, name: String) throws -> (certificate: String, key: String) {
        let certificate = folder.appendingPathComponent("\(name).pem").path, key = folder.appendingPathComponent("\(name).key").path
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                             "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=\(name)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "openssl could not make a certificate")
        return (certificate, key)
    }

    static func folderForExtension() throws -> URL { try folder() }
    static func certificateForExtension(in folder: URL) throws -> (certificate: String, key: String) {
        try certificate(in: folder, name: "server")
    }

    private static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    private func runtime(_ launcher: ProcessLauncher, security: any WorkerConnectionSecurity) -> Runtime {
        TestSupport.runtime { configuration in
            configuration.placement = .remote(RemoteWorkers(
                launcher: launcher, workerExecutable: configuration.worker.executable,
                pythonExecutable: configuration.python.executable, connectTimeout: .seconds(60), security: security))
        }
    }

    @Test func aWorkerConnectsWithTLSAndIsServedAsAPlainOne() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = try Self.certificate(in: folder, name: "server")
        let launcher = ProcessLauncher()
        let runtime = runtime(launcher, security: try WorkerTLSServer(certificateFile: files.certificate, privateKeyFile: files.key))
        let session = try await runtime.run(TestSupport.program(["main.py": """
            import time
            from runtimeBridge import save_placeholder
            save_placeholder("big", list(range(200000)))
            print("started", flush=True)
            time.sleep(1000)
            """]))
        let started = await session.waitForOutput(containing: "started\n")
        let snapshot = await session.snapshot()
        #expect(started, "\(snapshot)")
        #expect(launcher.launches.first?.environment[WorkerTLS.certificateVariable]?.contains("BEGIN CERTIFICATE") == true)
        // A large value crosses the relay whole.
        #expect(try await session.value("big", window: RowWindow(begin: 199_990, size: 10)).arrayValue?.count == 10)
        let stopped = await session.stop()
        #expect(stopped.status == .stopped && !stopped.killed)
        await runtime.shutdown()
        #expect(launcher.jobs.allSatisfy { $0.hasEnded })
    }

    /// Security whose workers are told to accept another certificate than the server's.
    private struct Mismatched: WorkerConnectionSecurity {
        let server: WorkerTLSServer
        let other: String
        var name: String { "TLS" }
        var workerEnvironment: [String: String] { [WorkerTLS.certificateVariable: other] }
        func secure(acceptedSocket: Int32) throws(RuntimeError) -> Int32 { try server.secure(acceptedSocket: acceptedSocket) }
    }

    @Test func aWorkerRefusesAServerWithAnotherCertificate() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let served = try Self.certificate(in: folder, name: "server")
        let other = try Self.certificate(in: folder, name: "impostor")
        let launcher = ProcessLauncher()
        let security = Mismatched(server: try WorkerTLSServer(certificateFile: served.certificate, privateKeyFile: served.key),
                                  other: try String(contentsOfFile: other.certificate, encoding: .utf8))
        let runtime = runtime(launcher, security: security)
        let (_, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": "x = 1\n"])
        #expect(snapshot.status == .failed)
        #expect(snapshot.error?.type == "RuntimeUnavailable", "\(String(describing: snapshot.error))")
        await runtime.shutdown()
    }

    @Test func aPlainConnectionToATLSPortIsNeverRead() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = try Self.certificate(in: folder, name: "server")
        let listener = try WorkerListener(host: "127.0.0.1", port: 0,
                                          security: try WorkerTLSServer(certificateFile: files.certificate, privateKeyFile: files.key),
                                          logger: Logger(label: "test"))
        defer { listener.close() }
        let (ticket, arrival) = listener.issueTicket(lifetime: .seconds(30))
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(listener.port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        // A valid ticket, sent in the clear: the TLS handshake fails and the connection closes.
        try FrameIO.write(bytes: FrameIO.frames(header: .object([("ticket", .string(ticket)),
                                                                 ("protocol", .int(Int64(FrameProtocol.version)))])), to: fd)
        var buffer = [UInt8](repeating: 0, count: 4096)
        var wait = timeval(tv_sec: 10, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        var total = 0
        while true {
            let got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if got <= 0 { break }
            total += got
        }
        #expect(!arrival.isFulfilled, "a ticket sent in the clear was taken")
        #expect(total < 4096, "the server sent no more than a TLS alert")
    }
}

extension RemoteWorkerTLSTests {
    @Test func valuesAreServedOverTLSAfterTheRunEnded() async throws {
        let folder = try Self.folderForExtension()
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = try Self.certificateForExtension(in: folder)
        let launcher = ProcessLauncher()
        let runtime = TestSupport.runtime { configuration in
            configuration.placement = .remote(RemoteWorkers(
                launcher: launcher, workerExecutable: configuration.worker.executable,
                pythonExecutable: configuration.python.executable, connectTimeout: .seconds(60),
                security: try? WorkerTLSServer(certificateFile: files.certificate, privateKeyFile: files.key)))
        }
        let (session, snapshot) = try await TestSupport.runToEnd(runtime, ["main.py": """
            from runtimeBridge import save_placeholder
            save_placeholder("rows", list(range(50000)))
            """])
        #expect(snapshot.status == .finished)
        #expect(try await session.value("rows", window: RowWindow(begin: 49_990, size: 10)).arrayValue?.first == 49_990)
        await runtime.shutdown()
    }
}
