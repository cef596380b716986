/*
 * test_subtree.c - the subscription tree: matching rules of section 4.7,
 * overlap, replacement, removal and pruning, shared groups.
 * Sessions are opaque keys to the tree, so fake pointers stand in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "broker/subtree.h"

#define S(n) ((struct session *)(uintptr_t)(0x1000 * (n)))

struct hits {
    struct session *sess[64];
    uint8_t opts[64];
    size_t n;
    size_t groups;
};

static void on_entry(void *arg, const struct sub_entry *e)
{
    struct hits *h = arg;
    if (h->n < 64) {
        h->sess[h->n] = e->sess;
        h->opts[h->n] = e->opts;
    }
    h->n++;
}

static void on_share(void *arg, struct share_group *g)
{
    struct hits *h = arg;
    (void)g;
    h->groups++;
}

static struct hits match(struct subtree *t, const char *topic)
{
    struct hits h;
    memset(&h, 0, sizeof h);
    subtree_match(t, 0, slice_cstr(topic), on_entry, on_share, &h);
    return h;
}

static size_t count(struct subtree *t, const char *filter, const char *topic)
{
    subtree_add(t, slice_cstr(filter), S(1), 0, 0);
    size_t n = match(t, topic).n;
    assert_true(subtree_remove(t, slice_cstr(filter), S(1)));
    return n;
}

static void test_matching_rules(void **state)
{
    (void)state;
    struct subtree t;
    subtree_init(&t, 42, 2);
    static const struct {
        const char *filter, *topic;
        size_t want;
    } cases[] = {
        {"a/b", "a/b", 1},       {"a/b", "a/c", 0},        {"a/+", "a/b", 1},
        {"a/+", "a/b/c", 0},     {"a/+", "a", 0},          {"a/+", "a/", 1},
        {"a/#", "a", 1}, /* [MQTT-4.7.1-2]: # matches the parent level */
        {"a/#", "a/b/c", 1},     {"#", "a/b", 1},          {"#", "/", 1},
        {"+/+", "/", 1},         {"/+", "/x", 1},          {"+", "/x", 0},
        {"a//b", "a//b", 1},     {"a/+/b", "a//b", 1},     {"+/#", "a", 1},
        /* [MQTT-4.7.2-1]: wildcards at the first level skip $ topics */
        {"#", "$SYS/x", 0},      {"+/x", "$SYS/x", 0},     {"$SYS/#", "$SYS/x", 1},
        {"$SYS/+", "$SYS/x", 1}, {"a/#", "a/$b", 1},       {"sport/tennis/#", "sport", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t got = count(&t, cases[i].filter, cases[i].topic);
        if (got != cases[i].want)
            fail_msg("filter '%s' topic '%s': got %zu, want %zu", cases[i].filter,
                     cases[i].topic, got, cases[i].want);
    }
    assert_int_equal(subtree_count(&t), 0);
    subtree_fini(&t);
}

static void test_overlap_and_replace(void **state)
{
    (void)state;
    struct subtree t;
    subtree_init(&t, 1, 2);
    assert_int_equal(subtree_add(&t, SLICE_LIT("a/+"), S(1), 1, 0), 1);
    assert_int_equal(subtree_add(&t, SLICE_LIT("a/#"), S(1), 2, 0), 1);
    assert_int_equal(subtree_add(&t, SLICE_LIT("a/b"), S(2), 0, 0), 1);
    /* Same session, same filter: replaced, not added [MQTT-3.8.4-3]. */
    assert_int_equal(subtree_add(&t, SLICE_LIT("a/b"), S(2), 1, 0), 0);
    assert_int_equal(subtree_count(&t), 3);
    struct hits h = match(&t, "a/b");
    assert_int_equal(h.n, 3); /* the router merges S(1)'s two matches */
    for (size_t i = 0; i < h.n; i++)
        if (h.sess[i] == S(2))
            assert_int_equal(h.opts[i], 1);
    assert_false(subtree_remove(&t, SLICE_LIT("a/b"), S(1)));
    assert_true(subtree_remove(&t, SLICE_LIT("a/b"), S(2)));
    assert_int_equal(match(&t, "a/b").n, 2);
    assert_true(subtree_remove(&t, SLICE_LIT("a/+"), S(1)));
    assert_true(subtree_remove(&t, SLICE_LIT("a/#"), S(1)));
    assert_int_equal(match(&t, "a/b").n, 0);
    assert_int_equal(subtree_count(&t), 0);
    subtree_fini(&t);
}

static void test_many_subscribers_one_node(void **state)
{
    (void)state;
    struct subtree t;
    subtree_init(&t, 7, 2);
    for (int i = 1; i <= 500; i++)
        subtree_add(&t, SLICE_LIT("fan/out"), S(i), 1, 0);
    assert_int_equal(match(&t, "fan/out").n, 500);
    for (int i = 1; i <= 500; i++)
        assert_true(subtree_remove(&t, SLICE_LIT("fan/out"), S(i)));
    assert_int_equal(subtree_count(&t), 0);
    subtree_fini(&t);
}

