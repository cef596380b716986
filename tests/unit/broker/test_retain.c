/*
 * test_retain.c - the retained store: set, replace, clear with an empty
 * payload [MQTT-3.3.1-10] [MQTT-3.3.1-11], and filter matching including
 * the '$' rule [MQTT-4.7.2-1], and expiry (5.0 section 3.3.1.3).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/msg.h"
#include "broker/retain.h"

struct got {
    char topics[16][64];
    char payloads[16][64];
    size_t n;
};

static void collect(void *arg, struct msg *m)
{
    struct got *g = arg;
    if (g->n < 16) {
        snprintf(g->topics[g->n], 64, "%.*s", (int)m->topic.len, m->topic.ptr);
        snprintf(g->payloads[g->n], 64, "%.*s", (int)m->payload.len, m->payload.ptr);
    }
    g->n++;
    msg_unref(m);
}

static void put(struct retain_store *r, const char *topic, const char *payload)
{
    struct msg *m = msg_new(slice_cstr(topic), slice_cstr(payload), 1, true, SLICE_NULL, 0, 0);
    msg_unref(retain_set(r, m));
    msg_unref(m);
}

static size_t count(struct retain_store *r, const char *filter)
{
    struct got g;
    memset(&g, 0, sizeof g);
    retain_match(r, slice_cstr(filter), 0, collect, &g);
    return g.n;
}

static void test_set_replace_clear(void **state)
{
    (void)state;
    struct retain_store r;
    retain_init(&r, 3);
    put(&r, "a/b", "one");
    put(&r, "a/b", "two");
    assert_int_equal(atomic_load(&r.count), 1);
    struct got g;
    memset(&g, 0, sizeof g);
    retain_match(&r, SLICE_LIT("a/b"), 0, collect, &g);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.payloads[0], "two");
    put(&r, "a/b", ""); /* clears */
    assert_int_equal(atomic_load(&r.count), 0);
    assert_int_equal(atomic_load(&r.bytes), 0);
    assert_int_equal(count(&r, "#"), 0);
    put(&r, "x", ""); /* clearing an absent topic is harmless */
    assert_int_equal(atomic_load(&r.count), 0);
    retain_fini(&r);
}

static void test_filters(void **state)
{
    (void)state;
    struct retain_store r;
    retain_init(&r, 5);
    put(&r, "a", "1");
    put(&r, "a/b", "2");
    put(&r, "a/b/c", "3");
    put(&r, "a/c", "4");
    put(&r, "/x", "5");
    put(&r, "$SYS/up", "6");
    assert_int_equal(count(&r, "#"), 5);       /* not $SYS */
    assert_int_equal(count(&r, "a/#"), 4);     /* includes "a" itself */
    assert_int_equal(count(&r, "a/+"), 2);
    assert_int_equal(count(&r, "+/+"), 3);     /* a/b, a/c, /x */
    assert_int_equal(count(&r, "+"), 1);       /* a */
    assert_int_equal(count(&r, "+/b/+"), 1);
    assert_int_equal(count(&r, "$SYS/#"), 1);
    assert_int_equal(count(&r, "+/up"), 0);    /* [MQTT-4.7.2-1] */
    assert_int_equal(count(&r, "a/b"), 1);
    assert_int_equal(count(&r, "a/b/c/d"), 0);
    assert_int_equal(count(&r, "/+"), 1);
    retain_fini(&r);
}

static void put_expiring(struct retain_store *r, const char *topic, uint32_t seconds,
                         uint64_t now_ms)
{
    struct msg *m = msg_new(slice_cstr(topic), slice_cstr("x"), 1, true, SLICE_NULL, 0, now_ms);
    m->has_expiry = true;
    m->expiry_interval = seconds;
    retain_set(r, m);
    msg_unref(m);
}

static size_t count_at(struct retain_store *r, const char *filter, uint64_t now_ms)
{
    struct got g;
    memset(&g, 0, sizeof g);
    retain_match(r, slice_cstr(filter), now_ms, collect, &g);
    return g.n;
}

/* An expired retained message is never reported and leaves the store. */
static void test_expiry(void **state)
{
    (void)state;
    struct retain_store r;
    retain_init(&r, 9);
    put_expiring(&r, "e/short", 1, 10000);
    put_expiring(&r, "e/long", 60, 10000);
    put(&r, "e/never", "y");
    assert_int_equal(count_at(&r, "e/#", 10999), 3);
    assert_int_equal(atomic_load(&r.count), 3);
    assert_int_equal(count_at(&r, "e/#", 11000), 2); /* 1 s has passed */
    assert_int_equal(atomic_load(&r.count), 2);
    assert_int_equal(count_at(&r, "e/short", 11000), 0);
    assert_int_equal(count_at(&r, "e/+", 10000 + 60000), 1);
    assert_int_equal(atomic_load(&r.count), 1);
    /* A newer message on the topic is not removed for the old one's expiry. */
    put_expiring(&r, "e/short", 1, 20000);
    assert_int_equal(count_at(&r, "e/short", 20500), 1);
    retain_fini(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_replace_clear),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_expiry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
