/*
 * bench_seq.h - what one subscriber received from one publisher, counted
 * exactly: distinct messages, duplicates and late (reordered) arrivals,
 * and how many of the numbers a publisher sent are missing.
 *
 * A publisher numbers its messages 0, 1, 2, ...; the tracker keeps `next`
 * (one past the highest number seen) and the sorted list of gaps below it
 * (numbers skipped so far). A number >= next is new (and may open a gap),
 * a number inside a gap is a late arrival (it closes part of the gap; one
 * reordering), any other number below next is a duplicate. Memory is one
 * small struct while messages arrive in order; gaps cost 16 bytes each and
 * are allocated only when they appear, never per message.
 *
 * Exactness has one bound: a pair keeps at most BENCH_SEQ_MAX_GAPS gaps.
 * Beyond that the oldest gap is forgotten and its numbers counted missing
 * for good (`evicted`); one of them arriving later is then counted as a
 * duplicate. With the generator's end-to-end window this needs thousands
 * of separate losses within one pair.
 *
 * One owner thread per tracker; pure (no I/O, no globals).
 */
#ifndef PETREL_CLI_BENCH_SEQ_H
#define PETREL_CLI_BENCH_SEQ_H

#include <stdbool.h>
#include <stdint.h>

#define BENCH_SEQ_MAX_GAPS 4096u

enum bench_seq_result {
    BENCH_SEQ_NEW = 0, /* the highest number so far (it may open a gap below it) */
    BENCH_SEQ_LATE,    /* first time seen, after a higher number: a reordering */
    BENCH_SEQ_DUP,     /* seen before */
};

/* Numbers lo..hi-1 not received (yet). */
struct bench_seq_gap {
    uint64_t lo, hi;
};

struct bench_seq {
    uint64_t next;              /* one past the highest number seen; 0 before the first */
    uint64_t received;          /* distinct numbers received */
    uint64_t dup;               /* arrivals of a number already received */
    uint64_t late;              /* arrivals that filled a gap (reorderings) */
    uint64_t evicted;           /* numbers of forgotten gaps (counted missing) */
    struct bench_seq_gap *gaps; /* owned; sorted, disjoint, all below next */
    uint32_t ngaps, cap;
};

/* Empties *s (no allocation). */
void bench_seq_init(struct bench_seq *s);

/* Frees the gap list; *s is empty afterwards. */
void bench_seq_fini(struct bench_seq *s);

/* Records the arrival of number seq and says what it was. */
enum bench_seq_result bench_seq_add(struct bench_seq *s, uint64_t seq);

/* True when seq has been received (false for numbers in gaps, at or above
 * next, or forgotten with an evicted gap's neighbours unknown: see above). */
bool bench_seq_has(const struct bench_seq *s, uint64_t seq);

/* How many of the numbers 0..limit-1 have not been received: the gaps, the
 * evicted numbers, and limit - next when limit is beyond what was seen.
 * limit is normally the count the publisher sent. */
uint64_t bench_seq_missing(const struct bench_seq *s, uint64_t limit);

#endif
