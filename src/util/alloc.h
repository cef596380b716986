/*
 * alloc.h - allocation wrappers that never return NULL.
 *
 * A failed allocation aborts with a message (redis zmalloc). Limits on
 * packet size, queued bytes and connections keep the broker away from that
 * point; client-controlled sizes are checked before anything is allocated.
 * xfree() sets the pointer to NULL (haproxy ha_free).
 */
#ifndef PETREL_UTIL_ALLOC_H
#define PETREL_UTIL_ALLOC_H

#include <stddef.h>
#include <stdlib.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
/* Copies n bytes and appends a NUL, so the copy is also usable as a C string. */
char *xmemdup(const void *p, size_t n);
char *xstrdup(const char *s);

#define xfree(p)                                                                                   \
    do {                                                                                           \
        free(p);                                                                                   \
        (p) = NULL;                                                                                \
    } while (0)

#endif
