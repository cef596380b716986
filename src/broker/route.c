/*
 * route.c - fan-out of a PUBLISH to the matching sessions, shared
 * subscriptions (choosing a member, and handing messages to another member
 * when one goes away), and wills. Per-session delivery is deliver.c.
 *
 * Routing runs on the publisher's worker: the tree is matched under its
 * read lock, matches are collected (taking a session reference only for
 * sessions of other workers), then delivered after the lock is released:
 * locally at once, or appended to the outbox of the session's worker,
 * which is posted in one batch at the end of the pass.
 *
 * A session with several matching non-shared subscriptions gets one copy
 * at the highest granted QoS [MQTT-3.3.4-2] carrying the Subscription
 * Identifier of each of them [MQTT-3.3.4-4]. A shared subscription's copy
 * is separate (MQTT 5.0 section 4.8.2: each shared subscription is
 * processed independently, and "this could result in a second copy being
 * sent to this Client"), so it stays with its group if the member goes.
 *
 * Shared subscriptions: each message goes to one member, round-robin over
 * the members whose client is connected; only when none is connected does
 * it go (round-robin) to an offline member's session, to wait there. A
 * delivery that finds its member gone by the time it reaches the member's
 * worker is passed on to a connected member, and so are the queued QoS 1/2
 * messages and inflight QoS 1 messages of a member that disconnects (which
 * the specification allows: "It MAY attempt to send the message to another
 * Client as soon as it loses its connection to the first Client"). A QoS 2
 * message already sent stays with its member [MQTT-4.8.2-4] and is never
 * sent to another [MQTT-4.8.2-5].
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

/* Times one message may be passed from member to member (members may leave
 * while it is in an inbox; this bounds the chase). */
#define SHARE_MAX_HOPS 4

struct route_ctx {
    struct worker *w;
    struct msg *m;
    bool dedupe; /* some session has more than one subscription */
};

static struct delivery *match_slot(struct worker *w)
{
    if (w->nmatches == w->matches_cap) {
        w->matches_cap = w->matches_cap ? w->matches_cap * 2 : 64;
        w->matches = xrealloc(w->matches, w->matches_cap * sizeof *w->matches);
    }
    return &w->matches[w->nmatches++];
}

/* Fills d for subscription e of a session (owner w's view: a session of
 * another worker gets a reference, which that worker drops). */
static void delivery_for(struct worker *w, struct delivery *d, const struct msg *m,
                         const struct sub_entry *e)
{
    d->sess = e->sess;
    uint8_t granted = SUBOPT_QOS(e->opts);
    d->qos = m->qos < granted ? m->qos : granted; /* [MQTT-3.8.4-8] [MQTT-4.8.2-3] */
    /* Forwarded messages keep their RETAIN flag only with Retain As
     * Published [MQTT-3.3.1-12] [MQTT-3.3.1-13] (3.1.1: always 0,
     * [MQTT-3.3.1-9] there). */
    d->retain = (e->opts & SUBOPT_RAP) ? m->retain : false;
    d->ids = subids_one(e->sub_id);
    if (e->sess->owner != w)
        session_ref(e->sess); /* it crosses threads; the owner drops it */
}

static void on_entry(void *arg, const struct sub_entry *e)
{
    struct route_ctx *rc = arg;
    /* No Local: not back to the publishing session [MQTT-3.8.3-3]. */
    if ((e->opts & SUBOPT_NO_LOCAL) && e->sess->id == rc->m->origin)
        return;
    struct delivery *d = match_slot(rc->w);
    memset(d, 0, sizeof *d);
    d->msg = rc->m;
    delivery_for(rc->w, d, rc->m, e);
    if (atomic_load_explicit(&e->sess->nsubs, memory_order_relaxed) > 1)
        rc->dedupe = true;
}

static bool member_online(const struct sub_entry *e)
{
    return atomic_load_explicit(&e->sess->online, memory_order_relaxed);
}

/* One member of g, round-robin among the connected members other than
 * `skip`; when none is connected and `any` is set, round-robin among all.
 * NULL when there is no candidate. Tree read lock held. */
static const struct sub_entry *share_pick(struct share_group *g, const struct session *skip,
                                          bool any)
{
    uint32_t online = 0;
    for (uint32_t i = 0; i < g->count; i++)
        if (g->members[i].sess != skip && member_online(&g->members[i]))
            online++;
    if (online == 0 && (!any || g->count == 0))
        return NULL;
    uint32_t turn = atomic_fetch_add_explicit(&g->cursor, 1, memory_order_relaxed);
    if (online == 0)
        return &g->members[turn % g->count];
    uint32_t k = turn % online;
    for (uint32_t i = 0; i < g->count; i++) {
        const struct sub_entry *e = &g->members[i];
        if (e->sess != skip && member_online(e) && k-- == 0)
            return e;
    }
    return NULL; /* not reached: online counted these */
}

