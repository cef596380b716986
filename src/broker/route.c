/*
 * route.c - fan-out of a PUBLISH to the matching sessions, and outgoing
 * QoS handling per session (send now, queue, or drop; inflight window;
 * re-send after reconnect).
 *
 * Routing runs on the publisher's worker: the tree is matched under its
 * read lock, matches are collected (taking a session reference only for
 * sessions of other workers), then delivered after the lock is released:
 * locally at once, or appended to the outbox of the session's worker,
 * which is posted in one batch at the end of the pass.
 *
 * A session with several matching subscriptions gets one copy at the
 * highest granted QoS (MQTT 3.1.1 section 3.3.5; MQTT 5.0 allows either
 * and we keep one), carrying the identifier of the first.
 */
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "broker/broker.h"
#include "broker/durable.h"
#include "broker/msg.h"
#include "broker/retain.h"
#include "broker/session.h"
#include "util/alloc.h"
#include "util/log.h"

struct route_ctx {
    struct worker *w;
    struct msg *m;
    bool dedupe; /* some session has more than one subscription */
};

static void match_push(struct route_ctx *rc, struct session *s, uint8_t opts, uint32_t sub_id)
{
    struct worker *w = rc->w;
    const struct msg *m = rc->m;
    /* No Local: not back to the publishing session [MQTT-3.8.3-3]. */
    if ((opts & SUBOPT_NO_LOCAL) && s->id == m->origin)
        return;
    if (w->nmatches == w->matches_cap) {
        w->matches_cap = w->matches_cap ? w->matches_cap * 2 : 64;
        w->matches = xrealloc(w->matches, w->matches_cap * sizeof *w->matches);
    }
    struct match *x = &w->matches[w->nmatches++];
    x->sess = s;
    uint8_t granted = SUBOPT_QOS(opts);
    x->qos = m->qos < granted ? m->qos : granted; /* [MQTT-3.8.4-8] */
    /* Live messages go out with retain 0 unless Retain As Published
     * [MQTT-3.3.1-9] [MQTT-3.3.1-12]. */
    x->retain = (opts & SUBOPT_RAP) ? m->retain : false;
    x->sub_id = sub_id;
    if (s->owner != w)
        session_ref(s); /* it crosses threads; the owner drops it */
    if (atomic_load_explicit(&s->nsubs, memory_order_relaxed) > 1)
        rc->dedupe = true;
}

static void on_entry(void *arg, const struct sub_entry *e)
{
    match_push(arg, e->sess, e->opts, e->sub_id);
}

/* One member of a shared group per message: round-robin over the members,
 * preferring connected ones (MQTT 5.0 section 4.8.2). */
static void on_share(void *arg, struct share_group *g)
{
    if (g->count == 0)
        return;
    uint32_t start = atomic_fetch_add_explicit(&g->cursor, 1, memory_order_relaxed);
    const struct sub_entry *pick = &g->members[start % g->count];
    for (uint32_t i = 0; i < g->count; i++) {
        const struct sub_entry *e = &g->members[(start + i) % g->count];
        if (atomic_load_explicit(&e->sess->online, memory_order_relaxed)) {
            pick = e;
            break;
        }
    }
    match_push(arg, pick->sess, pick->opts, pick->sub_id);
}

static int cmp_match(const void *a, const void *b)
{
    const struct match *x = a, *y = b;
    return x->sess < y->sess ? -1 : x->sess > y->sess;
}

/* Merges matches of the same session: one copy, highest QoS. */
static void dedupe(struct worker *w)
{
    qsort(w->matches, w->nmatches, sizeof *w->matches, cmp_match);
    uint32_t out = 0;
    for (uint32_t i = 0; i < w->nmatches; i++) {
        struct match *x = &w->matches[i];
        if (out > 0 && w->matches[out - 1].sess == x->sess) {
            struct match *keep = &w->matches[out - 1];
            if (x->qos > keep->qos)
                keep->qos = x->qos;
            keep->retain = keep->retain || x->retain;
            if (keep->sub_id == 0)
                keep->sub_id = x->sub_id;
            if (x->sess->owner != w)
                session_unref(x->sess);
            continue;
        }
        w->matches[out++] = *x;
    }
    w->nmatches = out;
}

