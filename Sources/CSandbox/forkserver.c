// The fork server's system calls: descriptors passed over a UNIX socket
// (SCM_RIGHTS), a child created beside the caller (CLONE_PARENT), and the
// reset a forked child needs before it is a worker like a spawned one.
#define _GNU_SOURCE
#include "CSandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int sandbox_socketpair_seqpacket(int fds[2]) {
    return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds);
}

int sandbox_send_with_fds(int socket, const void *data, size_t length, const int *fds, int count) {
    if (count < 0 || count > SANDBOX_MAX_PASSED_FDS) { errno = EINVAL; return -1; }
    struct iovec iov = {.iov_base = (void *)data, .iov_len = length};
    union {
        char buffer[CMSG_SPACE(sizeof(int) * SANDBOX_MAX_PASSED_FDS)];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1};
    if (count > 0) {
        message.msg_control = control.buffer;
        message.msg_controllen = CMSG_SPACE(sizeof(int) * count);
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int) * count);
        memcpy(CMSG_DATA(header), fds, sizeof(int) * count);
    }
    ssize_t sent;
    do { sent = sendmsg(socket, &message, MSG_NOSIGNAL); } while (sent < 0 && errno == EINTR);
    return sent < 0 ? -1 : (int)sent;
}

long sandbox_receive_with_fds(int socket, void *data, size_t capacity, int *fds, int maximum, int *count) {
    *count = 0;
    struct iovec iov = {.iov_base = data, .iov_len = capacity};
    union {
        char buffer[CMSG_SPACE(sizeof(int) * SANDBOX_MAX_PASSED_FDS)];
        struct cmsghdr align;
    } control;
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buffer,
                             .msg_controllen = sizeof control.buffer};
    ssize_t got;
    do { got = recvmsg(socket, &message, MSG_CMSG_CLOEXEC); } while (got < 0 && errno == EINTR);
    if (got < 0) return -1;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
        int n = (int)((header->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        int *passed = (int *)CMSG_DATA(header);
        for (int i = 0; i < n; i++) {
            if (*count < maximum) fds[(*count)++] = passed[i];
            else close(passed[i]);  // more than asked for: never leak them
        }
    }
    if (message.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) { errno = EMSGSIZE; return -2; }
    return (long)got;
}

pid_t sandbox_clone_beside_parent(void) {
    // Like fork(), but the child's parent is the caller's parent: the server
    // reaps it, signals it through a pidfd, and it outlives the fork server.
    return (pid_t)syscall(SYS_clone, (unsigned long)(CLONE_PARENT | SIGCHLD), 0, NULL, NULL, 0);
}

int sandbox_child_prepare(const int *fds, int count) {
    // Every signal at its default and none blocked (the fork server may differ).
    struct sigaction defaults;
    memset(&defaults, 0, sizeof defaults);
    defaults.sa_handler = SIG_DFL;
    int reset[] = {SIGINT, SIGTERM, SIGPIPE, SIGQUIT, SIGCHLD, SIGUSR1, SIGHUP};
    for (unsigned i = 0; i < sizeof reset / sizeof reset[0]; i++) sigaction(reset[i], &defaults, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    // A session of its own, as posix_spawn's POSIX_SPAWN_SETSID gives a spawned worker.
    if (setsid() < 0) return -1;
    // The passed descriptors become 0 ... count-1, staged above them all first
    // so that no dup2 overwrites a source still to be copied.
    int highest = count;
    for (int i = 0; i < count; i++) if (fds[i] > highest) highest = fds[i];
    int staged[SANDBOX_MAX_PASSED_FDS];
    if (count > SANDBOX_MAX_PASSED_FDS) return -1;
    for (int i = 0; i < count; i++) {
        staged[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, highest + 1);
        if (staged[i] < 0) return -1;
    }
    for (int i = 0; i < count; i++) {
        if (dup2(staged[i], i) < 0) return -1;  // dup2 clears close-on-exec on the copy
    }
    // Nothing else of the fork server's: not its control socket, not the
    // descriptors of other sessions' requests.
    if (syscall(SYS_close_range, (unsigned)count, ~0U, 0) < 0) {
        for (int fd = count; fd < 65536; fd++) close(fd);
    }
    return 0;
}
