// A one-shot monotonic timer as a descriptor, for the worker's request
// threads (the reading handed over when a request runs long).

#include "CSandbox.h"

#include <sys/timerfd.h>
#include <time.h>

int sandbox_timer_create(void) {
    return timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
}

int sandbox_timer_arm(int fd, long long nanoseconds) {
    struct itimerspec value = {0};
    value.it_value.tv_sec = (time_t)(nanoseconds / 1000000000LL);
    value.it_value.tv_nsec = (long)(nanoseconds % 1000000000LL);
    return timerfd_settime(fd, 0, &value, NULL);
}