static void on_share(void *arg, struct share_group *g)
{
    struct route_ctx *rc = arg;
    const struct sub_entry *e = share_pick(g, NULL, true);
    if (e == NULL)
        return;
    struct delivery *d = match_slot(rc->w);
    memset(d, 0, sizeof *d);
    d->msg = rc->m;
    delivery_for(rc->w, d, rc->m, e);
    d->group = subtree_group_ref(g); /* lets the message move on if the member goes */
}

static int cmp_match(const void *a, const void *b)
{
    const struct delivery *x = a, *y = b;
    return x->sess < y->sess ? -1 : x->sess > y->sess;
}

/* Merges non-shared matches of the same session: one copy at the highest
 * QoS [MQTT-3.3.4-2], every Subscription Identifier [MQTT-3.3.4-3]
 * [MQTT-3.3.4-4]; retained as published when any subscription says so.
 * Shared matches stay separate copies (see the file comment). */
static void dedupe(struct worker *w)
{
    qsort(w->matches, w->nmatches, sizeof *w->matches, cmp_match);
    uint32_t out = 0;
    for (uint32_t i = 0; i < w->nmatches; i++) {
        struct delivery *x = &w->matches[i];
        struct delivery *keep = out > 0 ? &w->matches[out - 1] : NULL;
        if (keep && keep->sess == x->sess && keep->group == NULL && x->group == NULL) {
            if (x->qos > keep->qos)
                keep->qos = x->qos;
            keep->retain = keep->retain || x->retain;
            subids_merge(&keep->ids, &x->ids);
            if (x->sess->owner != w)
                session_unref(x->sess);
            continue;
        }
        w->matches[out++] = *x;
    }
    w->nmatches = out;
}

void broker_outbox_push(struct worker *w, struct delivery *d)
{
    struct worker *to = d->sess->owner;
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
    b->d[b->n++] = *d;
    loop_request_pass(&w->loop); /* the pass end posts the outboxes */
}

/* Every match is a QoS 1/2 delivery to a session whose queue is at its
 * limit (the flag is read without the owner's lock: a hint). */
static uint32_t count_full(struct worker *w)
{
    uint32_t full = 0;
    for (uint32_t i = 0; i < w->nmatches; i++) {
        const struct delivery *d = &w->matches[i];
        if (d->qos > 0 && atomic_load_explicit(&d->sess->queue_full, memory_order_relaxed))
            full++;
    }
    return full;
}

/* Releases the collected matches without delivering them. */
static void drop_matches(struct worker *w)
{
    for (uint32_t i = 0; i < w->nmatches; i++) {
        struct delivery *d = &w->matches[i];
        d->msg = NULL; /* not referenced yet */
        broker_delivery_drop(d);
        if (d->sess->owner != w)
            session_unref(d->sess);
    }
    STAT_ADD(w, publish_dropped, w->nmatches);
}

/* A borrowed message (msg.h) can serve every match when each is a QoS 0
 * delivery sent on this worker right away: not through another worker's
 * inbox, and not through a shared group (whose member may have gone, so
 * that the message moves on). */
static bool borrow_suffices(const struct worker *w)
{
    for (uint32_t i = 0; i < w->nmatches; i++) {
        const struct delivery *d = &w->matches[i];
        if (d->qos > 0 || d->group || d->sess->owner != w)
            return false;
    }
    return true;
}

/* give: m's reference is the caller's gift, handed on to the last
 * delivery instead of one more reference taken and the caller's dropped
 * (two atomic operations on a line another worker may be writing). */
