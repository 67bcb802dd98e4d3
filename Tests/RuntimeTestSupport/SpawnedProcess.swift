import Foundation
import Glibc
import Synchronization

/// A child process started with `posix_spawn`: the part of Foundation's
/// `Process` the tests use, in its shape.
///
/// Foundation's `Process.run()` on Linux lists `/proc/self/fd` to close the
/// child's descriptors, and copies each entry's 256-byte name whole: with
/// about 1,400 descriptors open (the full test run, in parallel) the listing
/// fills its buffer, and the copy of the last name can read past a page's end.
/// That crashed the test process once (SIGSEGV in `memcpy` under
/// `Process.run`). Here the child closes its descriptors from 3 up itself
/// (`posix_spawn_file_actions_addclosefrom_np`), and its signal mask and
/// dispositions are reset rather than inherited from the spawning thread.
///
/// Configure it, then ``run()``; the properties are not to be changed after.
public final class SpawnedProcess: @unchecked Sendable {
    public var executableURL: URL?
    public var arguments: [String] = []
    /// The child's whole environment; this process's when nil.
    public var environment: [String: String]?
    public var currentDirectoryURL: URL?
    /// A `Pipe` (its reading end becomes the child's), a `FileHandle`, or nil to inherit.
    public var standardInput: Any?
    /// A `Pipe` (its writing end becomes the child's), a `FileHandle`, or nil to inherit.
    public var standardOutput: Any?
    /// As ``standardOutput``.
    public var standardError: Any?
    /// Called on a thread of its own once the child has ended and been reaped.
    public var terminationHandler: (@Sendable (SpawnedProcess) -> Void)?

    private struct State {
        var pid: pid_t = 0
        var running = false
        var status: Int32 = 0
    }

    private let state = Mutex(State())
    private let exited = DispatchGroup()

    public init() {}

    public var processIdentifier: Int32 { state.withLock { $0.pid } }
    public var isRunning: Bool { state.withLock { $0.running } }
    /// The exit code, or the number of the signal that ended the child.
    public var terminationStatus: Int32 { state.withLock { $0.status } }

    public struct SpawnFailure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts the child, once. Throws when it cannot be spawned.
    public func run() throws {
        guard let executable = executableURL?.path else { throw SpawnFailure(description: "no executable") }
        guard state.withLock({ $0.pid == 0 }) else { throw SpawnFailure(description: "already started") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var closeInParent: [FileHandle] = []
        for (target, handle) in [(STDIN_FILENO, standardInput), (STDOUT_FILENO, standardOutput), (STDERR_FILENO, standardError)] {
            let child: FileHandle?
            switch handle {
            case let pipe as Pipe:
                child = target == STDIN_FILENO ? pipe.fileHandleForReading : pipe.fileHandleForWriting
                if let child { closeInParent.append(child) }
            case let file as FileHandle:
                child = file
            default:
                child = nil
            }
            guard let child else { continue }
            // Foundation's null device has no descriptor (-1): open /dev/null in the child.
            let added = child.fileDescriptor < 0
                ? posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_RDWR, 0)
                : posix_spawn_file_actions_adddup2(&actions, child.fileDescriptor, target)
            guard added == 0 else { throw SpawnFailure(description: "cannot give the child descriptor \(target)") }
        }
        guard Self.addCloseFrom(&actions, 3) == 0 else { throw SpawnFailure(description: "cannot close the child's descriptors") }
        if let directory = currentDirectoryURL?.path {
            guard Self.addChdir(&actions, directory) == 0 else { throw SpawnFailure(description: "cannot change to \(directory)") }
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let variables = environment ?? ProcessInfo.processInfo.environment
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let failure = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        for handle in closeInParent { try? handle.close() }
        guard failure == 0 else { throw SpawnFailure(description: "cannot spawn \(executable): \(String(cString: strerror(failure)))") }

        let child = pid
        state.withLock {
            $0.pid = child
            $0.running = true
        }
        exited.enter()
        let reaper = Thread { [self] in
            var status: Int32 = 0
            while waitpid(child, &status, 0) < 0 && errno == EINTR {}
            let signalled = status & 0x7F != 0
            state.withLock {
                $0.running = false
                $0.status = signalled ? status & 0x7F : (status >> 8) & 0xFF
            }
            terminationHandler?(self)
            exited.leave()
        }
        reaper.start()
    }

    /// Blocks until the child has ended.
    public func waitUntilExit() { exited.wait() }

    public func terminate() { signal(SIGTERM) }

    public func interrupt() { signal(SIGINT) }

    private func signal(_ number: Int32) {
        let pid = state.withLock { $0.running ? $0.pid : 0 }
        if pid > 0 { kill(pid, number) }
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` and `..._addchdir_np`,
    /// which Swift's Glibc module does not export.
    private static func addCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ first: Int32) -> Int32 {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return -1 }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)(actions, first)
    }

    private static func addChdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: String) -> Int32 {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addchdir_np") else { return -1 }
        return path.withCString { unsafeBitCast(symbol, to: AddChdir.self)(actions, $0) }
    }
}
