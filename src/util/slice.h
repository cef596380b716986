/*
 * slice.h - a borrowed run of bytes: pointer plus length.
 *
 * Every protocol string and binary field (topics, client ids, user names,
 * passwords, payloads, property values) travels as a slice, never as a
 * NUL-terminated string: MQTT payloads may contain zero bytes, and decoded
 * fields point into the receive buffer without copying (STYLE.md section 6).
 * A slice does not own its bytes; whoever hands one out says how long it
 * stays valid.
 */
#ifndef PETREL_UTIL_SLICE_H
#define PETREL_UTIL_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct slice {
    const uint8_t *ptr; /* NULL only when len == 0 */
    size_t len;
};

/* A slice over a string literal, without its terminating NUL. */
#define SLICE_LIT(s) ((struct slice){(const uint8_t *)(s), sizeof(s) - 1})
#define SLICE_NULL ((struct slice){NULL, 0})

static inline struct slice slice_make(const void *p, size_t n)
{
    return (struct slice){(const uint8_t *)p, n};
}

/* A slice over a C string (configuration, command line; never wire data). */
static inline struct slice slice_cstr(const char *s)
{
    return (struct slice){(const uint8_t *)s, s ? strlen(s) : 0};
}

static inline bool slice_eq(struct slice a, struct slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static inline bool slice_eq_cstr(struct slice a, const char *s)
{
    return slice_eq(a, slice_cstr(s));
}

static inline bool slice_starts_with(struct slice a, struct slice prefix)
{
    return a.len >= prefix.len && (prefix.len == 0 || memcmp(a.ptr, prefix.ptr, prefix.len) == 0);
}

#endif
