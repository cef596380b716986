/*
 * test_alias.c - Topic Alias tables: inbound set/replace/lookup, outbound
 * assignment within the cap [MQTT-3.3.2-11], reuse of a mapped topic, and
 * least-recently-used replacement when full.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "broker/alias.h"

static bool topic_is(const struct alias_in *t, uint16_t alias, const char *want)
{
    struct slice s;
    return alias_in_get(t, alias, &s) && slice_eq(s, slice_cstr(want));
}

static void inbound_set_replace_get(void **state)
{
    (void)state;
    struct alias_in t;
    alias_in_init(&t, 10);
    struct slice s;
    assert_false(alias_in_get(&t, 1, &s)); /* never set */
    alias_in_set(&t, 1, slice_cstr("a/b"));
    alias_in_set(&t, 10, slice_cstr("x"));
    assert_true(topic_is(&t, 1, "a/b"));
    assert_true(topic_is(&t, 10, "x"));
    alias_in_set(&t, 1, slice_cstr("a/b")); /* the same again */
    assert_true(topic_is(&t, 1, "a/b"));
    alias_in_set(&t, 1, slice_cstr("c/d/e")); /* a new topic replaces the mapping */
    assert_true(topic_is(&t, 1, "c/d/e"));
    assert_false(alias_in_get(&t, 2, &s));
    alias_in_fini(&t);
}

static void inbound_many(void **state)
{
    (void)state;
    struct alias_in t;
    alias_in_init(&t, 65535);
    char buf[16];
    for (unsigned a = 1; a <= 1000; a++) {
        snprintf(buf, sizeof buf, "t/%u", a);
        alias_in_set(&t, (uint16_t)a, slice_cstr(buf));
    }
    alias_in_set(&t, 65535, slice_cstr("last"));
    for (unsigned a = 1; a <= 1000; a++) {
        snprintf(buf, sizeof buf, "t/%u", a);
        assert_true(topic_is(&t, (uint16_t)a, buf));
    }
    assert_true(topic_is(&t, 65535, "last"));
    alias_in_fini(&t);
}

static void outbound_cap_zero_never_assigns(void **state)
{
    (void)state;
    struct alias_out t;
    alias_out_init(&t, 0, 1);
    assert_int_equal(alias_out_find(&t, slice_cstr("a")), 0);
    assert_int_equal(alias_out_assign(&t, slice_cstr("a")), 0);
    assert_int_equal(alias_out_find(&t, slice_cstr("a")), 0);
    alias_out_fini(&t);
}

static void outbound_assign_find_and_lru(void **state)
{
    (void)state;
    struct alias_out t;
    alias_out_init(&t, 3, 42);
    assert_int_equal(alias_out_find(&t, slice_cstr("a")), 0);
    assert_int_equal(alias_out_assign(&t, slice_cstr("a")), 1);
    assert_int_equal(alias_out_assign(&t, slice_cstr("b")), 2);
    assert_int_equal(alias_out_assign(&t, slice_cstr("c")), 3);
    assert_int_equal(alias_out_find(&t, slice_cstr("b")), 2);
    /* Use order now b, c, a (most recent first): a is the least recent. */
    assert_int_equal(alias_out_find(&t, slice_cstr("c")), 3);
    assert_int_equal(alias_out_find(&t, slice_cstr("b")), 2);
    assert_int_equal(alias_out_assign(&t, slice_cstr("d")), 1); /* a's number */
    assert_int_equal(alias_out_find(&t, slice_cstr("a")), 0);
    assert_int_equal(alias_out_find(&t, slice_cstr("d")), 1);
    /* Order d, b, c: c goes next. */
    assert_int_equal(alias_out_assign(&t, slice_cstr("e")), 3);
    assert_int_equal(alias_out_find(&t, slice_cstr("c")), 0);
    /* Never above the cap. */
    for (int i = 0; i < 100; i++) {
        char buf[16];
        snprintf(buf, sizeof buf, "n/%d", i);
        uint16_t a = alias_out_assign(&t, slice_cstr(buf));
        assert_true(a >= 1 && a <= 3);
        assert_int_equal(alias_out_find(&t, slice_cstr(buf)), a);
    }
    alias_out_fini(&t);
}

static void outbound_topics_differ_by_length(void **state)
{
    (void)state;
    struct alias_out t;
    alias_out_init(&t, 10, 7);
    assert_int_equal(alias_out_assign(&t, slice_cstr("ab")), 1);
    assert_int_equal(alias_out_find(&t, slice_cstr("a")), 0);
    assert_int_equal(alias_out_find(&t, slice_cstr("abc")), 0);
    assert_int_equal(alias_out_find(&t, slice_cstr("ab")), 1);
    alias_out_fini(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(inbound_set_replace_get),
        cmocka_unit_test(inbound_many),
        cmocka_unit_test(outbound_cap_zero_never_assigns),
        cmocka_unit_test(outbound_assign_find_and_lru),
        cmocka_unit_test(outbound_topics_differ_by_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
