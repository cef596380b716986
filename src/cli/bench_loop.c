/*
 * bench_loop.c - one libuv loop of petrel-bench and the thread it runs on.
 *
 * Each pass of the loop ends in the same work, run twice: in the prepare
 * hook (before polling, for what timers queued) and the check hook (after
 * polling, for what reads queued):
 *   1. publishers parked on the end-to-end window look again, when this
 *      loop's subscribers received something (or another loop kicked);
 *   2. runnable publishers send (bounded per publisher);
 *   3. every client with output is flushed: one write per client per pass;
 *   4. other loops whose publishers wait on this loop's subscribers are
 *      kicked (one uv_async_send each, only when they are waiting).
 * While publishers remain runnable, an idle handle keeps the poll from
 * blocking.
 *
 * The main thread changes the phase and kicks every loop; the loop reacts
 * on its own thread (connects its clients, starts publishing, closes).
 * Connects run at most CONNECT_WINDOW at a time per process, so a broker's
 * listen backlog never overflows into SYN retries.
 */
#include <string.h>

#include "cli/bench.h"
#include "util/alloc.h"
#include "util/clock.h"

#define CONNECT_WINDOW 128u

static void enter_phase(struct bench_loop *l, int phase);

static void on_idle(uv_idle_t *h)
{
    /* Nothing: being active is the point (a zero poll timeout). */
}

/* ---- The pass ----------------------------------------------------------------- */

static void recheck_blocked(struct bench_loop *l)
{
    uint64_t now_ms = uv_now(&l->uv);
    struct list *n, *tmp;
    list_for_each_safe(n, tmp, &l->blocked)
    {
        bench_pub_recheck(list_entry(n, struct bench_pub, node), now_ms);
    }
}

static void pump_runnable(struct bench_loop *l)
{
    struct list todo;
    list_init(&todo);
    list_splice(&todo, &l->runnable);
    struct list *n;
    while ((n = list_pop(&todo)) != NULL) {
        struct bench_pub *p = list_entry(n, struct bench_pub, node);
        bench_pub_pump(p);
        if (p->park == BENCH_PARK_NONE)
            list_push(&l->runnable, &p->node); /* budget used up: again next pass */
    }
}

static void flush_all(struct bench_loop *l)
{
    struct list *n;
    while ((n = list_pop(&l->flush)) != NULL)
        bench_client_flush(list_entry(n, struct bench_client, flush));
}

static void kick_waiting_loops(struct bench_loop *l)
{
    struct bench_run *r = l->run;
    for (uint32_t i = 0; i < r->nloops; i++) {
        struct bench_loop *m = &r->loops[i];
        if (m != l && atomic_load_explicit(&m->e2e_waiting, memory_order_relaxed))
            bench_loop_kick(m);
    }
}

static void pass(struct bench_loop *l)
{
    bool received = l->received;
    l->received = false;
    if (received && !list_empty(&l->blocked))
        recheck_blocked(l);
    pump_runnable(l);
    flush_all(l);
    if (received && l->run->nloops > 1)
        kick_waiting_loops(l);
    if (list_empty(&l->runnable))
        uv_idle_stop(&l->idle);
    else
        uv_idle_start(&l->idle, on_idle);
}

static void on_prepare(uv_prepare_t *h)
{
    pass(h->data);
}

static void on_check(uv_check_t *h)
{
    pass(h->data);
}

/* ---- Timers and wake-ups ------------------------------------------------------ */

static void on_tick(uv_timer_t *t)
{
    struct bench_loop *l = t->data;
    const struct bench_opts *o = l->run->o;
    uint64_t now = uv_now(&l->uv);
    if (o->keep_alive) {
        uint64_t half = (uint64_t)o->keep_alive * 500u; /* ping well inside the period */
        for (uint32_t i = 0; i < l->nclients; i++) {
            struct bench_client *c = l->clients[i];
            if (c->state >= BENCH_CS_CONNACK && c->state <= BENCH_CS_READY &&
                now - c->last_tx_ms >= half)
                bench_client_queue_ping(c);
        }
    }
    if (!list_empty(&l->blocked))
        recheck_blocked(l); /* the QoS 0 stall timeout */
}

static void on_rate(uv_timer_t *t)
{
    struct bench_loop *l = t->data;
    for (uint32_t i = 0; i < l->nclients; i++) {
        struct bench_client *c = l->clients[i];
        if (c->role == BENCH_ROLE_PUB && ((struct bench_pub *)c)->park == BENCH_PARK_RATE)
            bench_pub_wake((struct bench_pub *)c);
    }
}

static void on_wake(uv_async_t *a)
{
    struct bench_loop *l = a->data;
    atomic_store(&l->kicked, false);
    int phase = atomic_load(&l->run->phase);
    if (phase != l->seen_phase)
        enter_phase(l, phase);
    if (!list_empty(&l->blocked))
        recheck_blocked(l);
}

void bench_loop_kick(struct bench_loop *l)
{
    if (!atomic_exchange(&l->kicked, true))
        uv_async_send(&l->wake);
}

/* ---- Connecting ----------------------------------------------------------------- */

