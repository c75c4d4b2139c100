/*
 * A companion to Debian's libfaketime 0.9.10 for the shifted-clock test run.
 *
 * libfaketime moves CLOCK_MONOTONIC along with the wall clock but does not intercept
 * sem_clockwait(), which CPython (3.11+, glibc 2.34+) uses for every timed lock wait:
 * threading.Event.wait(timeout), Condition.wait(timeout), queue.get(timeout)... The deadline
 * Python computes on the faked monotonic clock then lies 400 days ahead of the real one, and the
 * wait never times out. This library converts such a deadline back to the real monotonic clock,
 * keeping the time left to wait as the faked clock sees it. Nothing else changes.
 *
 * Built and preloaded next to libfaketime by scripts/test; never part of the service.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <semaphore.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

typedef int (*sem_clockwait_fn)(sem_t *, clockid_t, const struct timespec *);

int sem_clockwait(sem_t *sem, clockid_t clock, const struct timespec *deadline) {
    static sem_clockwait_fn real_sem_clockwait;
    if (real_sem_clockwait == NULL) {
        real_sem_clockwait = (sem_clockwait_fn)dlsym(RTLD_NEXT, "sem_clockwait");
    }
    if (clock != CLOCK_MONOTONIC) {
        return real_sem_clockwait(sem, clock, deadline);
    }
    struct timespec faked_now, real_now;
    clock_gettime(CLOCK_MONOTONIC, &faked_now);             /* libfaketime's answer */
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &real_now); /* the kernel's */
    long long left_ns = (long long)(deadline->tv_sec - faked_now.tv_sec) * 1000000000LL
                        + (deadline->tv_nsec - faked_now.tv_nsec);
    if (left_ns < 0) {
        left_ns = 0;
    }
    long long real_ns = (long long)real_now.tv_sec * 1000000000LL + real_now.tv_nsec + left_ns;
    struct timespec real_deadline = {real_ns / 1000000000LL, real_ns % 1000000000LL};
    return real_sem_clockwait(sem, clock, &real_deadline);
}
