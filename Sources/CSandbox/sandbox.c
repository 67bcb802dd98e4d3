// A session worker's confinement. See Docs/Security.md for the threat model.
//
// sandbox_enter() turns the freshly spawned worker process into three:
//
//   S  the supervisor, the process the server spawned and signals. It stays in
//      the server's namespaces, joins the session's cgroups, creates the new
//      namespaces and forwards SIGINT/SIGUSR1 inward. When the server goes
//      away (its end of fd 0 closes) or kills it, the session ends with it.
//   I  pid 1 of the session's PID namespace: mounts a /proc that shows only
//      the session, a private /dev/shm, brings loopback up, drops to the
//      session's identity, reaps orphans and reports the worker's end to S.
//      When I ends, the kernel kills every process left in the namespace.
//   W  pid 2, the worker proper: sandbox_enter() returns here, and Python
//      starts. A program can neither see nor signal S, the server or another
//      session, and nothing it starts outlives I.
//
// Everything between the fork() calls uses only async-signal-safe calls.
#define _GNU_SOURCE
#include "CSandbox.h"
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

void sandbox_report_append(char *report, size_t size, const char *what, int error) {
    if (!report || size == 0) return;
    size_t used = strnlen(report, size);
    if (used + 1 >= size) return;
    snprintf(report + used, size - used, "%s%s%s%s", used ? "; " : "", what, error ? ": " : "", error ? strerror(error) : "");
}

static int write_text(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    size_t length = strlen(text);
    ssize_t written = write(fd, text, length);
    int error = written == (ssize_t)length ? 0 : (written < 0 ? errno : EIO);
    close(fd);
    return error;
}

static void signal_set(sigset_t *set) {
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGCHLD);
    sigaddset(set, SIGUSR1);
}

// S and I read the session's signals (blocked since before the fork) from a
// signalfd; without one neither can do its job, so the session ends.
static int session_signals(void) {
    sigset_t set;
    signal_set(&set);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0) _exit(70);
    return sfd;
}

// Ends this process the way `status` says its child ended, so that the server
// sees the worker's own exit code or signal.
static void exit_like(int status) {
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        struct rlimit none = {0, 0};
        setrlimit(RLIMIT_CORE, &none);
        signal(sig, SIG_DFL);
        sigset_t only;
        sigemptyset(&only);
        sigaddset(&only, sig);
        sigprocmask(SIG_UNBLOCK, &only, NULL);
        raise(sig);
        _exit(128 + sig);
    }
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 70);
}

// Whether fd 4 was open when the session was made: a local worker's reply
// pipe (any other, a remote worker's inheritance, is no business of S or I).
// Noted before S's and I's own pipes are made, which may then take 4.
static int reply_pipe_open;

// S: forwards signals inward and ends the session when the server goes away.
static void supervise(pid_t init, int status_read) __attribute__((noreturn));
static void supervise(pid_t init, int status_read) {
    // The frame, output and reply pipes belong to the worker: holding them
    // here would hide the worker's end from the server.
    close(1);
    close(2);
    close(3);
    if (reply_pipe_open) close(4);
    int sfd = session_signals();
    struct pollfd fds[2] = {{.fd = 0, .events = 0}, {.fd = sfd, .events = POLLIN}};
    int server_gone = 0;
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            kill(init, SIGKILL);
            server_gone = 1;
        }
        if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
            // The server closed its end of the requests: nobody is left to
            // talk to, so the whole session ends now.
            fds[0].fd = -1;
            server_gone = 1;
            kill(init, SIGKILL);
        }
        if (fds[1].revents & POLLIN) {
            struct signalfd_siginfo info;
            while (read(sfd, &info, sizeof info) == (ssize_t)sizeof info) {
                switch (info.ssi_signo) {
                case SIGINT: kill(init, SIGINT); break;
                case SIGUSR1: kill(init, SIGUSR1); break;
                case SIGTERM:
                case SIGHUP: kill(init, SIGKILL); break;
                case SIGCHLD: {
                    int status = 0;
                    pid_t ended = waitpid(init, &status, WNOHANG);
                    if (ended == init) {
                        int worker_status = 0;
                        if (!server_gone && read(status_read, &worker_status, sizeof worker_status) == (ssize_t)sizeof worker_status) {
                            exit_like(worker_status);
                        }
                        exit_like(status);
                    }
                    break;
                }
                default: break;
                }
                if (info.ssi_signo == SIGCHLD) break;
            }
        }
    }
}

