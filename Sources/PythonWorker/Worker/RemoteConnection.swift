import CSandbox
import Foundation
import Glibc
import RuntimeJSON
import WorkerFrames
import WorkerTLS

/// A worker started on another machine (`--connect HOST:PORT`, a Ray job's
/// entrypoint): connects to the runtime's worker port, presents its ticket,
/// and lays its descriptors out as a local worker's (0 requests, 1 frames,
/// 2 and 3 the program's raw stderr and stdout), so the rest of the worker
/// cannot tell the difference.
///
/// The process that connected stays behind as a keeper: it waits for the
/// worker, forwards the stop signals of whoever started it, and removes the
/// worker's session folders when it has ended. Nothing outlives it.
enum RemoteConnection {
    /// Where the program's raw output is read, to be sent as output frames.
    nonisolated(unsafe) static var rawOutput: (stdout: Int32, stderr: Int32)?
    /// The folder run orders with files are written into (made by the keeper).
    nonisolated(unsafe) static var sessionRoot: String?

    /// Connects, presents `ticket`, and returns in the worker process.
    /// Exits (with a message on stderr) when the runtime cannot be reached.
    /// With `tlsCertificate` (the server's, PEM) the connection is TLS and
    /// accepts that certificate only; the keeper runs the TLS relay, and
    /// the worker writes its frames on a plain socket pair to it.
    static func establish(address: String, ticket: String, tlsCertificate: String?, timeout: Duration = .seconds(15)) {
        let tcp = connect(address, deadline: ContinuousClock.now + timeout)
        let root = makeSessionRoot()
        let socket: Int32
        if let tlsCertificate {
            var pair: [Int32] = [-1, -1]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
                fail("socketpair: \(errnoText)")
            }
            // Fork first: the relay's threads belong to the keeper, and the
            // worker must start with one thread.
            keep(root: root, closing: pair[0]) {
                do throws(RuntimeError) {
                    try WorkerTLS.connect(socket: tcp, pinnedPEM: tlsCertificate, relayingTo: pair[1])
                } catch {
                    // The worker reads the end of its channel and leaves.
                    FileHandle.standardError.write(Data("runtime-worker: TLS to \(address): \(error.message)\n".utf8))
                }
            }
            close(tcp)
            close(pair[1])
            socket = pair[0]
        } else {
            keep(root: root, closing: tcp) {}
            socket = tcp
        }
        do {
            try FrameIO.write(bytes: FrameIO.frames(header: .object([
                ("ticket", .string(ticket)), ("protocol", .int(Int64(FrameProtocol.version))),
            ])), to: socket)
        } catch {
            fail("cannot present the ticket to \(address): \(error)")
        }
        var errorPipe: [Int32] = [-1, -1], outputPipe: [Int32] = [-1, -1]
        guard sandbox_pipe_cloexec(&errorPipe) == 0, sandbox_pipe_cloexec(&outputPipe) == 0 else { fail("pipe: \(errnoText)") }
        // dup2 clears close-on-exec: the program's subprocesses share fds 1 and 2.
        guard dup2(socket, 0) == 0, dup2(socket, 1) == 1, dup2(errorPipe[1], 2) == 2, dup2(outputPipe[1], 3) == 3 else {
            fail("dup2: \(errnoText)")
        }
        for fd in [socket, errorPipe[1], outputPipe[1]] { close(fd) }
        rawOutput = (outputPipe[0], errorPipe[0])
        sessionRoot = root
    }

    /// Forks: the parent waits for the worker and cleans up after it; the
    /// child returns and becomes the worker.
    /// `keeperWork` runs in the keeper before it waits (the TLS relay).
    private static func keep(root: String, closing socket: Int32, keeperWork: () -> Void) {
        let child = fork()
        if child < 0 { fail("fork: \(errnoText)") }
        if child == 0 {
            _ = sandbox_die_with_parent()
            sandbox_reset_signals()
            return
        }
        close(socket)  // the worker's end must close when the worker ends
        keeperWork()
        Keeper.child = child
        for number in [SIGTERM, SIGINT, SIGHUP] {
            _ = Glibc.signal(number) { received in _ = Glibc.kill(Keeper.child, received == SIGINT ? SIGINT : SIGKILL) }
        }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        try? FileManager.default.removeItem(atPath: root)
        let low = status & 0x7F
        _exit(low == 0 ? (status >> 8) & 0xFF : 128 + low)
    }

    private enum Keeper {
        nonisolated(unsafe) static var child: pid_t = 0
    }

    /// A TCP connection to `HOST:PORT`, retried until `deadline` (the
    /// runtime's port may be a moment away), with keep-alive probes so a
    /// runtime that vanished without closing is noticed within seconds.
    private static func connect(_ address: String, deadline: ContinuousClock.Instant) -> Int32 {
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else {
            fail("--connect takes HOST:PORT, not '\(address)'")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        var lastError = "no address"
        while true {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            hints.ai_family = AF_UNSPEC
            var found: UnsafeMutablePointer<addrinfo>?
            let resolved = getaddrinfo(host, "\(port)", &hints, &found)
            if resolved == 0 {
                var entry = found
                while let info = entry {
                    let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
                    if fd >= 0 {
                        if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                            freeaddrinfo(found)
                            WorkerSocket.tune(fd)
                            return fd
                        }
                        lastError = errnoText
                        close(fd)
                    }
                    entry = info.pointee.ai_next
                }
                freeaddrinfo(found)
            } else {
                lastError = String(cString: gai_strerror(resolved))
            }
            guard ContinuousClock.now < deadline else { fail("cannot connect to the runtime at \(address): \(lastError)") }
            usleep(200_000)
        }
    }

    private static func makeSessionRoot() -> String {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/runtime-remote-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }) else {
            fail("cannot make a session folder in \(base): \(errnoText)")
        }
        return String(cString: made)
    }

    /// Writes a run's files into a new folder under the session root; returns it.
    static func writeFiles(_ files: [WorkerRequest.ProgramFileOrder]) throws -> String {
        guard let root = sessionRoot else { throw RemoteFilesError(message: "this worker has no session root") }
        let folder = "\(root)/session-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for file in files {
            let parts = file.path.split(separator: "/", omittingEmptySubsequences: false)
            guard !file.path.hasPrefix("/"), !parts.contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }) else {
                throw RemoteFilesError(message: "a program file path must be relative and plain: \(file.path)")
            }
            let path = "\(folder)/\(file.path)"
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            // Plain system calls: Foundation's createFile writes a temporary
            // file, syncs it to disk and renames it, for files read once.
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw RemoteFilesError(message: "cannot write \(file.path): \(errnoText)") }
            defer { close(fd) }
            do {
                try FrameIO.write(bytes: file.contents, to: fd)
            } catch {
                throw RemoteFilesError(message: "cannot write \(file.path): \(error)")
            }
        }
        return folder
    }

    struct RemoteFilesError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    private static var errnoText: String { String(cString: strerror(errno)) }

    private static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("runtime-worker: \(message)\n".utf8))
        _exit(75)
    }
}
