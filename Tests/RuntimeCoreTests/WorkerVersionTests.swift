import Foundation
import Testing
@testable import RuntimeCore

/// A worker that cannot serve is refused at its start, by name: a binary of
/// another build (another frame protocol), a Python path that names no file.
/// For the first:
/// the runtime refuses it at its hello, with an error that says what to do.
@Suite(.timeLimit(.minutes(3)))
struct WorkerVersionTests {
    /// A stand-in worker that greets with protocol 1 (the untyped frames of
    /// old builds) and then waits for its request channel to close.
    private static let oldWorker = """
        #!/usr/bin/python3
        import json, os, struct, sys
        body = json.dumps({"ev": "hello", "protocol": 1, "pid": os.getpid(), "version": "3.11", "executable": "python3",
                           "prefix": "/usr", "preloaded": [], "preloadErrors": {}, "refused": []}).encode()
        os.write(1, struct.pack(">I", len(body)) + body)
        sys.stdin.buffer.read()
        """

    @Test func aWorkerOfAnotherFrameProtocolIsRefusedByName() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("old-worker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let script = folder.appendingPathComponent("runtime-worker")
        try Self.oldWorker.write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        // The stand-in cannot confine itself: run it as a plain process.
        let runtime = TestSupport.runtime {
            $0.worker = WorkerLauncher(executable: script.path)
            $0.forkServer = false  // the stand-in is no fork server
            $0.containment.identity = .serverUser
            $0.containment.allowRootWorkers = true
        }
        let (_, end) = try await TestSupport.runToEnd(runtime, ["main.py": "x = 1\n"])
        #expect(end.status == .failed)
        #expect(end.error?.type == "RuntimeUnavailable")
        let message = end.error?.message ?? ""
        #expect(message.contains("frame protocol 1"), "\(message)")
        #expect(message.contains("frame protocol \(FrameProtocol.version)"), "\(message)")
        await runtime.shutdown()
    }

    /// A Python path that names no file fails the run with RuntimeUnavailable
    /// naming the path: CPython would otherwise start from its built-in
    /// prefix, silently another environment.
    @Test(arguments: [true, false]) func aMissingInterpreterIsRefusedByName(forkServer: Bool) async throws {
        let missing = "/nonexistent-\(UUID().uuidString)/venv/bin/python"
        let runtime = TestSupport.runtime {
            $0.python = PythonEnvironment(executable: missing, source: .configured)
            $0.forkServer = forkServer
        }
        let (session, end) = try await TestSupport.runToEnd(runtime, ["main.py": "x = 1\n"])
        #expect(end.status == .failed)
        #expect(end.error?.type == "RuntimeUnavailable")
        #expect(end.error?.message.contains("no Python interpreter at \(missing)") == true, "\(end.error?.message ?? "")")
        // A read then says why there is nothing (it said the run had not started).
        await #expect { try await session.value("x") } throws: {
            let message = ($0 as? RuntimeError)?.message ?? ""
            return message.contains("the run failed before it started (RuntimeUnavailable: ") && message.contains(missing)
        }
        await runtime.shutdown()
    }

    /// A bare name is CPython's to look up in `PATH`, as before.
    @Test func aBareInterpreterNameIsLookedUpInPath() async throws {
        let runtime = TestSupport.runtime { $0.python = PythonEnvironment(executable: "python3", source: .configured) }
        let (_, end) = try await TestSupport.runToEnd(runtime, ["main.py": "import sys\nassert sys.version_info[:2] == (3, 11)\n"])
        #expect(end.status == .finished, "\(end.error?.text ?? "")")
        await runtime.shutdown()
    }
}
