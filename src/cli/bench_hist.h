/*
 * bench_hist.h - petrel-bench's latency histogram: log-linear buckets with
 * a bounded relative error, constant memory and O(1) recording.
 *
 * Values (nanoseconds, any uint64_t) below 128 have a bucket each. Above,
 * each power of two [2^k, 2^(k+1)) is split into 128 equal sub-buckets, so
 * a bucket is at most 1/128 of its lower bound wide; quantiles report the
 * bucket's midpoint, which is within 1/256 (0.4 %) of every value in it.
 * 58 groups of 128 cover the whole uint64_t range (59 KiB per histogram).
 *
 * Recording is one count, min/max and an array increment: no allocation,
 * no floating point. A histogram has one owner thread; merge them after
 * the threads are done (bench_hist_merge). Pure: no I/O, no globals.
 */
#ifndef PETREL_CLI_BENCH_HIST_H
#define PETREL_CLI_BENCH_HIST_H

#include <stdint.h>

#define BENCH_HIST_SUB_BITS 7
#define BENCH_HIST_SUB (1u << BENCH_HIST_SUB_BITS)
/* Group 0 holds 0..127 exactly; groups 1..57 hold [2^(g+6), 2^(g+7)). */
#define BENCH_HIST_BUCKETS ((64 - BENCH_HIST_SUB_BITS + 1) * BENCH_HIST_SUB)

struct bench_hist {
    uint64_t count;
    uint64_t min, max; /* exact; min is UINT64_MAX while empty */
    uint64_t b[BENCH_HIST_BUCKETS];
};

/* Empties *h. */
void bench_hist_init(struct bench_hist *h);

/* Records one value. */
void bench_hist_add(struct bench_hist *h, uint64_t v);

/* Adds every value of src to dst. */
void bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src);

/* The q-quantile (0 < q <= 1): the smallest bucket value such that at least
 * ceil(q * count) recorded values are in it or below, reported as the
 * bucket's midpoint clamped to [min, max]. q = 1 gives the exact max.
 * Returns 0 for an empty histogram. */
uint64_t bench_hist_quantile(const struct bench_hist *h, double q);

/* The bucket index of v, and the lowest value and width of bucket i
 * (exposed for the unit tests). */
uint32_t bench_hist_index(uint64_t v);
uint64_t bench_hist_bucket_low(uint32_t i);
uint64_t bench_hist_bucket_width(uint32_t i);

#endif
