/*
 * loop.c - a libuv loop on its own thread with an inbox (see loop.h).
 */
#include "net/loop.h"

#include <errno.h>
#include <string.h>

static void on_wake(uv_async_t *h)
{
    struct loop *l = h->data;
    struct list items;
    list_init(&items);
    pthread_mutex_lock(&l->lock);
    list_splice(&items, &l->inbox);
    pthread_mutex_unlock(&l->lock);
    if (!list_empty(&items))
        l->on_inbox(l, &items);
}

static void on_check(uv_check_t *h)
{
    struct loop *l = h->data;
    if (l->idle_active) {
        uv_idle_stop(&l->idle);
        l->idle_active = false;
    }
    l->on_pass(l);
}

static void on_idle(uv_idle_t *h)
{
    (void)h; /* only its being active matters: poll does not block */
}

int loop_init(struct loop *l, unsigned id, loop_inbox_cb on_inbox, loop_pass_cb on_pass,
              void *data)
{
    memset(l, 0, sizeof *l);
    l->id = id;
    l->on_inbox = on_inbox;
    l->on_pass = on_pass;
    l->data = data;
    list_init(&l->inbox);
    l->open = true;
    int rc = uv_loop_init(&l->uv);
    if (rc != 0)
        return rc;
    l->uv.data = l;
    pthread_mutex_init(&l->lock, NULL);
    uv_async_init(&l->uv, &l->wake, on_wake);
    l->wake.data = l;
    uv_check_init(&l->uv, &l->check);
    l->check.data = l;
    uv_check_start(&l->check, on_check);
    uv_idle_init(&l->uv, &l->idle);
    l->idle.data = l;
    return 0;
}

static void *loop_main(void *arg)
{
    struct loop *l = arg;
    l->owner = pthread_self();
    l->owner_set = true;
    uv_run(&l->uv, UV_RUN_DEFAULT);
    return NULL;
}

int loop_start(struct loop *l)
{
    int rc = pthread_create(&l->thread, NULL, loop_main, l);
    if (rc != 0)
        return -rc;
    l->started = true;
    return 0;
}

void loop_post(struct loop *l, struct list *items)
{
    if (list_empty(items))
        return;
    pthread_mutex_lock(&l->lock);
    bool wake = l->open && list_empty(&l->inbox);
    list_splice(&l->inbox, items);
    /* Sent under the lock: after loop_stop clears `open`, no thread can be
     * about to touch the closing async handle. */
    if (wake)
        uv_async_send(&l->wake);
    pthread_mutex_unlock(&l->lock);
}

void loop_post_one(struct loop *l, struct list *node)
{
    struct list one;
    list_init(&one);
    list_push(&one, node);
    loop_post(l, &one);
}

void loop_request_pass(struct loop *l)
{
    if (!l->idle_active) {
        uv_idle_start(&l->idle, on_idle);
        l->idle_active = true;
    }
}

void loop_stop(struct loop *l)
{
    pthread_mutex_lock(&l->lock);
    l->open = false;
    pthread_mutex_unlock(&l->lock);
    uv_close((uv_handle_t *)&l->wake, NULL);
    uv_close((uv_handle_t *)&l->check, NULL);
    uv_close((uv_handle_t *)&l->idle, NULL);
}

void loop_join(struct loop *l)
{
    if (l->started)
        pthread_join(l->thread, NULL);
    l->started = false;
    l->owner_set = false; /* the owner's leftovers are now the joiner's */
}

void loop_fini(struct loop *l)
{
    uv_loop_close(&l->uv);
    pthread_mutex_destroy(&l->lock);
}
