import CSandbox
import Glibc

/// The pipes a local worker's forked copies (`os.fork`, multiprocessing)
/// write their `sys.stdout` and `sys.stderr` to. The worker's
/// ``RawOutputForwarder`` reads them and sends output frames, and drains
/// them before each frame of its own: so a copy's line keeps its place
/// against the worker's own output. (Written to the raw pipes instead, which
/// the runtime reads apart from the frames, a Pool worker's line could
/// arrive before the header its parent printed first.)
///
/// Close-on-exec: copies inherit them (a fork keeps every descriptor), the
/// program's subprocesses do not (they write to fds 1 and 2).
struct CopyOutput {
    var stdout: (read: Int32, write: Int32)
    var stderr: (read: Int32, write: Int32)

    /// The two pipes, or nil when the kernel gave none (copies then write
    /// to fds 1 and 2).
    static func make() -> CopyOutput? {
        var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
        guard sandbox_pipe_cloexec(&out) == 0 else { return nil }
        guard sandbox_pipe_cloexec(&err) == 0 else {
            close(out[0])
            close(out[1])
            return nil
        }
        return CopyOutput(stdout: (out[0], out[1]), stderr: (err[0], err[1]))
    }
}
