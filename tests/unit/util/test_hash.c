/*
 * test_hash.c - hash_bytes and the intrusive hash table (src/util/hash.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/hash.h"
#include "util/list.h"

static void hash_is_deterministic_and_seeded(void **state)
{
    (void)state;
    const char *s = "sensors/temperature";
    uint64_t a = hash_bytes(s, strlen(s), 1), b = hash_bytes(s, strlen(s), 1);
    assert_int_equal(a, b);
    assert_int_not_equal(a, hash_bytes(s, strlen(s), 2));
    assert_int_equal(hash_slice(slice_cstr(s), 1), a);
    /* Every length 0..24 of a prefix hashes differently (tail handling). */
    uint8_t buf[24] = {0};
    uint64_t seen[25];
    for (size_t n = 0; n <= 24; n++) {
        seen[n] = hash_bytes(buf, n, 7);
        for (size_t m = 0; m < n; m++)
            assert_int_not_equal(seen[n], seen[m]);
    }
    /* One bit flipped anywhere changes the hash. */
    uint64_t base = hash_bytes(buf, sizeof buf, 7);
    for (size_t i = 0; i < sizeof buf * 8; i++) {
        buf[i / 8] ^= (uint8_t)(1u << (i % 8));
        assert_int_not_equal(hash_bytes(buf, sizeof buf, 7), base);
        buf[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    assert_int_equal(hash_bytes(NULL, 0, 3), hash_bytes("", 0, 3));
}

struct item {
    struct hnode node;
    int key;
};

static uint64_t key_hash(int key)
{
    return hash_bytes(&key, sizeof key, 42);
}

static struct item *find(struct htable *t, int key)
{
    for (struct hnode *n = htable_first(t, key_hash(key)); n; n = htable_next(n)) {
        struct item *it = list_entry(n, struct item, node);
        if (it->key == key)
            return it;
    }
    return NULL;
}

static void count_cb(struct hnode *n, void *arg)
{
    (void)n;
    (*(size_t *)arg)++;
}

static void table_insert_find_remove_grow(void **state)
{
    (void)state;
    enum { N = 1000 };
    struct item *items = calloc(N, sizeof *items);
    assert_non_null(items);
    struct htable t = {NULL, 0, 0};
    assert_null(htable_first(&t, 1)); /* never initialised: empty */
    for (int i = 0; i < N; i++) {
        items[i].key = i;
        htable_insert(&t, &items[i].node, key_hash(i)); /* initialises on first use */
    }
    assert_int_equal(t.count, N);
    assert_true(t.mask + 1 >= N); /* grew */
    for (int i = 0; i < N; i++)
        assert_ptr_equal(find(&t, i), &items[i]);
    assert_null(find(&t, N + 1));
    for (int i = 0; i < N; i += 2)
        htable_remove(&t, &items[i].node);
    assert_int_equal(t.count, N / 2);
    for (int i = 0; i < N; i++)
        assert_true((find(&t, i) != NULL) == (i % 2 == 1));
    size_t visited = 0;
    htable_each(&t, count_cb, &visited);
    assert_int_equal(visited, N / 2);
    htable_fini(&t);
    assert_null(t.buckets);
    visited = 0;
    htable_each(&t, count_cb, &visited);
    assert_int_equal(visited, 0);
    free(items);
}

/* Nodes with the same hash are all reachable through first/next. */
static void table_equal_hashes(void **state)
{
    (void)state;
    struct htable t;
    htable_init(&t, 3);
    assert_int_equal(t.mask + 1, 8);
    struct item a = {{NULL, 0}, 1}, b = {{NULL, 0}, 2}, c = {{NULL, 0}, 3}, d = {{NULL, 0}, 4};
    htable_insert(&t, &a.node, 99);
    htable_insert(&t, &b.node, 99);
    htable_insert(&t, &c.node, 99 + 8); /* same bucket, other hash */
    htable_insert(&t, &d.node, 99);
    int sum = 0, n = 0;
    for (struct hnode *h = htable_first(&t, 99); h; h = htable_next(h)) {
        sum += list_entry(h, struct item, node)->key;
        n++;
    }
    assert_int_equal(n, 3);
    assert_int_equal(sum, 1 + 2 + 4);
    htable_remove(&t, &b.node);
    htable_remove(&t, &b.node); /* not there any more: nothing happens */
    assert_int_equal(t.count, 3);
    htable_fini(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hash_is_deterministic_and_seeded),
        cmocka_unit_test(table_insert_find_remove_grow),
        cmocka_unit_test(table_equal_hashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
