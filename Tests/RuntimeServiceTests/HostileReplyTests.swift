import Foundation
import RuntimeClient
import RuntimeCore
import RuntimeTestSupport
import Testing

/// The server reads a worker's replies on its event loops: what a program
/// forges on that channel ends its own worker, and every other session is
/// served on.
@Suite(.timeLimit(.minutes(2)))
struct HostileReplyTests {
    /// Saves `x`, then writes `forgery` (Python bytes) on the reply pipe (the
    /// lower-numbered of the worker's two write-only pipes past fd 2), which
    /// the server reads only once a request has been made.
    static func forger(_ forgery: String) -> String {
        """
        import fcntl, json, os, stat, struct, time
        import runtimeBridge as rb
        rb.save_placeholder("x", 1)
        def write_only_pipe(fd):
            try:
                return stat.S_ISFIFO(os.fstat(fd).st_mode) and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY
            except OSError:  # the listing's own descriptor, closed since
                return False
        def frame(body):
            return struct.pack('>I', len(body)) + body
        def read_end(fd):
            try:
                return stat.S_ISFIFO(os.fstat(fd).st_mode) and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY
            except OSError:
                return False
        fds = [fd for fd in map(int, os.listdir('/proc/self/fd')) if fd > 2]
        # Pipes the worker reads itself (its copies' output) lead nowhere.
        read_ends = {os.fstat(fd).st_ino for fd in fds if read_end(fd)}
        pipes = sorted(fd for fd in fds if write_only_pipe(fd) and os.fstat(fd).st_ino not in read_ends)
        assert len(pipes) == 2, pipes
        # The pipe holds 64 KiB until the server reads it: the rest from a thread.
        import threading
        data = \(forgery)
        os.write(pipes[0], data[:65536])
        if len(data) > 65536:
            threading.Thread(target=os.write, args=(pipes[0], data[65536:]), daemon=True).start()
        print('forged', flush=True)
        time.sleep(1000)
        """
    }

    @Test(arguments: [
        ("a frame length of 1 GiB", "struct.pack('>I', 1 << 30)", "past the reply pipe's limit"),
        ("a reply over 64 KiB", "frame(json.dumps({'ev': 'reply', 'rid': 1, 'pad': 'p' * (100 << 10)}).encode())",
         "past the reply pipe's limit"),
        ("an event", "frame(json.dumps({'ev': 'finished'}).encode())", "an event on the reply channel"),
        // A flood of valid replies nobody asked for would keep the loop busy.
        ("a reply to a request never made",
         "frame(json.dumps({'ev': 'reply', 'rid': 1 << 40, 'ok': False, 'error': {'code': 'INTERNAL', 'message': 'm'}}).encode())",
         "which nothing waits for"),
    ])
    func aForgedReplyEndsItsWorkerAndNothingElse(_ what: String, _ forgery: String, _ reason: String) async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        let forger = try #require(try await client.run(["main.py": Self.forger(forgery)])["sessionId"]?.stringValue)
        let forged = await client.nextEvent { $0.type == "[run]:OUTPUT" && $0["sessionId"] == .string(forger) }
        #expect(forged?["text"]?.stringValue?.contains("forged") == true, "\(String(describing: forged))")

        // The first request starts the reading, which meets the forged frame.
        let read = try await client.request(["action": "get_placeholder", "placeholder": ["sessionId": .string(forger), "name": "x"]])
        #expect(read.type?.hasPrefix("[error]:") == true, "\(what): \(read)")
        let end = await client.eventsUntilEnd(of: forger).last
        #expect(end?.type == "[state]:EXECUTION_FAILED")
        #expect(end?["error"]?["type"] == "WorkerProtocolViolation")
        #expect(end?["error"]?["message"]?.stringValue?.contains(reason) == true, "\(what): \(String(describing: end))")

        // Another session, on the same connection, is served as ever.
        let other = try #require(try await client.run(["main.py": "import runtimeBridge as rb\nrb.save_placeholder('y', 2)\n"])["sessionId"]?.stringValue)
        #expect(await client.eventsUntilEnd(of: other).last?.type == "[state]:EXECUTION_FINISHED")
        let value = try await client.request(["action": "get_placeholder", "placeholder": ["sessionId": .string(other), "name": "y"]])
        #expect(value["value"] == 2)
        await client.close()
        try await server.stop()
    }
}
