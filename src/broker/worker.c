/*
 * worker.c - a worker thread: its inbox, the end of every loop pass, the
 * one-second tick, and shutdown.
 *
 * End of pass (in this order): write every dirty connection once, free the
 * connections closed during the pass (after a last attempt to write their
 * final CONNACK/DISCONNECT), post the deliveries collected for other
 * workers. The tick enforces keep-alive (1.5 x the negotiated value,
 * [MQTT-3.1.2-24]) and connect_timeout, expires offline sessions, and
 * gives back the buffers of idle connections.
 */
#include "broker/worker.h"

#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "broker/broker.h"
#include "broker/client.h"
#include "broker/durable.h"
#include "broker/msg.h"
#include "broker/session.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/log.h"

/* Protocol-error log lines per worker per second. */
#define LOG_BUDGET_PER_SEC 20

bool worker_log_allowed(struct worker *w)
{
    uint64_t sec = w->now_ms / 1000u;
    if (sec != w->log_budget_at) {
        w->log_budget_at = sec;
        w->log_budget = LOG_BUDGET_PER_SEC;
    }
    if (w->log_budget == 0)
        return false;
    w->log_budget--;
    return true;
}

void worker_note_clients_max(struct worker *w)
{
    uint64_t now = 0;
    for (unsigned i = 0; i < w->srv->nworkers; i++)
        now += atomic_load_explicit(&w->srv->workers[i].stats.clients_connected,
                                    memory_order_relaxed);
    uint64_t max = atomic_load(&w->srv->clients_max);
    while (now > max && !atomic_compare_exchange_weak(&w->srv->clients_max, &max, now))
        ;
}

static void on_accept(struct listen_sock *ls, int fd, const struct sockaddr *peer)
{
    struct worker *w = ls->data;
    w->now_ms = clock_mono_ms();
    if (w->stopping) {
        close(fd);
        return;
    }
    client_accept(w, fd, peer, ls->index);
}

static void run_deliveries(struct worker *w, struct dbatch *b)
{
    for (uint32_t i = 0; i < b->n; i++) {
        struct delivery *d = &b->d[i];
        struct session *s = d->sess; /* ours to drop; d->sess may change (shared groups) */
        broker_deliver(w, d);
        session_unref(s);
    }
    free(b);
}

static void shutdown_now(struct worker *w);

static void on_inbox(struct loop *l, struct list *items)
{
    struct worker *w = (struct worker *)l;
    w->now_ms = clock_mono_ms();
    msg_pool_attach(&w->msgs);
    struct list *n;
    while ((n = list_pop(items)) != NULL) {
        struct task *t = list_entry(n, struct task, node);
        switch (t->kind) {
        case TASK_DELIVER:
            run_deliveries(w, (struct dbatch *)t);
            break;
        case TASK_MIGRATE:
            broker_connect_arrived(w, ((struct task_ptr *)t)->ptr);
            break;
        case TASK_AUTH_SWAP: {
            struct task_ptr *tp = (struct task_ptr *)t;
            auth_unref(w->auth);
            w->auth = tp->ptr;
            free(tp);
            break;
        }
        case TASK_SHUTDOWN:
            free(t);
            shutdown_now(w);
            break;
        case TASK_STORE_DONE:
            durable_ticket_done(w, (struct ticket *)t);
            break;
        default:
            free(t);
            break;
        }
    }
}

static void on_handle_closed(uv_handle_t *h)
{
    (void)h;
}

static void maybe_finish(struct worker *w)
{
    if (!w->stopping || !list_empty(&w->clients) || !list_empty(&w->closing))
        return;
    uv_close((uv_handle_t *)&w->tick, on_handle_closed);
    uv_close((uv_handle_t *)&w->will_timer, on_handle_closed);
    if (w->id == 0)
        uv_close((uv_handle_t *)&w->sys_timer, on_handle_closed);
    loop_stop(&w->loop);
}

