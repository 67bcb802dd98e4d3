// The worker's confinement, in C because it runs between fork() calls, where
// only async-signal-safe system calls belong (no Swift runtime, no allocator).
#ifndef RUNTIME_CSANDBOX_H
#define RUNTIME_CSANDBOX_H

#include <stddef.h>
#include <sys/types.h>

/// How a worker process confines itself before it starts Python.
typedef struct {
    /// Create a user namespace (an unprivileged server): the worker keeps the
    /// server's uid but holds no capability outside its namespaces.
    int new_user_namespace;
    /// Create a network namespace holding only loopback (`--worker-network none`).
    int new_network_namespace;
    /// Switch to this uid/gid (a server running as root); -1 keeps the current one.
    long uid;
    long gid;
    /// RLIMIT_NPROC for the session (tasks of its uid in its namespace); 0 for none.
    long max_processes;
    /// `cgroup.procs` files the supervisor joins before anything else starts; NULL-terminated.
    const char *const *cgroup_procs;
} sandbox_config;

/// Confines the calling (single-threaded) process and returns in the process
/// that goes on to run Python: pid 2 of a new PID namespace whose pid 1 is a
/// small init, supervised from outside by the original process (which never
/// returns from here). Returns 0, or -1 when nothing could be confined.
/// `report` receives a line per measure that was refused (empty when all held).
int sandbox_enter(const sandbox_config *config, char *report, size_t report_size);

/// Restricts the calling thread and its future threads and children with
/// Landlock: read and execute beneath `read_paths`, full access beneath
/// `write_paths` (both NULL-terminated), signals and abstract sockets scoped
/// to the session. Returns the ABI used (> 0), or -1 with `report` saying why.
int sandbox_landlock(const char *const *read_paths, const char *const *write_paths, char *report, size_t report_size);

/// A pidfd for `pid` (readable once the process has ended), or -1.
int sandbox_pidfd_open(pid_t pid);

/// pipe2(fds, O_CLOEXEC): both ends close on exec.
int sandbox_pipe_cloexec(int fds[2]);

/// prctl(PR_SET_PDEATHSIG, SIGKILL): this process is killed when its parent
/// ends (a remote worker whose keeper was killed).
int sandbox_die_with_parent(void);

/// accept4(socket, NULL, NULL, SOCK_CLOEXEC): the connection is never
/// inherited by a process started meanwhile.
int sandbox_accept_cloexec(int socket);

/// Sends `signal` to this process's main thread (tgkill): a signal sent to
/// the process from another of its threads is taken by that thread, and a
/// blocking call of the main thread (a sleep) would not be interrupted.
int sandbox_signal_main_thread(int signal);

/// Unblocks every signal and gives each its default action: a process
/// started by someone else's launcher (a Ray job) may inherit SIGINT
/// ignored, and Python installs its KeyboardInterrupt handler only over
/// the default.
void sandbox_reset_signals(void);

/// `posix_spawn_file_actions_addclosefrom_np` on `actions` (a
/// `posix_spawn_file_actions_t *`), which Swift's Glibc module does not export.
int sandbox_spawn_add_close_from(void *actions, int first);

/// `POSIX_SPAWN_SETSID` (a GNU extension Swift's Glibc module does not export).
short sandbox_spawn_flag_setsid(void);

/// The most descriptors one fork-server message carries.
#define SANDBOX_MAX_PASSED_FDS 8

/// A close-on-exec `SOCK_SEQPACKET` UNIX socket pair: the fork server's control channel.
int sandbox_socketpair_seqpacket(int fds[2]);

/// Sends one message with up to ``SANDBOX_MAX_PASSED_FDS`` descriptors
/// (SCM_RIGHTS). Returns the bytes sent, or -1 with errno.
int sandbox_send_with_fds(int socket, const void *data, size_t length, const int *fds, int count);

/// Receives one message and the descriptors it carries (close-on-exec; any
/// past `maximum` are closed). Returns its length, 0 at end of file, -1 with
/// errno, or -2 when the message or its descriptors were cut short.
long sandbox_receive_with_fds(int socket, void *data, size_t capacity, int *fds, int maximum, int *count);

/// fork(), except that the child's parent is the caller's parent
/// (`CLONE_PARENT`): the server, not the fork server, reaps it.
pid_t sandbox_clone_beside_parent(void);

/// In a forked child: every signal at its default and unblocked, a session of
/// its own, `fds` moved to 0 ... count-1 and every other descriptor closed.
/// Returns 0, or -1 with errno.
int sandbox_child_prepare(const int *fds, int count);

/// A close-on-exec, blocking, monotonic timerfd (`timerfd_create`),
/// which Swift's Glibc module does not export; -1 with errno on failure.
int sandbox_timer_create(void);

/// Arms the timerfd `fd` to expire once, `nanoseconds` from now; 0 disarms
/// it. Returns 0, or -1 with errno.
int sandbox_timer_arm(int fd, long long nanoseconds);

#endif
