/*
 * test_list.c - the intrusive circular list (src/util/list.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util/list.h"

struct elem {
    int v;
    struct list link;
};

/* Values of the list in order, into out; returns the count. */
static size_t values(struct list *head, int *out, size_t max)
{
    size_t n = 0;
    struct list *pos;
    list_for_each(pos, head)
    {
        if (n < max)
            out[n] = list_entry(pos, struct elem, link)->v;
        n++;
    }
    return n;
}

static void push_pop_order(void **state)
{
    (void)state;
    struct list head = LIST_INIT(head);
    struct elem e[4] = {{1, {0}}, {2, {0}}, {3, {0}}, {4, {0}}};
    int got[8];
    assert_true(list_empty(&head));
    assert_null(list_pop(&head));
    list_push(&head, &e[1].link);
    list_push(&head, &e[2].link);
    list_push_front(&head, &e[0].link);
    list_push(&head, &e[3].link);
    assert_int_equal(values(&head, got, 8), 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(got[i], i + 1);
    struct list *n = list_pop(&head);
    assert_ptr_equal(list_entry(n, struct elem, link), &e[0]);
    assert_false(list_linked(n));
    assert_int_equal(values(&head, got, 8), 3);
}

static void unlink_twice_is_safe(void **state)
{
    (void)state;
    struct list head;
    struct elem a = {1, {0}}, b = {2, {0}};
    list_init(&head);
    list_init(&a.link);
    assert_false(list_linked(&a.link));
    list_push(&head, &a.link);
    list_push(&head, &b.link);
    assert_true(list_linked(&a.link));
    list_unlink(&a.link);
    list_unlink(&a.link);
    int got[4];
    assert_int_equal(values(&head, got, 4), 1);
    assert_int_equal(got[0], 2);
}

static void splice_moves_all(void **state)
{
    (void)state;
    struct list dst = LIST_INIT(dst), src = LIST_INIT(src);
    struct elem e[4] = {{1, {0}}, {2, {0}}, {3, {0}}, {4, {0}}};
    list_splice(&dst, &src); /* empty source: nothing */
    assert_true(list_empty(&dst));
    list_push(&dst, &e[0].link);
    list_push(&src, &e[1].link);
    list_push(&src, &e[2].link);
    list_splice(&dst, &src);
    assert_true(list_empty(&src));
    list_push(&dst, &e[3].link);
    int got[8];
    assert_int_equal(values(&dst, got, 8), 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(got[i], i + 1);
}

static void for_each_safe_unlinks(void **state)
{
    (void)state;
    struct list head = LIST_INIT(head);
    struct elem e[5];
    for (int i = 0; i < 5; i++) {
        e[i].v = i;
        list_push(&head, &e[i].link);
    }
    struct list *pos, *tmp;
    list_for_each_safe(pos, tmp, &head)
    {
        if (list_entry(pos, struct elem, link)->v % 2 == 0)
            list_unlink(pos);
    }
    int got[8];
    assert_int_equal(values(&head, got, 8), 2);
    assert_int_equal(got[0], 1);
    assert_int_equal(got[1], 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(push_pop_order),
        cmocka_unit_test(unlink_twice_is_safe),
        cmocka_unit_test(splice_moves_all),
        cmocka_unit_test(for_each_safe_unlinks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
