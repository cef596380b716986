/*
 * bench_seq.c - the per-(publisher, subscriber) sequence tracker (see
 * bench_seq.h for what it counts and its one bound).
 *
 * Gaps are a sorted array, searched by bisection. Losses and reorderings
 * are rare, so the array is usually empty and the common case (the next
 * number in order) touches two integers.
 */
#include <string.h>

#include "cli/bench_seq.h"
#include "util/alloc.h"

void bench_seq_init(struct bench_seq *s)
{
    memset(s, 0, sizeof *s);
}

void bench_seq_fini(struct bench_seq *s)
{
    xfree(s->gaps);
    bench_seq_init(s);
}

/* Forgets the oldest gap: its numbers stay missing for good. */
static void evict_oldest(struct bench_seq *s)
{
    s->evicted += s->gaps[0].hi - s->gaps[0].lo;
    s->ngaps--;
    memmove(&s->gaps[0], &s->gaps[1], s->ngaps * sizeof s->gaps[0]);
}

/* Inserts gap g at position at (room is made, the oldest evicted if full).
 * Returns the position g ended up at. */
static uint32_t insert_gap(struct bench_seq *s, uint32_t at, struct bench_seq_gap g)
{
    if (s->ngaps == BENCH_SEQ_MAX_GAPS) {
        evict_oldest(s);
        at = at ? at - 1 : 0;
    }
    if (s->ngaps == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4;
        s->gaps = xrealloc(s->gaps, s->cap * sizeof s->gaps[0]);
    }
    memmove(&s->gaps[at + 1], &s->gaps[at], (s->ngaps - at) * sizeof s->gaps[0]);
    s->gaps[at] = g;
    s->ngaps++;
    return at;
}

/* Index of the gap holding seq, or -1. */
static long find_gap(const struct bench_seq *s, uint64_t seq)
{
    uint32_t lo = 0, hi = s->ngaps; /* first gap with gaps[i].hi > seq */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->gaps[mid].hi <= seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->ngaps && s->gaps[lo].lo <= seq)
        return (long)lo;
    return -1;
}

/* Takes seq out of gap i (which holds it). */
static void fill_gap(struct bench_seq *s, uint32_t i, uint64_t seq)
{
    struct bench_seq_gap *g = &s->gaps[i];
    if (g->lo == seq && g->hi == seq + 1) {
        s->ngaps--;
        memmove(&s->gaps[i], &s->gaps[i + 1], (s->ngaps - i) * sizeof s->gaps[0]);
    } else if (g->lo == seq) {
        g->lo++;
    } else if (g->hi == seq + 1) {
        g->hi--;
    } else {
        struct bench_seq_gap upper = {seq + 1, g->hi};
        g->hi = seq;
        insert_gap(s, i + 1, upper);
    }
}

enum bench_seq_result bench_seq_add(struct bench_seq *s, uint64_t seq)
{
    if (seq >= s->next) {
        if (seq > s->next)
            insert_gap(s, s->ngaps, (struct bench_seq_gap){s->next, seq});
        s->next = seq + 1;
        s->received++;
        return BENCH_SEQ_NEW;
    }
    long i = find_gap(s, seq);
    if (i < 0) {
        s->dup++;
        return BENCH_SEQ_DUP;
    }
    fill_gap(s, (uint32_t)i, seq);
    s->received++;
    s->late++;
    return BENCH_SEQ_LATE;
}

bool bench_seq_has(const struct bench_seq *s, uint64_t seq)
{
    return seq < s->next && find_gap(s, seq) < 0;
}

uint64_t bench_seq_missing(const struct bench_seq *s, uint64_t limit)
{
    uint64_t n = s->evicted;
    for (uint32_t i = 0; i < s->ngaps && s->gaps[i].lo < limit; i++)
        n += (s->gaps[i].hi < limit ? s->gaps[i].hi : limit) - s->gaps[i].lo;
    if (limit > s->next)
        n += limit - s->next;
    return n;
}