static uint8_t phase_role(int phase)
{
    switch (phase) {
    case BENCH_PH_SUBS:
        return BENCH_ROLE_SUB;
    case BENCH_PH_PUBS:
        return BENCH_ROLE_PUB;
    case BENCH_PH_IDLE:
        return BENCH_ROLE_IDLE;
    }
    return 0;
}

void bench_loop_connect_more(struct bench_loop *l)
{
    uint8_t role = phase_role(l->seen_phase);
    uint32_t bound = CONNECT_WINDOW / l->run->nloops;
    if (bound < 8)
        bound = 8;
    while (role && l->connecting < bound && l->next_connect < l->nclients) {
        struct bench_client *c = l->clients[l->next_connect++];
        if (c->role != role || c->state != BENCH_CS_INIT)
            continue;
        l->connecting++;
        bench_client_start(c);
    }
}

void bench_loop_connect_done(struct bench_loop *l, struct bench_client *c, bool ok)
{
    if (c->counted)
        return;
    c->counted = true;
    l->connecting--;
    bench_stat_add(ok ? &l->st.connected : &l->st.failed, 1);
    bench_loop_connect_more(l);
}

/* ---- Phases ----------------------------------------------------------------------- */

static void start_publishing(struct bench_loop *l)
{
    struct bench_run *r = l->run;
    l->run_start_ns = r->run_start_ns;
    l->warm_end_ns = r->warm_end_ns;
    l->end_ns = r->end_ns;
    for (uint32_t i = 0; i < l->nclients; i++) {
        struct bench_client *c = l->clients[i];
        if (c->role == BENCH_ROLE_PUB && c->state == BENCH_CS_READY) {
            struct bench_pub *p = (struct bench_pub *)c;
            p->park = BENCH_PARK_RATE; /* from DONE (not started) to wakeable */
            bench_pub_wake(p);
        }
    }
    if (r->o->rate)
        uv_timer_start(&l->rate, on_rate, 1, 1);
}

static void close_all(struct bench_loop *l)
{
    for (uint32_t i = 0; i < l->nclients; i++)
        bench_client_close(l->clients[i]);
    uv_close((uv_handle_t *)&l->wake, NULL);
    uv_close((uv_handle_t *)&l->prepare, NULL);
    uv_close((uv_handle_t *)&l->check, NULL);
    uv_close((uv_handle_t *)&l->idle, NULL);
    uv_close((uv_handle_t *)&l->tick, NULL);
    uv_close((uv_handle_t *)&l->rate, NULL);
}

static void enter_phase(struct bench_loop *l, int phase)
{
    l->seen_phase = phase;
    switch (phase) {
    case BENCH_PH_SUBS:
    case BENCH_PH_PUBS:
    case BENCH_PH_IDLE:
        l->next_connect = 0;
        bench_loop_connect_more(l);
        break;
    case BENCH_PH_RUN:
        start_publishing(l);
        break;
    case BENCH_PH_DRAIN: {
        /* Stop sending now, also when main ended the run early. */
        uint64_t now = clock_mono_ns();
        if (l->end_ns > now)
            l->end_ns = now;
        uv_timer_stop(&l->rate);
        break;
    }
    case BENCH_PH_CLOSE:
        close_all(l);
        break;
    }
}

/* ---- Set-up and the thread ------------------------------------------------------- */

int bench_loop_init(struct bench_loop *l, struct bench_run *run, uint32_t index)
{
    int rc = uv_loop_init(&l->uv);
    if (rc < 0)
        return rc;
    l->run = run;
    l->index = index;
    list_init(&l->flush);
    list_init(&l->runnable);
    list_init(&l->blocked);
    bench_hist_init(&l->hist);
    l->payload = xcalloc(run->o->size, 1);
    memset(l->payload, 'x', run->o->size);
    uv_async_init(&l->uv, &l->wake, on_wake);
    uv_prepare_init(&l->uv, &l->prepare);
    uv_check_init(&l->uv, &l->check);
    uv_idle_init(&l->uv, &l->idle);
    uv_timer_init(&l->uv, &l->tick);
    uv_timer_init(&l->uv, &l->rate);
    l->wake.data = l->prepare.data = l->check.data = l->idle.data = l;
    l->tick.data = l->rate.data = l;
    uv_prepare_start(&l->prepare, on_prepare);
    uv_check_start(&l->check, on_check);
    uv_timer_start(&l->tick, on_tick, 1000, 1000);
    return 0;
}

static void thread_main(void *arg)
{
    struct bench_loop *l = arg;
    /* The phase may have moved before this thread ran. */
    on_wake(&l->wake);
    uv_run(&l->uv, UV_RUN_DEFAULT);
}

int bench_loop_start(struct bench_loop *l)
{
    int rc = uv_thread_create(&l->thread, thread_main, l);
    l->started = rc == 0;
    return rc;
}

void bench_loop_fini(struct bench_loop *l)
{
    if (l->started)
        uv_thread_join(&l->thread);
    l->started = false;
    uv_loop_close(&l->uv);
    xfree(l->payload);
    xfree(l->clients);
}