static void on_pass(struct loop *l)
{
    struct worker *w = (struct worker *)l;
    msg_pool_attach(&w->msgs);
    struct list *n, *tmp;
    while ((n = list_pop(&w->dirty)) != NULL)
        client_flush(list_entry(n, struct client, dirty_node));
    list_for_each_safe(n, tmp, &w->closing)
    {
        struct client *c = list_entry(n, struct client, close_node);
        if (!c->auth_running)
            client_free(c);
    }
    while ((n = list_pop(&w->moving)) != NULL) {
        struct client *c = list_entry(n, struct client, close_node);
        loop_post_one(&c->req->dest->loop, &c->req->move.task.node);
    }
    if (!w->stopping)
        broker_flush_outboxes(w);
    durable_pass_end(w);
    if (w->stopping)
        maybe_finish(w);
    msg_pool_flush_returns();
}

static void on_tick(uv_timer_t *t)
{
    struct worker *w = t->data;
    uint64_t now = w->now_ms = clock_mono_ms();
    uint64_t connect_ms = (uint64_t)w->srv->cfg->connect_timeout * 1000u;
    struct list *n, *tmp;
    list_for_each_safe(n, tmp, &w->clients)
    {
        struct client *c = list_entry(n, struct client, node);
        if (c->state == CLIENT_ACTIVE) {
            /* 1.5 x keep-alive without a packet: gone (5.0 [MQTT-3.1.2-22],
             * 3.1.1 [MQTT-3.1.2-24]); v5 is told 0x8D Keep Alive timeout. */
            if (c->keepalive && now - c->last_rx_ms > (uint64_t)c->keepalive * 1500u)
                client_close(c, MQTT_RC_KEEP_ALIVE_TIMEOUT, true, true, "keep-alive timeout");
        } else if (c->state == CLIENT_NEW || c->state == CLIENT_AUTH ||
                   c->state == CLIENT_CHALLENGE) {
            if (now - c->created_ms > connect_ms)
                client_close(c, 0, false, false, "no CONNECT within connect_timeout");
        }
        if (c->state != CLIENT_CLOSING && now - c->last_io_ms > 1000) {
            /* An idle connection keeps no buffers. */
            buf_release_if_empty(&c->conn.in);
            buf_release_if_empty(&c->conn.out);
        }
    }
    session_expire(w, now);
}

static void on_sys(uv_timer_t *t)
{
    struct worker *w = t->data;
    w->now_ms = clock_mono_ms();
    sys_publish(w);
}

int worker_init(struct worker *w, struct server *srv, unsigned id, const int *listen_fds,
                struct auth *auth)
{
    memset(w, 0, sizeof *w);
    int rc = loop_init(&w->loop, id, on_inbox, on_pass, w);
    if (rc != 0)
        return rc;
    w->srv = srv;
    w->id = id;
    w->auth = auth_ref(auth);
    w->now_ms = clock_mono_ms();
    list_init(&w->clients);
    list_init(&w->dirty);
    list_init(&w->closing);
    list_init(&w->moving);
    list_init(&w->offline);
    list_init(&w->wills);
    htable_init(&w->sessions, 64);
    durable_worker_init(w);
    list_init(&w->omsg_pool);
    msg_pool_init(&w->msgs);
    w->outbox = xcalloc(srv->nworkers, sizeof *w->outbox);
    size_t nl = srv->cfg->listener_count;
    w->listeners = xcalloc(nl ? nl : 1, sizeof *w->listeners);
    for (size_t i = 0; i < nl; i++) {
        rc = listen_sock_start(&w->listeners[i], &w->loop.uv, listen_fds[i], (unsigned)i,
                               on_accept, w);
        if (rc != 0)
            return rc;
    }
    uv_timer_init(&w->loop.uv, &w->tick);
    w->tick.data = w;
    uv_timer_start(&w->tick, on_tick, 1000, 1000);
    uv_timer_init(&w->loop.uv, &w->will_timer);
    w->will_timer.data = w;
    if (id == 0) {
        uv_timer_init(&w->loop.uv, &w->sys_timer);
        w->sys_timer.data = w;
        sys_init(w);
        uint64_t ms = (uint64_t)srv->cfg->sys_interval * 1000u;
        if (ms)
            uv_timer_start(&w->sys_timer, on_sys, 0, ms); /* once at start, then each interval */
    }
    return 0;
}

