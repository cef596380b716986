/*
 * hash.c - seeded byte hash and intrusive hash table (see hash.h).
 */
#include "util/hash.h"

#include <string.h>

#include "util/alloc.h"

static inline uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline uint64_t mix(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t hash_bytes(const void *data, size_t n, uint64_t seed)
{
    const uint8_t *p = data;
    const uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull;
    uint64_t h = seed ^ k0 ^ (uint64_t)n;
    while (n >= 8) {
        h = mix(h ^ rd64(p), k1);
        p += 8;
        n -= 8;
    }
    /* The last 0..7 bytes in at most two loads, overlapping, that together
     * cover every byte (no byte-wise copy into a stack word: a load from
     * bytes just stored one at a time stalls). */
    uint64_t tail = 0;
    if (n >= 4)
        tail = (uint64_t)rd32(p) << 32 | rd32(p + n - 4);
    else if (n > 0)
        tail = (uint64_t)p[0] << 16 | (uint64_t)p[n >> 1] << 8 | p[n - 1];
    h = mix(h ^ tail ^ ((uint64_t)n << 56), k1);
    return mix(h, k0 ^ k1);
}

void htable_init(struct htable *t, size_t initial)
{
    size_t n = 8;
    while (n < initial)
        n *= 2;
    t->buckets = xcalloc(n, sizeof *t->buckets);
    t->mask = n - 1;
    t->count = 0;
}

void htable_fini(struct htable *t)
{
    xfree(t->buckets);
    t->mask = 0;
    t->count = 0;
}

static void grow(struct htable *t)
{
    size_t n = (t->mask + 1) * 2;
    struct hnode **b = xcalloc(n, sizeof *b);
    for (size_t i = 0; i <= t->mask; i++) {
        struct hnode *e = t->buckets[i];
        while (e) {
            struct hnode *next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
            e = next;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->mask = n - 1;
}

void htable_insert(struct htable *t, struct hnode *n, uint64_t hash)
{
    if (!t->buckets)
        htable_init(t, 8);
    if (t->count >= t->mask + 1)
        grow(t);
    n->hash = hash;
    n->next = t->buckets[hash & t->mask];
    t->buckets[hash & t->mask] = n;
    t->count++;
}

void htable_remove(struct htable *t, struct hnode *n)
{
    struct hnode **pp = &t->buckets[n->hash & t->mask];
    while (*pp) {
        if (*pp == n) {
            *pp = n->next;
            n->next = NULL;
            t->count--;
            return;
        }
        pp = &(*pp)->next;
    }
}

void htable_each(struct htable *t, void (*fn)(struct hnode *, void *), void *arg)
{
    if (!t->buckets)
        return;
    for (size_t i = 0; i <= t->mask; i++) {
        struct hnode *e = t->buckets[i];
        while (e) {
            struct hnode *next = e->next;
            fn(e, arg);
            e = next;
        }
    }
}
