/*
 * clock.h - monotonic and wall-clock time, and random bytes.
 */
#ifndef PETREL_UTIL_CLOCK_H
#define PETREL_UTIL_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Monotonic milliseconds since an arbitrary epoch. */
static inline uint64_t clock_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Monotonic nanoseconds. */
static inline uint64_t clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Wall-clock seconds since the Unix epoch. */
static inline int64_t clock_wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

/* Wall-clock milliseconds since the Unix epoch (stored times that must
 * mean the same after a restart). */
static inline uint64_t clock_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Fills buf with n cryptographically random bytes (getrandom). Aborts if
 * the kernel cannot supply them. */
void rand_bytes(void *buf, size_t n);

#endif