// I: kills every process of the namespace but itself and the worker. Should
// the worker end meanwhile, its end is reported as the SIGCHLD path does.
static void kill_stragglers(pid_t worker, int status_write) {
    for (int pass = 0; pass < 16; pass++) {
        DIR *proc = opendir("/proc");
        if (!proc) return;
        int found = 0;
        struct dirent *entry;
        while ((entry = readdir(proc)) != NULL) {
            char *end = NULL;
            long pid = strtol(entry->d_name, &end, 10);
            if (!end || *end != '\0' || pid <= 1 || pid == worker) continue;
            if (kill((pid_t)pid, SIGKILL) == 0) found = 1;
        }
        closedir(proc);
        int status;
        pid_t ended;
        while ((ended = waitpid(-1, &status, WNOHANG)) > 0) {
            if (ended == worker) {
                (void)!write(status_write, &status, sizeof status);
                _exit(0);
            }
        }
        if (!found) return;
    }
}

// I: pid 1 of the session. Reaps, forwards, and reports the worker's end.
static void serve_as_init(pid_t worker, int status_write) __attribute__((noreturn));
static void serve_as_init(pid_t worker, int status_write) {
    close(0);
    close(1);
    close(2);
    close(3);
    if (reply_pipe_open) close(4);
    int sfd = session_signals();
    for (;;) {
        struct signalfd_siginfo info;
        ssize_t got = read(sfd, &info, sizeof info);
        if (got != (ssize_t)sizeof info) {
            if (got < 0 && errno == EINTR) continue;
            _exit(70);
        }
        switch (info.ssi_signo) {
        // To the worker's main thread, which runs the program: a signal sent
        // to the process may be taken by another of its threads, and then
        // Python's handler runs only once the main thread's blocking call
        // (a time.sleep) returns by itself.
        case SIGINT: syscall(SYS_tgkill, worker, worker, SIGINT); break;
        case SIGUSR1: kill_stragglers(worker, status_write); break;
        case SIGCHLD: {
            int status = 0;
            pid_t ended;
            while ((ended = waitpid(-1, &status, WNOHANG)) > 0) {
                if (ended == worker) {
                    (void)!write(status_write, &status, sizeof status);
                    _exit(0);  // the kernel now ends every process left here
                }
            }
            break;
        }
        default: break;  // SIGTERM/SIGHUP from inside the session mean nothing
        }
    }
}

static int bring_loopback_up(void) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno;
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
    int error = 0;
    if (ioctl(fd, SIOCGIFFLAGS, &request) < 0) {
        error = errno;
    } else {
        request.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(fd, SIOCSIFFLAGS, &request) < 0) error = errno;
    }
    close(fd);
    return error;
}

static int drop_capabilities(void) {
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    for (int cap = 0; cap <= 63; cap++) {
        if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
    }
    return syscall(SYS_capset, &header, data) == 0 ? 0 : errno;
}

// Measures that apply with or without namespaces: identity, no new
// privileges, process count.
static void apply_identity(const sandbox_config *config, int in_user_namespace, char *report, size_t size) {
    if (config->uid >= 0) {
        gid_t gid = (gid_t)(config->gid >= 0 ? config->gid : config->uid);
        // Never run a program with the server's identity or groups by accident.
        if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 ||
            setresuid((uid_t)config->uid, (uid_t)config->uid, (uid_t)config->uid) != 0) _exit(75);
    } else if (in_user_namespace) {
        if (drop_capabilities() != 0) _exit(75);
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) sandbox_report_append(report, size, "no_new_privs", errno);
    if (config->max_processes > 0) {
        struct rlimit limit = {(rlim_t)config->max_processes, (rlim_t)config->max_processes};
        if (setrlimit(RLIMIT_NPROC, &limit) != 0) sandbox_report_append(report, size, "RLIMIT_NPROC", errno);
    }
}

