/*
 * hash.h - byte hashing and an intrusive chained hash table.
 *
 * hash_bytes() is a seeded 64-bit hash (wyhash-style multiply-mix); the
 * seed is random per process so clients cannot aim for one bucket.
 * struct htable stores struct hnode embedded in the caller's element; the
 * caller compares keys, so the table works for any key shape. It grows by
 * doubling and never shrinks below its initial size. Not thread-safe: each
 * table has one owner thread, named where it is declared.
 */
#ifndef PETREL_UTIL_HASH_H
#define PETREL_UTIL_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/slice.h"

uint64_t hash_bytes(const void *p, size_t n, uint64_t seed);

static inline uint64_t hash_slice(struct slice s, uint64_t seed)
{
    return hash_bytes(s.ptr, s.len, seed);
}

struct hnode {
    struct hnode *next;
    uint64_t hash;
};

struct htable {
    struct hnode **buckets; /* owned */
    size_t mask;            /* buckets - 1, a power of two minus one */
    size_t count;
};

void htable_init(struct htable *t, size_t initial);
void htable_fini(struct htable *t);
void htable_insert(struct htable *t, struct hnode *n, uint64_t hash);
void htable_remove(struct htable *t, struct hnode *n);

/* Iteration over the nodes with a given hash: first, then next until NULL.
 * Callers compare keys themselves. */
static inline struct hnode *htable_first(const struct htable *t, uint64_t hash)
{
    if (!t->buckets)
        return NULL;
    struct hnode *n = t->buckets[hash & t->mask];
    while (n && n->hash != hash)
        n = n->next;
    return n;
}

static inline struct hnode *htable_next(struct hnode *n)
{
    uint64_t h = n->hash;
    n = n->next;
    while (n && n->hash != h)
        n = n->next;
    return n;
}

/* Calls fn for every node; fn may not modify the table. */
void htable_each(struct htable *t, void (*fn)(struct hnode *, void *), void *arg);

#endif
