/*
 * test_bench_hist.c - src/cli/bench_hist.c: bucket boundaries, the 1 %
 * error bound of quantiles over known distributions, extremes, merging.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/bench_hist.h"

static struct bench_hist h, h2;

/* |got - want| <= 1 % of want. */
static void assert_within_1pct(uint64_t got, uint64_t want)
{
    double err = got > want ? (double)(got - want) : (double)(want - got);
    if (err > 0.01 * (double)want)
        fail_msg("got %llu, want %llu (error %.3f %%)", (unsigned long long)got,
                 (unsigned long long)want, 100.0 * err / (double)want);
}

static void test_index_layout(void **state)
{
    /* Below 128: one bucket per value. */
    for (uint64_t v = 0; v < 128; v++) {
        assert_int_equal(bench_hist_index(v), v);
        assert_int_equal(bench_hist_bucket_width((uint32_t)v), 1);
    }
    /* Every bucket holds the values from its low to low + width - 1 and is
     * at most 1/128 of its low bound wide. */
    static const uint64_t probes[] = {
        128,       129, 255, 256, 1000, 123456789, 1ull << 40, (1ull << 40) - 1, UINT64_MAX / 3,
        UINT64_MAX};
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        uint64_t v = probes[i];
        uint32_t b = bench_hist_index(v);
        assert_true(b < BENCH_HIST_BUCKETS);
        uint64_t lo = bench_hist_bucket_low(b), w = bench_hist_bucket_width(b);
        assert_true(lo <= v);
        assert_true(v - lo < w);
        assert_true(w * 128 <= lo);
    }
    assert_int_equal(bench_hist_index(UINT64_MAX), BENCH_HIST_BUCKETS - 1);
    /* Consecutive buckets touch: no value falls between them. */
    for (uint32_t b = 0; b + 1 < BENCH_HIST_BUCKETS; b++)
        assert_int_equal(bench_hist_bucket_low(b) + bench_hist_bucket_width(b),
                         bench_hist_bucket_low(b + 1));
}

static void test_uniform_quantiles(void **state)
{
    bench_hist_init(&h);
    for (uint64_t v = 1; v <= 1000000; v++)
        bench_hist_add(&h, v * 1000); /* 1 us .. 1 s in ns */
    assert_int_equal(h.count, 1000000);
    assert_within_1pct(bench_hist_quantile(&h, 0.5), 500000000ull);
    assert_within_1pct(bench_hist_quantile(&h, 0.9), 900000000ull);
    assert_within_1pct(bench_hist_quantile(&h, 0.99), 990000000ull);
    assert_within_1pct(bench_hist_quantile(&h, 0.999), 999000000ull);
    assert_int_equal(bench_hist_quantile(&h, 1.0), 1000000000ull);
    assert_int_equal(h.min, 1000);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* A long-tailed distribution (like latencies): every quantile from 1 % to
 * 99.9 % is within 1 % of the exact one from the sorted samples. */
static void test_long_tail_quantiles(void **state)
{
    enum { N = 200000 };
    uint64_t *v = malloc(N * sizeof *v);
    assert_non_null(v);
    uint64_t x = 88172645463325252ull; /* xorshift64: reproducible */
    bench_hist_init(&h);
    for (size_t i = 0; i < N; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double u = (double)(x >> 11) / 9007199254740992.0;       /* [0, 1) */
        v[i] = 20000 + (uint64_t)(50000.0 / (1.0 - u * 0.9999)); /* ~70 us .. 500 ms */
        bench_hist_add(&h, v[i]);
    }
    qsort(v, N, sizeof *v, cmp_u64);
    static const double qs[] = {0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        size_t rank = (size_t)(qs[i] * N + 0.999999); /* ceil */
        assert_within_1pct(bench_hist_quantile(&h, qs[i]), v[rank - 1]);
    }
    assert_int_equal(bench_hist_quantile(&h, 1.0), v[N - 1]);
    assert_int_equal(h.min, v[0]);
    free(v);
}

static void test_small_exact_and_empty(void **state)
{
    bench_hist_init(&h);
    assert_int_equal(bench_hist_quantile(&h, 0.5), 0);
    assert_int_equal(bench_hist_quantile(&h, 1.0), 0);
    bench_hist_add(&h, 7);
    assert_int_equal(bench_hist_quantile(&h, 0.5), 7);
    assert_int_equal(bench_hist_quantile(&h, 0.999), 7);
    bench_hist_add(&h, 100);
    bench_hist_add(&h, 3);
    assert_int_equal(bench_hist_quantile(&h, 0.34), 7);
    assert_int_equal(bench_hist_quantile(&h, 0.33), 3);
    assert_int_equal(bench_hist_quantile(&h, 1.0), 100);
    /* One value in a wide bucket: reported exactly (clamped to min/max). */
    bench_hist_init(&h);
    bench_hist_add(&h, 123456789);
    assert_int_equal(bench_hist_quantile(&h, 0.5), 123456789);
}

static void test_merge(void **state)
{
    bench_hist_init(&h);
    bench_hist_init(&h2);
    for (uint64_t v = 1; v <= 1000; v++)
        bench_hist_add(v % 2 ? &h : &h2, v * 1000);
    bench_hist_merge(&h, &h2);
    assert_int_equal(h.count, 1000);
    assert_int_equal(h.min, 1000);
    assert_int_equal(h.max, 1000000);
    assert_within_1pct(bench_hist_quantile(&h, 0.5), 500000);
    assert_within_1pct(bench_hist_quantile(&h, 0.99), 990000);
    bench_hist_init(&h2);
    bench_hist_merge(&h, &h2); /* an empty one changes nothing */
    assert_int_equal(h.count, 1000);
    assert_int_equal(h.min, 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_layout),
        cmocka_unit_test(test_uniform_quantiles),
        cmocka_unit_test(test_long_tail_quantiles),
        cmocka_unit_test(test_small_exact_and_empty),
        cmocka_unit_test(test_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
