/*
 * test_msg.c - messages: borrowed ones and their own copies, references
 * taken in bulk, and the per-worker block pools (a block released on its
 * pool's thread is reused at once; one released on another worker's
 * thread comes back after that worker's end-of-pass flush).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "broker/msg.h"
#include "mqtt/mqtt.h"

static struct mqtt_publish publish_of(const char *topic, const char *payload, uint8_t qos)
{
    struct mqtt_publish p;
    memset(&p, 0, sizeof p);
    p.topic = slice_cstr(topic);
    p.payload = slice_cstr(payload);
    p.qos = qos;
    return p;
}

static void borrowed_until_owned(void **state)
{
    (void)state;
    char topic[] = "sensors/t", payload[] = "21.5";
    struct mqtt_publish p = publish_of(topic, payload, 0);
    struct msg b;
    msg_borrow(&b, &p, p.topic, 42, 1000);
    assert_true(b.borrowed);
    assert_ptr_equal(b.topic.ptr, (const uint8_t *)topic); /* nothing copied */
    assert_ptr_equal(msg_ref(&b), &b);
    msg_ref_n(&b, 2);
    assert_int_equal(atomic_load(&b.refs), 4);
    for (int i = 0; i < 3; i++)
        msg_unref(&b);
    struct msg *own = msg_own(NULL, &b);
    msg_borrow_end(&b);
    memset(topic, 'x', sizeof topic - 1); /* the read buffer is reused */
    memset(payload, 'y', sizeof payload - 1);
    assert_false(own->borrowed);
    assert_true(slice_eq_cstr(own->topic, "sensors/t"));
    assert_true(slice_eq_cstr(own->payload, "21.5"));
    assert_int_equal(own->origin, 42);
    assert_int_equal(own->created_ms, 1000);
    assert_int_equal(own->qos, 0);
    msg_ref_n(own, 3);
    for (int i = 0; i < 4; i++) /* the last one frees it (ASan) */
        msg_unref(own);
}

static void pool_reuses_on_its_thread(void **state)
{
    (void)state;
    struct msg_pool pool;
    msg_pool_init(&pool);
    msg_pool_attach(&pool);
    struct mqtt_publish p = publish_of("a", "b", 1);
    struct msg *m = msg_from_publish(&pool, &p, p.topic, 1, 0);
    msg_unref(m);
    struct msg *again = msg_from_publish(&pool, &p, p.topic, 1, 0);
    assert_ptr_equal(again, m); /* straight back to the free list */
    msg_unref(again);
    msg_pool_attach(NULL);
    msg_pool_fini(&pool);
}

struct other {
    struct msg_pool own;
    struct msg *blocks[3];
    bool flush;
};

/* Another worker: releases blocks of the test's pool, then ends its pass. */
static void *other_worker(void *arg)
{
    struct other *o = arg;
    msg_pool_init(&o->own);
    msg_pool_attach(&o->own);
    for (int i = 0; i < 3; i++)
        msg_unref(o->blocks[i]);
    if (o->flush)
        msg_pool_flush_returns();
    msg_pool_fini(&o->own);
    return NULL;
}

static void pool_returns_from_other_workers(void **state)
{
    (void)state;
    struct msg_pool pool;
    msg_pool_init(&pool);
    msg_pool_attach(&pool);
    struct mqtt_publish p = publish_of("a", "b", 1);
    struct other o = {.flush = true};
    for (int i = 0; i < 3; i++)
        o.blocks[i] = msg_from_publish(&pool, &p, p.topic, 1, 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, other_worker, &o), 0);
    pthread_join(t, NULL);
    /* The free list was empty: the next takes find the returned chain. */
    struct msg *got[3];
    int seen = 0;
    for (int i = 0; i < 3; i++) {
        got[i] = msg_from_publish(&pool, &p, p.topic, 1, 0);
        for (int k = 0; k < 3; k++)
            seen += got[i] == o.blocks[k];
    }
    assert_int_equal(seen, 3);
    for (int i = 0; i < 3; i++)
        msg_unref(got[i]);
    msg_pool_attach(NULL);
    msg_pool_fini(&pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(borrowed_until_owned),
        cmocka_unit_test(pool_reuses_on_its_thread),
        cmocka_unit_test(pool_returns_from_other_workers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
