import CSandbox
import Foundation
import Glibc
import RuntimeJSON
import WorkerFrames

/// Starts a worker process with `posix_spawn`: exactly the descriptors it is
/// given (everything else the server has open is closed in the child,
/// whatever its close-on-exec flag), the environment it is given (nothing
/// inherited), a session and process group of its own, and SIGINT, SIGTERM, SIGPIPE, SIGQUIT
/// and SIGCHLD at their defaults whatever we inherited.
enum ChildSpawner {
    /// - Parameter descriptors: the child's fds 0, 1, 2, ... in order.
    static func spawn(executable: String, arguments: [String], descriptors: [Int32],
                      environment: [String: String]) -> Result<pid_t, SpawnError> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Move the sources out of the way first, so that dup2 onto 0...n
        // never overwrites a source still to be copied: the staging range lies
        // above every source (a fixed one could hold a source itself).
        let base = max(descriptors.max() ?? 0, Int32(descriptors.count)) + 1
        for (index, fd) in descriptors.enumerated() {
            posix_spawn_file_actions_adddup2(&actions, fd, base + Int32(index))
        }
        for index in descriptors.indices {
            posix_spawn_file_actions_adddup2(&actions, base + Int32(index), Int32(index))
        }
        guard sandbox_spawn_add_close_from(&actions, Int32(descriptors.count)) == 0 else {
            return .failure(SpawnError(code: EINVAL))  // never a worker with the server's descriptors
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in [SIGINT, SIGTERM, SIGPIPE, SIGQUIT, SIGCHLD, SIGUSR1, SIGHUP] { sigaddset(&defaults, sig) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        // A session of its own (and so a process group): no controlling
        // terminal, so a program cannot type into the operator's shell
        // through /dev/tty (TIOCSTI), and a Ctrl-C there does not reach it.
        let flags = Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK) | sandbox_spawn_flag_setsid()
        posix_spawnattr_setflags(&attributes, flags)

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let envp: [UnsafeMutablePointer<CChar>?] = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in envp { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        return result == 0 ? .success(pid) : .failure(SpawnError(code: result))
    }
}

/// The `errno` value `posix_spawn` returned.
struct SpawnError: Error {
    var code: Int32
}