void broker_outbox_push(struct worker *w, struct session *s, struct msg *m, uint8_t qos,
                        bool retain, uint32_t sub_id, uint64_t entry)
{
    struct worker *to = s->owner;
    struct dbatch *b = w->outbox[to->id];
    if (b == NULL || b->n == b->cap) {
        if (b)
            loop_post_one(&to->loop, &b->task.node);
        uint32_t cap = 256;
        b = xmalloc(sizeof *b + cap * sizeof b->d[0]);
        b->task.kind = TASK_DELIVER;
        list_init(&b->task.node);
        b->n = 0;
        b->cap = cap;
        w->outbox[to->id] = b;
    }
    /* Takes the caller's references to m and s. */
    b->d[b->n++] = (struct delivery){
        .msg = m, .sess = s, .qos = qos, .retain = retain, .sub_id = sub_id, .entry = entry};
    loop_request_pass(&w->loop); /* the pass end posts the outboxes */
}

uint32_t broker_route(struct worker *w, struct msg *m)
{
    struct route_ctx rc = {w, m, false};
    w->nmatches = 0;
    subtree_match(&w->srv->subs, m->topic, on_entry, on_share, &rc);
    if (rc.dedupe)
        dedupe(w);
    uint32_t n = w->nmatches;
    /* With persistence, a QoS 1/2 message is stored with an entry per
     * stored session it goes to, and goes onward once that is committed
     * (durable.h). */
    bool hold = durable_on(w) && m->qos > 0;
    for (uint32_t i = 0; i < n; i++) {
        struct match *x = &w->matches[i];
        bool local = x->sess->owner == w;
        if (hold) {
            uint64_t e = durable_entry_new(w, x->sess, m, x->qos, x->retain, x->sub_id);
            durable_hold_delivery(w, x->sess, msg_ref(m), x->qos, x->retain, x->sub_id, e);
            if (!local)
                session_unref(x->sess); /* the match's reference; the hold has its own */
        } else if (local) {
            broker_deliver(w, x->sess, msg_ref(m), x->qos, x->retain, x->sub_id);
        } else {
            broker_outbox_push(w, x->sess, msg_ref(m), x->qos, x->retain, x->sub_id, 0);
        }
    }
    w->nmatches = 0;
    return n;
}

void broker_flush_outboxes(struct worker *w)
{
    for (unsigned i = 0; i < w->srv->nworkers; i++) {
        struct dbatch *b = w->outbox[i];
        if (b == NULL)
            continue;
        w->outbox[i] = NULL;
        loop_post_one(&w->srv->workers[i].loop, &b->task.node);
    }
}

static void count_drop(struct worker *w, struct session *s, const struct msg *m, const char *why)
{
    STAT_ADD(w, publish_dropped, 1);
    if (worker_log_allowed(w)) {
        char id[96], topic[128];
        log_warn("message dropped for id=%s topic=%s: %s",
                 log_printable(s->client_id, id, sizeof id),
                 log_printable(m->topic, topic, sizeof topic), why);
    }
}

/* Encodes one PUBLISH into c's output. Returns false (nothing written)
 * when it exceeds the client's Maximum Packet Size [MQTT-3.1.2-24]. */
static bool send_publish(struct client *c, const struct msg *m, uint8_t qos, uint16_t pid,
                         bool dup, bool retain, uint32_t sub_id)
{
    struct mqtt_publish p;
    memset(&p, 0, sizeof p);
    p.dup = dup;
    p.qos = qos;
    p.retain = retain;
    p.topic = m->topic;
    p.packet_id = pid;
    p.payload = m->payload;
    if (c->version == MQTT_V5) {
        p.props.passthrough = m->props;
        uint32_t left;
        if (m->has_expiry && msg_remaining(m, c->w->now_ms, &left)) {
            /* The time left, not the time given [MQTT-3.3.2-6]. */
            p.props.present |= MQTT_PROP_BIT(MQTT_PROP_MESSAGE_EXPIRY_INTERVAL);
            p.props.message_expiry_interval = left;
        }
        if (sub_id) {
            p.props.sub_ids = &sub_id;
            p.props.sub_id_count = 1;
        }
    }
    size_t n = mqtt_publish_encode(NULL, 0, &p, c->version);
    if (c->max_packet_out && n > c->max_packet_out)
        return false;
    uint8_t *out = client_out_reserve(c, n);
    if (out == NULL)
        return false;
    mqtt_publish_encode(out, n, &p, c->version);
    client_out_commit(c, n);
    STAT_ADD(c->w, publish_sent, 1);
    return true;
}