static void test_shared_groups(void **state)
{
    (void)state;
    struct subtree t;
    subtree_init(&t, 9, 2);
    subtree_add(&t, SLICE_LIT("$share/g1/x/+"), S(1), 1, 0);
    subtree_add(&t, SLICE_LIT("$share/g1/x/+"), S(2), 1, 0);
    subtree_add(&t, SLICE_LIT("$share/g2/x/#"), S(3), 1, 0);
    subtree_add(&t, SLICE_LIT("x/y"), S(4), 0, 0);
    struct hits h = match(&t, "x/y");
    assert_int_equal(h.n, 1);      /* only the plain subscription */
    assert_int_equal(h.groups, 2); /* each group once */
    assert_true(subtree_remove(&t, SLICE_LIT("$share/g1/x/+"), S(1)));
    assert_false(subtree_remove(&t, SLICE_LIT("$share/g1/x/+"), S(1)));
    assert_int_equal(match(&t, "x/y").groups, 2);
    assert_true(subtree_remove(&t, SLICE_LIT("$share/g1/x/+"), S(2)));
    assert_int_equal(match(&t, "x/y").groups, 1);
    subtree_fini(&t);
}

static struct hits match_cached(struct subtree *t, const char *topic, struct subtree_cache *c)
{
    struct hits h;
    memset(&h, 0, sizeof h);
    subtree_match_cached(t, 0, slice_cstr(topic), c, on_entry, on_share, &h);
    return h;
}

/* The same hits as a walk, before and after every kind of change, and
 * only what may be replayed is kept. */
static void test_route_cache(void **state)
{
    (void)state;
    struct subtree t;
    subtree_init(&t, 11, 2);
    struct subtree_cache c;
    memset(&c, 0, sizeof c);
    subtree_add(&t, slice_cstr("a/#"), S(1), 1, 0);
    subtree_add(&t, slice_cstr("a/+"), S(2), 0, 7);
    struct hits h = match_cached(&t, "a/b", &c);
    assert_int_equal(h.n, 2);
    assert_int_not_equal(c.gen, 0); /* recorded */
    struct hits again = match_cached(&t, "a/b", &c);
    assert_int_equal(again.n, 2);
    assert_memory_equal(again.sess, h.sess, sizeof h.sess[0] * 2);
    assert_memory_equal(again.opts, h.opts, 2);
    /* Another topic: walked, and it replaces the record. */
    assert_int_equal(match_cached(&t, "a", &c).n, 1);
    assert_int_equal(c.count, 1);
    assert_int_equal(match_cached(&t, "a/b", &c).n, 2);
    /* A new subscriber, a changed option, a removal: all seen at once. */
    subtree_add(&t, slice_cstr("a/b"), S(3), 2, 0);
    assert_int_equal(match_cached(&t, "a/b", &c).n, 3);
    subtree_add(&t, slice_cstr("a/b"), S(3), 1, 0); /* options replaced */
    h = match_cached(&t, "a/b", &c);
    bool found = false;
    for (size_t i = 0; i < h.n; i++)
        if (h.sess[i] == S(3)) {
            assert_int_equal(h.opts[i], 1);
            found = true;
        }
    assert_true(found);
    assert_true(subtree_remove(&t, slice_cstr("a/+"), S(2)));
    assert_int_equal(match_cached(&t, "a/b", &c).n, 2);
    /* More entries than it holds: correct, and not kept. */
    for (int i = 10; i < 10 + SUBTREE_CACHE_ENTRIES; i++)
        subtree_add(&t, slice_cstr("a/b"), S(i), 0, 0);
    assert_int_equal(match_cached(&t, "a/b", &c).n, 2 + SUBTREE_CACHE_ENTRIES);
    assert_int_equal(c.gen, 0);
    assert_int_equal(match_cached(&t, "a/b", &c).n, 2 + SUBTREE_CACHE_ENTRIES);
    for (int i = 10; i < 10 + SUBTREE_CACHE_ENTRIES; i++)
        assert_true(subtree_remove(&t, slice_cstr("a/b"), S(i)));
    /* A shared group chooses per message: never kept. */
    subtree_add(&t, slice_cstr("$share/g/a/b"), S(5), 0, 0);
    h = match_cached(&t, "a/b", &c);
    assert_int_equal(h.groups, 1);
    assert_int_equal(c.gen, 0);
    assert_int_equal(match_cached(&t, "a/b", &c).groups, 1);
    assert_true(subtree_remove(&t, slice_cstr("$share/g/a/b"), S(5)));
    /* A topic longer than it holds: walked every time. */
    char longt[SUBTREE_CACHE_TOPIC + 8];
    memset(longt, 'x', sizeof longt - 1);
    longt[0] = 'a';
    longt[1] = '/';
    longt[sizeof longt - 1] = 0;
    assert_int_equal(match_cached(&t, longt, &c).n, 1);
    assert_int_equal(c.gen, 0);
    subtree_fini(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matching_rules),
        cmocka_unit_test(test_overlap_and_replace),
        cmocka_unit_test(test_many_subscribers_one_node),
        cmocka_unit_test(test_shared_groups),
        cmocka_unit_test(test_route_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