static struct route_result route(struct worker *w, struct msg *m, bool give,
                                 struct subtree_cache *cache)
{
    struct msg *mine = give ? m : NULL; /* a reference of ours to hand on */
    struct route_ctx rc = {w, m, false};
    w->nmatches = 0;
    if (cache)
        subtree_match_cached(&w->srv->subs, w->id, m->topic, cache, on_entry, on_share, &rc);
    else
        subtree_match(&w->srv->subs, w->id, m->topic, on_entry, on_share, &rc);
    if (rc.dedupe)
        dedupe(w);
    struct route_result r = {w->nmatches, count_full(w)};
    if (r.matched > 0 && r.full == r.matched) {
        /* Nobody has room: no copy goes anywhere, so the publisher's 0x97
         * (publish.c) is the whole truth, and a retry cannot duplicate. */
        drop_matches(w);
        w->nmatches = 0;
        msg_unref(mine);
        return r;
    }
    if (w->nmatches > 1)
        atomic_store_explicit(&m->wire_shared, true, memory_order_relaxed);
    /* With persistence, a QoS 1/2 message is stored with an entry per
     * stored session it goes to, and goes onward once that is committed
     * (durable.h). */
    bool hold = durable_on(w) && (m->qos > 0 || w->route_hold);
    if (m->borrowed && (hold || !borrow_suffices(w))) {
        struct msg *own = msg_own(&w->msgs, m);
        if (atomic_load_explicit(&m->wire_shared, memory_order_relaxed))
            atomic_store_explicit(&own->wire_shared, true, memory_order_relaxed);
        m = mine = own;
    }
    /* Every delivery's reference in one operation; ours goes to the last. */
    uint32_t refs = w->nmatches - (mine && w->nmatches > 0 ? 1 : 0);
    if (refs)
        msg_ref_n(m, refs);
    if (w->nmatches > 0)
        mine = NULL;
    for (uint32_t i = 0; i < w->nmatches; i++) {
        struct delivery *d = &w->matches[i];
        d->msg = m;
        if (hold) {
            d->entry = durable_entry_new(w, d);
            durable_hold_delivery(w, d);
        } else if (d->sess->owner == w) {
            broker_deliver(w, d);
        } else {
            broker_outbox_push(w, d);
        }
    }
    w->nmatches = 0;
    msg_unref(mine); /* no match at all */
    return r;
}

struct route_result broker_route(struct worker *w, struct msg *m)
{
    return route(w, m, false, NULL);
}

struct route_result broker_route_take(struct worker *w, struct msg *m,
                                      struct subtree_cache *cache)
{
    return route(w, m, !m->borrowed, cache);
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

struct reroute_ctx {
    struct worker *w;
    struct delivery *d;
    const struct session *skip;
    bool found;
};

static void reroute_pick(void *arg, struct share_group *g)
{
    struct reroute_ctx *x = arg;
    const struct sub_entry *e = share_pick(g, x->skip, false);
    if (e == NULL)
        return;
    struct delivery *d = x->d;
    subids_fini(&d->ids);
    delivery_for(x->w, d, d->msg, e);
    x->found = true;
}

bool broker_share_reroute(struct worker *w, struct delivery *d)
{
    if (d->group == NULL || d->hops >= SHARE_MAX_HOPS || w->stopping)
        return false;
    struct session *from = d->sess;
    uint64_t from_entry = d->entry;
    struct reroute_ctx x = {w, d, from, false};
    subtree_group_visit(&w->srv->subs, w->id, d->group, reroute_pick, &x);
    if (!x.found)
        return false;
    d->hops++;
    if (durable_on(w) && d->msg->qos > 0) {
        /* The stored entry moves to the new member, committed before the
         * message goes there (durable.h). */
        if (from_entry) {
            store_entry_del(&w->batch, from_entry);
            durable_msg_release(w, d->msg);
        }
        d->entry = durable_entry_new(w, d);
        durable_hold_delivery(w, d);
        return true;
    }
    /* delivery_for took the new member's grant against the message's own
     * QoS, and its Subscription Identifier: only the receiving member's
     * own identifiers go out (5.0 section 3.3.4). The reference to `from`,
     * if any, stays the caller's. */
    if (d->sess->owner == w)
        broker_deliver(w, d);
    else
        broker_outbox_push(w, d);
    return true;
}

/* Passes a copy of o (a message of s from a shared subscription) to
 * another member; true when it went (o itself is left to the caller). */
static bool hand_over(struct worker *w, struct session *s, const struct omsg *o)
{
    struct delivery d;
    memset(&d, 0, sizeof d);
    d.msg = msg_ref(o->msg);
    d.sess = s;
    d.group = subtree_group_ref(o->group);
    if (broker_share_reroute(w, &d))
        return true;
    broker_delivery_drop(&d);
    return false;
}

static void handoff_inflight(struct worker *w, struct session *s, struct list *l)
{
    struct list *n, *tmp;
    list_for_each_safe(n, tmp, l)
    {
        struct omsg *o = list_entry(n, struct omsg, node);
        /* QoS 2 once sent stays [MQTT-4.8.2-4] [MQTT-4.8.2-5]. */
        if (o->group == NULL || o->state != OMSG_WAIT_PUBACK || !hand_over(w, s, o))
            continue;
        list_unlink(&o->node);
        s->inflight_count--;
        session_omsg_free(w, o);
    }
}

void broker_share_handoff(struct worker *w, struct session *s)
{
    if (w->stopping)
        return;
    struct list *n, *tmp;
    list_for_each_safe(n, tmp, &s->queue)
    {
        struct omsg *o = list_entry(n, struct omsg, node);
        /* Without a connected member it waits here, in its place. */
        if (o->group == NULL || !hand_over(w, s, o))
            continue;
        session_queue_unlink(s, o);
        session_omsg_free(w, o);
    }
    handoff_inflight(w, s, &s->inflight);
    handoff_inflight(w, s, &s->resend);
}
