/*
 * test_buf.c - the growable byte buffer (src/util/buf.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/buf.h"

static void append_consume(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    assert_int_equal(buf_used(&b), 0);
    buf_append(&b, NULL, 0); /* nothing, and no allocation */
    assert_null(b.data);
    buf_append(&b, "hello", 5);
    buf_append(&b, " world", 6);
    assert_int_equal(buf_used(&b), 11);
    assert_memory_equal(buf_head(&b), "hello world", 11);
    buf_consume(&b, 6);
    assert_int_equal(buf_used(&b), 5);
    assert_memory_equal(buf_head(&b), "world", 5);
    buf_consume(&b, 5);
    /* Empty again: offsets are reset so the space is reused. */
    assert_int_equal(b.off, 0);
    assert_int_equal(b.len, 0);
    buf_fini(&b);
    assert_null(b.data);
    assert_int_equal(b.cap, 0);
}

static void reserve_commit_and_growth(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    uint8_t *w = buf_reserve(&b, 10);
    assert_non_null(w);
    assert_int_equal(b.cap, 256); /* first allocation */
    memcpy(w, "0123456789", 10);
    buf_commit(&b, 10);
    assert_int_equal(buf_used(&b), 10);
    w = buf_reserve(&b, 1000); /* doubles until it fits */
    assert_int_equal(b.cap, 1024);
    assert_ptr_equal(w, b.data + 10);
    assert_memory_equal(buf_head(&b), "0123456789", 10);
    buf_fini(&b);
}

static void reserve_reclaims_consumed_front(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    uint8_t fill[256];
    memset(fill, 'x', sizeof fill);
    buf_append(&b, fill, 250);
    buf_consume(&b, 200);
    uint8_t *data = b.data;
    /* 50 used, 6 free at the end, 200 free at the front: compaction, no growth. */
    uint8_t *w = buf_reserve(&b, 100);
    assert_ptr_equal(b.data, data);
    assert_int_equal(b.cap, 256);
    assert_int_equal(b.off, 0);
    assert_int_equal(b.len, 50);
    assert_ptr_equal(w, b.data + 50);
    buf_fini(&b);
}

static void compact_and_release(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    buf_append(&b, "abcdef", 6);
    buf_consume(&b, 2);
    buf_compact(&b);
    assert_int_equal(b.off, 0);
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, "cdef", 4);
    buf_compact(&b); /* nothing to do */
    assert_int_equal(b.len, 4);
    buf_release_if_empty(&b); /* not empty: kept */
    assert_non_null(b.data);
    buf_consume(&b, 4);
    buf_release_if_empty(&b);
    assert_null(b.data);
    assert_int_equal(b.cap, 0);
    buf_append(&b, "z", 1); /* usable again */
    assert_memory_equal(buf_head(&b), "z", 1);
    buf_fini(&b);
    buf_fini(&b); /* twice is harmless */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(append_consume),
        cmocka_unit_test(reserve_commit_and_growth),
        cmocka_unit_test(reserve_reclaims_consumed_front),
        cmocka_unit_test(compact_and_release),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