static bool start_inflight(struct client *c, struct session *s, struct omsg *o)
{
    o->pid = session_next_pid(s);
    o->state = o->qos == 1 ? OMSG_WAIT_PUBACK : OMSG_WAIT_PUBREC;
    if (o->entry && o->qos == 2) {
        /* Its packet id goes to disk before the PUBLISH leaves: after a
         * crash it is re-sent under the same id, never delivered twice. */
        durable_entry_update(c->w, s, o);
        o->held = durable_hold_send(c->w, s);
    } else if (!send_publish(c, o->msg, o->qos, o->pid, false, o->retain, o->sub_id)) {
        count_drop(c->w, s, o->msg, "larger than the client's maximum packet size");
        session_omsg_free(c->w, o);
        return false;
    }
    list_push(&s->inflight, &o->node);
    s->inflight_count++;
    return true;
}

void broker_send_held(struct session *s, uint32_t ticket)
{
    struct client *c = s->client;
    struct list *n;
    list_for_each(n, &s->inflight)
    {
        struct omsg *o = list_entry(n, struct omsg, node);
        if (o->held == 0 || o->held > ticket)
            continue;
        o->held = 0;
        /* Without a connection it goes out (DUP) when the client is back. */
        if (c && c->state == CLIENT_ACTIVE)
            send_publish(c, o->msg, o->qos, o->pid, false, o->retain, o->sub_id);
    }
}

static bool deliver_allowed(struct worker *w, struct session *s, const struct msg *m)
{
    if (!auth_has_acl(w->auth))
        return true;
    struct slice user = slice_make(s->username, s->username_len);
    return auth_acl_allows(w->auth, s->client_id, s->username ? &user : NULL, m->topic,
                           AUTH_ACCESS_READ);
}

void broker_deliver(struct worker *w, struct session *s, struct msg *m, uint8_t qos, bool retain,
                    uint32_t sub_id)
{
    broker_deliver_entry(w, s, m, qos, retain, sub_id, 0);
}

void broker_deliver_entry(struct worker *w, struct session *s, struct msg *m, uint8_t qos,
                          bool retain, uint32_t sub_id, uint64_t entry)
{
    uint32_t left;
    if (s->dead || !msg_remaining(m, w->now_ms, &left) || !deliver_allowed(w, s, m)) {
        if (entry) {
            store_entry_del(&w->batch, entry);
            durable_msg_release(w, m);
        }
        msg_unref(m);
        return;
    }
    struct client *c = s->client;
    if (qos == 0) {
        /* QoS 0 is never queued: sent now or, at the output bound, dropped. */
        if (c && client_can_send(c)) {
            if (!send_publish(c, m, 0, 0, false, retain, sub_id))
                count_drop(w, s, m, "larger than the client's maximum packet size");
        } else if (c) {
            count_drop(w, s, m, "client output buffer full (max_write_buffer)");
        }
        msg_unref(m);
        return;
    }
    struct omsg *o = session_omsg_new(w, m, qos, retain, sub_id);
    o->entry = entry;
    if (c && client_can_send(c) && list_empty(&s->queue) && s->inflight_count < c->window) {
        start_inflight(c, s, o);
        return;
    }
    const struct config *cfg = w->srv->cfg;
    if ((cfg->max_queued_messages && s->queued >= cfg->max_queued_messages) ||
        (cfg->max_queued_bytes && s->queued_bytes + msg_size(m) > cfg->max_queued_bytes)) {
        count_drop(w, s, m, "session queue full (max_queued_messages/max_queued_bytes)");
        session_omsg_free(w, o);
        return;
    }
    list_push(&s->queue, &o->node);
    s->queued++;
    s->queued_bytes += msg_size(m);
}

void broker_pump(struct session *s)
{
    struct client *c = s->client;
    while (c && client_can_send(c) && s->inflight_count < c->window && !list_empty(&s->queue)) {
        struct omsg *o = list_entry(list_pop(&s->queue), struct omsg, node);
        s->queued--;
        s->queued_bytes -= msg_size(o->msg);
        uint32_t left;
        if (!msg_remaining(o->msg, c->w->now_ms, &left)) {
            session_omsg_free(c->w, o); /* expired while queued */
            continue;
        }
        start_inflight(c, s, o);
    }
}

void broker_resume_session(struct client *c)
{
    struct session *s = c->sess;
    struct list *n;
    list_for_each(n, &s->inflight)
    {
        struct omsg *o = list_entry(n, struct omsg, node);
        if (o->held)
            continue; /* its first send waits for the store (durable.h) */
        if (o->state == OMSG_WAIT_PUBCOMP)
            client_send_ack(c, MQTT_PUBREL, o->pid, 0);
        else
            send_publish(c, o->msg, o->qos, o->pid, true, o->retain, o->sub_id);
    }
    broker_pump(s);
}