int worker_start(struct worker *w)
{
    return loop_start(&w->loop);
}

static void shutdown_now(struct worker *w)
{
    if (w->stopping)
        return;
    w->stopping = true;
    for (size_t i = 0; i < w->srv->cfg->listener_count; i++)
        listen_sock_stop(&w->listeners[i]);
    uv_timer_stop(&w->tick);
    uv_timer_stop(&w->will_timer); /* parked wills are dropped with their sessions */
    if (w->id == 0)
        uv_timer_stop(&w->sys_timer);
    /* v5 clients learn why: 0x8B Server shutting down, or 0x9C Use another
     * server with the Server Reference when one is configured (section 4.11). */
    uint8_t rc = MQTT_RC_SERVER_SHUTTING_DOWN;
    const char *why = "server shutting down";
    if (w->srv->cfg->server_reference) {
        bool moved = w->srv->cfg->server_reference_mode == CONFIG_REDIRECT_MOVED;
        rc = moved ? MQTT_RC_SERVER_MOVED : MQTT_RC_USE_ANOTHER_SERVER;
        why = "server shutting down: use another server";
    }
    struct list *n, *tmp;
    list_for_each_safe(n, tmp, &w->clients)
    {
        struct client *c = list_entry(n, struct client, node);
        client_close(c, rc, true, false, why);
    }
    loop_request_pass(&w->loop);
}

void worker_request_shutdown(struct worker *w)
{
    struct task *t = xcalloc(1, sizeof *t);
    t->kind = TASK_SHUTDOWN;
    loop_post_one(&w->loop, &t->node);
}

void worker_swap_auth(struct worker *w, struct auth *auth)
{
    struct task_ptr *t = xcalloc(1, sizeof *t);
    t->task.kind = TASK_AUTH_SWAP;
    t->ptr = auth_ref(auth);
    loop_post_one(&w->loop, &t->task.node);
}

static void end_session(struct hnode *h, void *arg)
{
    session_end(arg, (struct session *)h);
}

static void drop_task(struct task *t)
{
    if (t->kind == TASK_DELIVER) {
        struct dbatch *b = (struct dbatch *)t;
        for (uint32_t i = 0; i < b->n; i++) {
            broker_delivery_drop(&b->d[i]);
            session_unref(b->d[i].sess);
        }
        free(b);
    } else if (t->kind == TASK_AUTH_SWAP) {
        auth_unref(((struct task_ptr *)t)->ptr);
        free(t);
    } else if (t->kind == TASK_MIGRATE) {
        client_free(((struct task_ptr *)t)->ptr);
    } else if (t->kind == TASK_STORE_DONE) {
        durable_ticket_drop((struct ticket *)t);
    } else {
        free(t);
    }
}

void worker_join(struct worker *w)
{
    loop_join(&w->loop);
}

void worker_fini(struct worker *w)
{
    /* Deliveries other workers posted after this one stopped. */
    struct list *n;
    while ((n = list_pop(&w->loop.inbox)) != NULL)
        drop_task(list_entry(n, struct task, node));
    for (unsigned i = 0; i < w->srv->nworkers; i++)
        if (w->outbox[i])
            drop_task(&w->outbox[i]->task);
    htable_each(&w->sessions, end_session, w);
    htable_fini(&w->sessions);
    if (w->id == 0)
        sys_fini(w);
    auth_unref(w->auth);
    free(w->outbox);
    free(w->listeners);
    free(w->matches);
    buf_fini(&w->rbuf);
    durable_worker_fini(w);
    session_omsg_pool_fini(w);
    loop_fini(&w->loop);
}
