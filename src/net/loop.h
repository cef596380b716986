/*
 * loop.h - one libuv loop on its own thread, with a cross-thread inbox.
 *
 * Each worker thread runs one struct loop. Work for a loop from another
 * thread goes through its inbox: a mutex-protected intrusive list spliced
 * in whole batches, plus a uv_async_t wake-up that is sent only when the
 * inbox goes from empty to non-empty (FlashMQ addImmediateTask, STYLE.md
 * section 3). The owner drains the whole inbox at once.
 *
 * Every loop pass ends with on_pass (a uv_check handle): that is where the
 * owner coalesces writes and hands batches to other loops, so a pass costs
 * one write per client and one lock per destination loop. Code that makes
 * work for on_pass outside the poll phase (timers) calls
 * loop_request_pass(), which keeps the next poll from blocking.
 *
 * This file knows nothing about MQTT.
 */
#ifndef PETREL_NET_LOOP_H
#define PETREL_NET_LOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <uv.h>

#include "util/list.h"

struct loop;

/* Called on the loop thread with the inbox items (struct list nodes the
 * posters linked); the callee takes them all. */
typedef void (*loop_inbox_cb)(struct loop *l, struct list *items);
/* Called on the loop thread at the end of every pass. */
typedef void (*loop_pass_cb)(struct loop *l);

struct loop {
    uv_loop_t uv;       /* owned; used only by the loop thread after start */
    unsigned id;        /* index among the loops, 0-based */
    pthread_t thread;   /* set by loop_start, for loop_join */
    bool started;       /* set by loop_start; read by its caller only */
    pthread_t owner;    /* set by the loop thread itself before it runs */
    bool owner_set;     /* written and read by the loop thread only */

    uv_async_t wake;  /* inbox wake-up */
    uv_check_t check; /* end-of-pass hook */
    uv_idle_t idle;   /* active while a pass is requested: poll won't block */
    bool idle_active; /* owner thread only */

    pthread_mutex_t lock; /* protects inbox and open */
    struct list inbox;    /* posted items, not yet taken */
    bool open;            /* false once stopping: posts are kept but wake no one */

    loop_inbox_cb on_inbox;
    loop_pass_cb on_pass;
    void *data; /* owner's context */
};

/* Initialises l on the calling thread (handles are created here, the
 * thread later). Returns 0 or a negative libuv error. */
int loop_init(struct loop *l, unsigned id, loop_inbox_cb on_inbox, loop_pass_cb on_pass,
              void *data);

/* Starts the loop's thread running uv_run until loop_stop(). Returns 0 or
 * a negative errno. */
int loop_start(struct loop *l);

/* Moves all nodes of items to l's inbox and wakes l if its inbox was
 * empty. Any thread, including l's own. items is left empty. */
void loop_post(struct loop *l, struct list *items);

/* Posts a single node. */
void loop_post_one(struct loop *l, struct list *node);

/* Owner thread: makes sure on_pass runs soon even if no I/O arrives. */
void loop_request_pass(struct loop *l);

/* Owner thread: closes the loop's own handles so uv_run can return once
 * the owner has closed everything else. */
void loop_stop(struct loop *l);

/* Any other thread: waits for the loop's thread to end. Items still in
 * the inbox stay there for the owner to drain (struct loop.inbox). */
void loop_join(struct loop *l);

/* Frees what loop_init made, once no thread can post to l any more. */
void loop_fini(struct loop *l);

/* Debug builds: asserts the caller runs on l's thread. */
#ifdef PETREL_DEBUG
#include <assert.h>
#define LOOP_ASSERT_OWNER(l) assert(!(l)->owner_set || pthread_equal(pthread_self(), (l)->owner))
#else
#define LOOP_ASSERT_OWNER(l) ((void)(l))
#endif

#endif