int sandbox_enter(const sandbox_config *config, char *report, size_t report_size) {
    if (report && report_size) report[0] = '\0';
    char pid_text[32];
    snprintf(pid_text, sizeof pid_text, "%d\n", (int)getpid());
    for (const char *const *path = config->cgroup_procs; path && *path; path++) {
        int error = write_text(*path, pid_text);
        if (error) sandbox_report_append(report, report_size, *path, error);
    }

    uid_t outer_uid = getuid();
    gid_t outer_gid = getgid();
    int flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS;
    if (config->new_network_namespace) flags |= CLONE_NEWNET;
    if (config->new_user_namespace) flags |= CLONE_NEWUSER;
    if (unshare(flags) != 0) {
        sandbox_report_append(report, report_size, "namespaces refused (no PID, mount or network isolation)", errno);
        apply_identity(config, 0, report, report_size);
        return -1;
    }
    if (config->new_user_namespace) {
        char map[64];
        write_text("/proc/self/setgroups", "deny");
        snprintf(map, sizeof map, "%u %u 1\n", (unsigned)outer_uid, (unsigned)outer_uid);
        int error = write_text("/proc/self/uid_map", map);
        if (error) sandbox_report_append(report, report_size, "uid_map", error);
        snprintf(map, sizeof map, "%u %u 1\n", (unsigned)outer_gid, (unsigned)outer_gid);
        error = write_text("/proc/self/gid_map", map);
        if (error) sandbox_report_append(report, report_size, "gid_map", error);
    }

    // Signals wait in the queue until S and I read them from a signalfd.
    sigset_t set, previous;
    signal_set(&set);
    sigprocmask(SIG_BLOCK, &set, &previous);
    int alive[2], status_pipe[2];
    reply_pipe_open = fcntl(4, F_GETFD) >= 0;
    if (pipe2(alive, O_CLOEXEC) != 0 || pipe2(status_pipe, O_CLOEXEC) != 0) _exit(73);
    pid_t init = fork();
    if (init < 0) _exit(73);  // namespaces made but no init: never run unconfined
    if (init > 0) {
        close(alive[0]);
        close(status_pipe[1]);
        supervise(init, status_pipe[0]);
    }

    // I, pid 1 of the new namespace. It dies with S (whose end of `alive`
    // stays open for S's lifetime: a HUP means S is already gone).
    close(alive[1]);
    close(status_pipe[0]);

    // Mounts made without private propagation would reach the host's tree.
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) _exit(74);
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
        sandbox_report_append(report, report_size, "a /proc of the session's own", errno);
    if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=268435456") != 0)
        sandbox_report_append(report, report_size, "a private /dev/shm", errno);
    if (config->new_network_namespace) {
        int error = bring_loopback_up();
        if (error) sandbox_report_append(report, report_size, "loopback", error);
    }
    sethostname("session", 7);
    apply_identity(config, config->new_user_namespace, report, report_size);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);  // the program may not ptrace its init
    // After the identity switch, which clears it: I dies with S. If S is
    // already gone (its end of `alive` closed), end now.
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    struct pollfd check = {.fd = alive[0], .events = 0};
    if (poll(&check, 1, 0) > 0 && (check.revents & POLLHUP)) _exit(0);

    pid_t worker = fork();
    if (worker < 0) _exit(71);
    if (worker > 0) {
        close(alive[0]);
        serve_as_init(worker, status_pipe[1]);
    }
    // W: the worker.
    close(alive[0]);
    close(status_pipe[1]);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    sigprocmask(SIG_SETMASK, &previous, NULL);
    return 0;
}

short sandbox_spawn_flag_setsid(void) { return POSIX_SPAWN_SETSID; }

int sandbox_spawn_add_close_from(void *actions, int first) {
    return posix_spawn_file_actions_addclosefrom_np((posix_spawn_file_actions_t *)actions, first);
}

int sandbox_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}


int sandbox_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int sandbox_die_with_parent(void) {
    return prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
}

int sandbox_accept_cloexec(int socket) {
    return accept4(socket, NULL, NULL, SOCK_CLOEXEC);
}

int sandbox_signal_main_thread(int signal) {
    return (int)syscall(SYS_tgkill, getpid(), getpid(), signal);
}

void sandbox_reset_signals(void) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int number = 1; number < 32; number++) {
        if (number == SIGKILL || number == SIGSTOP) continue;
        signal(number, SIG_DFL);
    }
}
