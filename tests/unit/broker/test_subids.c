/*
 * test_subids.c - Subscription Identifier lists: inline for zero or one,
 * heap from two, duplicates kept (5.0 section 3.3.4), merge and copy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "broker/subids.h"

static void none_and_one_are_inline(void **state)
{
    (void)state;
    struct subids s = subids_one(0);
    assert_int_equal(s.count, 0);
    assert_null(subids_list(&s));
    subids_add(&s, 0); /* 0 is not an identifier */
    assert_int_equal(s.count, 0);
    s = subids_one(7);
    assert_int_equal(s.count, 1);
    assert_int_equal(subids_list(&s)[0], 7);
    assert_ptr_equal(subids_list(&s), &s.u.one);
    subids_fini(&s);
    assert_int_equal(s.count, 0);
}

static void several_keep_order_and_duplicates(void **state)
{
    (void)state;
    struct subids s = subids_one(0);
    const uint32_t want[] = {5, 268435455, 5, 1};
    for (size_t i = 0; i < 4; i++)
        subids_add(&s, want[i]);
    assert_int_equal(s.count, 4);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(subids_list(&s)[i], want[i]);
    struct subids c = subids_copy(&s);
    assert_ptr_not_equal(subids_list(&c), subids_list(&s));
    subids_fini(&s);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(subids_list(&c)[i], want[i]);
    subids_fini(&c);
}

static void merge_moves(void **state)
{
    (void)state;
    struct subids a = subids_one(1), b = subids_one(2), e = subids_one(0);
    subids_merge(&a, &e);
    assert_int_equal(a.count, 1);
    subids_add(&b, 3);
    subids_merge(&a, &b);
    assert_int_equal(b.count, 0);
    assert_int_equal(a.count, 3);
    assert_int_equal(subids_list(&a)[0], 1);
    assert_int_equal(subids_list(&a)[1], 2);
    assert_int_equal(subids_list(&a)[2], 3);
    subids_merge(&e, &a); /* into an empty one */
    assert_int_equal(e.count, 3);
    assert_int_equal(a.count, 0);
    subids_fini(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(none_and_one_are_inline),
        cmocka_unit_test(several_keep_order_and_duplicates),
        cmocka_unit_test(merge_moves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
