/*
 * bench_hist.c - the log-linear latency histogram (see bench_hist.h for
 * the bucket layout and its error bound).
 */
#include <math.h>
#include <string.h>

#include "cli/bench_hist.h"

void bench_hist_init(struct bench_hist *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

uint32_t bench_hist_index(uint64_t v)
{
    if (v < BENCH_HIST_SUB)
        return (uint32_t)v;
    unsigned k = 63u - (unsigned)__builtin_clzll(v); /* 2^k <= v < 2^(k+1), k >= 7 */
    unsigned shift = k - BENCH_HIST_SUB_BITS;
    uint32_t sub = (uint32_t)(v >> shift) - BENCH_HIST_SUB; /* 0..127 */
    return (k - BENCH_HIST_SUB_BITS + 1) * BENCH_HIST_SUB + sub;
}

uint64_t bench_hist_bucket_low(uint32_t i)
{
    uint32_t g = i / BENCH_HIST_SUB, sub = i % BENCH_HIST_SUB;
    if (g == 0)
        return sub;
    return (uint64_t)(BENCH_HIST_SUB + sub) << (g - 1);
}

uint64_t bench_hist_bucket_width(uint32_t i)
{
    uint32_t g = i / BENCH_HIST_SUB;
    return g == 0 ? 1 : (uint64_t)1 << (g - 1);
}

void bench_hist_add(struct bench_hist *h, uint64_t v)
{
    h->count++;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
    h->b[bench_hist_index(v)]++;
}

void bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src)
{
    if (!src->count)
        return;
    dst->count += src->count;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
    for (uint32_t i = 0; i < BENCH_HIST_BUCKETS; i++)
        dst->b[i] += src->b[i];
}

uint64_t bench_hist_quantile(const struct bench_hist *h, double q)
{
    if (!h->count)
        return 0;
    if (q >= 1.0)
        return h->max;
    uint64_t rank = (uint64_t)ceil(q * (double)h->count);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (uint32_t i = 0; i < BENCH_HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen < rank)
            continue;
        /* The midpoint; the exact extremes are better where they fall in it. */
        uint64_t v = bench_hist_bucket_low(i) + bench_hist_bucket_width(i) / 2;
        if (v < h->min)
            v = h->min;
        if (v > h->max)
            v = h->max;
        return v;
    }
    return h->max;
}
