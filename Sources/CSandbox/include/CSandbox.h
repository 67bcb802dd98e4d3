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

/// `posix_spawn_file_actions_addclosefrom_np` on `actions` (a
/// `posix_spawn_file_actions_t *`), which Swift's Glibc module does not export.
int sandbox_spawn_add_close_from(void *actions, int first);

/// `POSIX_SPAWN_SETSID` (a GNU extension Swift's Glibc module does not export).
short sandbox_spawn_flag_setsid(void);

#endif
