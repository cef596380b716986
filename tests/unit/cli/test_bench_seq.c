/*
 * test_bench_seq.c - src/cli/bench_seq.c: the loss, duplicate and
 * reordering counts of one (publisher, subscriber) pair, case by case, and
 * against a brute-force model on random arrival orders.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/bench_seq.h"

static void add_all(struct bench_seq *s, const uint64_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        bench_seq_add(s, v[i]);
}

static void test_in_order(void **state)
{
    struct bench_seq s;
    bench_seq_init(&s);
    for (uint64_t i = 0; i < 1000; i++)
        assert_int_equal(bench_seq_add(&s, i), BENCH_SEQ_NEW);
    assert_int_equal(s.received, 1000);
    assert_int_equal(s.dup, 0);
    assert_int_equal(s.late, 0);
    assert_int_equal(s.ngaps, 0);
    assert_null(s.gaps); /* nothing allocated while in order */
    assert_int_equal(bench_seq_missing(&s, 1000), 0);
    assert_int_equal(bench_seq_missing(&s, 1005), 5); /* sent, never seen */
    assert_true(bench_seq_has(&s, 999));
    assert_false(bench_seq_has(&s, 1000));
    bench_seq_fini(&s);
}

/* The injections of the integration test: one dropped, one duplicated,
 * two swapped. */
static void test_drop_dup_swap(void **state)
{
    struct bench_seq s;
    bench_seq_init(&s);
    static const uint64_t arrivals[] = {0, 1, 2, 4, 5, 5, 7, 6, 8, 9};
    add_all(&s, arrivals, sizeof arrivals / sizeof arrivals[0]);
    assert_int_equal(s.received, 9);
    assert_int_equal(s.dup, 1);
    assert_int_equal(s.late, 1);
    assert_int_equal(bench_seq_missing(&s, 10), 1);
    assert_false(bench_seq_has(&s, 3));
    assert_true(bench_seq_has(&s, 6));
    bench_seq_fini(&s);
}

static void test_gap_filled_from_both_ends_and_middle(void **state)
{
    struct bench_seq s;
    bench_seq_init(&s);
    assert_int_equal(bench_seq_add(&s, 10), BENCH_SEQ_NEW); /* gap 0..9 */
    assert_int_equal(bench_seq_missing(&s, 11), 10);
    assert_int_equal(bench_seq_add(&s, 0), BENCH_SEQ_LATE);
    assert_int_equal(bench_seq_add(&s, 9), BENCH_SEQ_LATE);
    assert_int_equal(bench_seq_add(&s, 5), BENCH_SEQ_LATE); /* splits 1..8 */
    assert_int_equal(s.ngaps, 2);
    assert_int_equal(bench_seq_add(&s, 5), BENCH_SEQ_DUP);
    assert_int_equal(bench_seq_add(&s, 10), BENCH_SEQ_DUP);
    assert_int_equal(bench_seq_missing(&s, 11), 7); /* 1-4, 6-8 */
    assert_int_equal(bench_seq_missing(&s, 4), 3);  /* 1-3 below 4 */
    for (uint64_t v = 1; v <= 8; v++)
        bench_seq_add(&s, v);
    assert_int_equal(s.ngaps, 0);
    assert_int_equal(s.received, 11);
    assert_int_equal(s.late, 10);
    assert_int_equal(s.dup, 3); /* 5 twice more, 10 */
    assert_int_equal(bench_seq_missing(&s, 11), 0);
    bench_seq_fini(&s);
}

/* Random orders with drops and repeats, counted against a bitmap model. */
static void test_against_model(void **state)
{
    enum { N = 5000, ROUNDS = 20 };
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int round = 0; round < ROUNDS; round++) {
        static uint64_t arr[3 * N];
        static unsigned char seen[N];
        size_t n = 0;
        for (uint64_t v = 0; v < N; v++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            if (x % 50 == 0)
                continue; /* dropped */
            arr[n++] = v;
            if (x % 37 == 0)
                arr[n++] = v; /* duplicated */
        }
        for (size_t i = 0; i + 1 < n; i++) { /* local reorderings */
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            if (x % 11 == 0) {
                size_t j = i + 1 + (size_t)(x >> 32) % 8;
                if (j < n) {
                    uint64_t t = arr[i];
                    arr[i] = arr[j];
                    arr[j] = t;
                }
            }
        }
        struct bench_seq s;
        bench_seq_init(&s);
        memset(seen, 0, sizeof seen);
        uint64_t dup = 0, late = 0, high = 0, any = 0, received = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t v = arr[i];
            enum bench_seq_result r = bench_seq_add(&s, v);
            enum bench_seq_result want = seen[v]             ? BENCH_SEQ_DUP
                                         : (any && v < high) ? BENCH_SEQ_LATE
                                                             : BENCH_SEQ_NEW;
            assert_int_equal(r, want);
            dup += seen[v];
            late += !seen[v] && any && v < high;
            received += !seen[v];
            seen[v] = 1;
            if (!any || v + 1 > high)
                high = v + 1;
            any = 1;
        }
        uint64_t missing = 0;
        for (uint64_t v = 0; v < N; v++)
            missing += !seen[v];
        assert_int_equal(s.dup, dup);
        assert_int_equal(s.late, late);
        assert_int_equal(s.received, received);
        assert_int_equal(bench_seq_missing(&s, N), missing);
        for (uint64_t v = 0; v < N; v++)
            assert_int_equal(bench_seq_has(&s, v), seen[v] != 0);
        bench_seq_fini(&s);
    }
}

/* Past BENCH_SEQ_MAX_GAPS gaps the oldest is forgotten and counted missing;
 * the counts stay consistent. */
static void test_gap_cap(void **state)
{
    struct bench_seq s;
    bench_seq_init(&s);
    uint64_t gaps = BENCH_SEQ_MAX_GAPS + 10;
    for (uint64_t i = 0; i < gaps; i++)
        bench_seq_add(&s, 2 * i + 1); /* every even number missing */
    assert_int_equal(s.ngaps, BENCH_SEQ_MAX_GAPS);
    assert_int_equal(s.evicted, 10);
    assert_int_equal(bench_seq_missing(&s, 2 * gaps), gaps);
    /* A late arrival into a remembered gap is still exact. */
    assert_int_equal(bench_seq_add(&s, 2 * (gaps - 1)), BENCH_SEQ_LATE);
    assert_int_equal(bench_seq_missing(&s, 2 * gaps), gaps - 1);
    /* Splitting a gap when the list is full evicts the oldest. */
    bench_seq_add(&s, 10 * gaps); /* one big gap at the end */
    assert_int_equal(s.ngaps, BENCH_SEQ_MAX_GAPS);
    assert_int_equal(bench_seq_add(&s, 10 * gaps - 5), BENCH_SEQ_LATE);
    assert_int_equal(s.ngaps, BENCH_SEQ_MAX_GAPS);
    uint64_t missing = bench_seq_missing(&s, 10 * gaps + 1);
    assert_int_equal(missing, (gaps - 1) + (10 * gaps - 2 * gaps) - 1);
    bench_seq_fini(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_drop_dup_swap),
        cmocka_unit_test(test_gap_filled_from_both_ends_and_middle),
        cmocka_unit_test(test_against_model),
        cmocka_unit_test(test_gap_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
