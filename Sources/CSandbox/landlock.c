// Landlock for a session's worker: see sandbox_landlock in CSandbox.h.
#define _GNU_SOURCE
#include "CSandbox.h"
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

// Landlock, with the structures of ABI 6 (newer than Debian 12's headers).
#define RT_LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#define RT_LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#define RT_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define RT_LANDLOCK_SCOPE_SIGNAL (1ULL << 1)

struct rt_landlock_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;
    uint64_t scoped;
};

struct rt_landlock_path_beneath_attr {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));

static int add_paths(int ruleset, const char *const *paths, uint64_t access, uint64_t handled) {
    int added = 0;
    for (const char *const *path = paths; path && *path; path++) {
        int fd = open(*path, O_PATH | O_CLOEXEC);
        if (fd < 0) continue;  // a folder this machine does not have
        struct stat info;
        uint64_t allowed = access & handled;
        // Rules on a file may only carry file rights.
        if (fstat(fd, &info) == 0 && !S_ISDIR(info.st_mode)) {
            allowed &= LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |
                       RT_LANDLOCK_ACCESS_FS_TRUNCATE | RT_LANDLOCK_ACCESS_FS_IOCTL_DEV;
        }
        struct rt_landlock_path_beneath_attr rule = {.allowed_access = allowed, .parent_fd = fd};
        if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) == 0) added++;
        close(fd);
    }
    return added;
}

int sandbox_landlock(const char *const *read_paths, const char *const *write_paths, char *report, size_t report_size) {
    if (report && report_size) report[0] = '\0';
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    if (abi < 1) {
        sandbox_report_append(report, report_size, "Landlock is not available (other sessions' files are protected by permissions only)", errno);
        return -1;
    }
    uint64_t handled = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;  // every right of ABI 1
    if (abi >= 2) handled |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3) handled |= RT_LANDLOCK_ACCESS_FS_TRUNCATE;
    if (abi >= 5) handled |= RT_LANDLOCK_ACCESS_FS_IOCTL_DEV;
    struct rt_landlock_ruleset_attr attributes = {.handled_access_fs = handled};
    size_t size = sizeof(uint64_t);
    if (abi >= 6) {
        attributes.scoped = RT_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | RT_LANDLOCK_SCOPE_SIGNAL;
        size = sizeof attributes;
    }
    int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attributes, size, 0);
    if (ruleset < 0) {
        sandbox_report_append(report, report_size, "Landlock ruleset", errno);
        return -1;
    }
    uint64_t read_access = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
    add_paths(ruleset, read_paths, read_access, handled);
    add_paths(ruleset, write_paths, handled, handled);
    // /dev/null and friends are written by every program and library.
    const char *const devices[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/shm", NULL};
    add_paths(ruleset, devices, handled, handled);
    int result = (int)abi;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) {
        sandbox_report_append(report, report_size, "Landlock restrict_self", errno);
        result = -1;
    }
    close(ruleset);
    return result;
}
