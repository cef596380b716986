/*
 * recover.c - start-up from the store: rebuilds sessions, subscriptions,
 * queues, inflight state, incoming QoS 2 ids and retained messages before
 * the workers run (durable.h).
 *
 * Time while the broker was down counts: a session whose expiry passed is
 * ended, a message whose expiry passed is dropped; a session that was
 * online when the broker stopped counts as offline from now. Rows that
 * turn out dead (expired, or pointing at rows that are gone) are deleted
 * through worker 0's first batch.
 */
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "broker/durable.h"
#include "broker/msg.h"
#include "broker/retain.h"
#include "broker/session.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/log.h"

struct recovery {
    struct server *srv;
    struct store_batch *fix; /* deletions of dead rows */
    uint64_t wall_ms, mono_ms;
    struct msg **msgs; /* by seq, ascending (the load order) */
    size_t nmsgs, msgs_cap;
    struct session **sess; /* by seq, ascending */
    size_t nsess, sess_cap;
    uint64_t entries, entries_dropped, sessions_expired, msgs_expired, wills;
};

static void *grow(void *v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return v;
    *cap = *cap ? *cap * 2 : 256;
    return xrealloc(v, *cap * size);
}

static struct msg *find_msg(struct recovery *r, uint64_t seq)
{
    size_t lo = 0, hi = r->nmsgs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t s = atomic_load_explicit(&r->msgs[mid]->seq, memory_order_relaxed);
        if (s == seq)
            return r->msgs[mid];
        if (s < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static struct session *find_session(struct recovery *r, uint64_t seq)
{
    size_t lo = 0, hi = r->nsess;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->sess[mid]->seq == seq)
            return r->sess[mid];
        if (r->sess[mid]->seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int on_msg(void *arg, const struct store_msg_rec *rec)
{
    struct recovery *r = arg;
    struct msg *m = msg_new(rec->topic, rec->payload, rec->qos, rec->retain, rec->props, 0,
                            r->mono_ms);
    if (rec->expiry_ms) {
        m->has_expiry = true;
        m->expiry_interval = rec->expiry_ms > r->wall_ms
                                 ? (uint32_t)((rec->expiry_ms - r->wall_ms + 999) / 1000)
                                 : 0;
    }
    atomic_store_explicit(&m->seq, rec->seq, memory_order_relaxed);
    r->msgs = grow(r->msgs, &r->msgs_cap, r->nmsgs, sizeof *r->msgs);
    r->msgs[r->nmsgs++] = m;
    return 0;
}

/* A will that was waiting out its delay, or of a connection the broker's
 * death ended: published when the delay ends, at once if it ended while
 * the broker was down [MQTT-3.1.3-9]. */
static void restore_will(struct recovery *r, struct worker *w, struct session *s,
                         const struct store_session_rec *rec, uint64_t offline_at)
{
    struct msg *m = rec->will_msg ? find_msg(r, rec->will_msg) : NULL;
    if (m == NULL)
        return;
    uint32_t delay = rec->will_delay;
    if (rec->offline_at_ms == 0 && delay > rec->expiry_interval)
        delay = rec->expiry_interval; /* online when the broker died: as at a close */
    uint64_t due = offline_at + (uint64_t)delay * 1000u;
    uint64_t in = due > r->wall_ms ? due - r->wall_ms : 0;
    atomic_fetch_add_explicit(&m->srefs, 1, memory_order_relaxed);
    s->stored_will = msg_ref(m);
    s->stored_will_delay = rec->will_delay;
    will_restore(w, s, msg_ref(m), r->mono_ms + in);
    r->wills++;
}

static int on_session(void *arg, const struct store_session_rec *rec)
{
    struct recovery *r = arg;
    struct server *srv = r->srv;
    uint64_t offline_at = rec->offline_at_ms ? rec->offline_at_ms : r->wall_ms;
    bool expired = rec->expiry_interval != SESSION_EXPIRY_NEVER &&
                   offline_at + (uint64_t)rec->expiry_interval * 1000u <= r->wall_ms;
    if (expired && rec->will_msg == 0) {
        store_session_del(r->fix, rec->seq); /* expired while the broker was down */
        r->sessions_expired++;
        return 0;
    }
    /* An expired session with a will comes back only to publish it (its
     * end, at the first expiry sweep, is after the will timer's first run). */
    struct worker *w = session_owner(srv, rec->client_id);
    struct session *s = session_new(w, rec->client_id);
    s->seq = rec->seq;
    s->expiry_interval = rec->expiry_interval;
    s->next_pid = rec->next_pid;
    if (rec->has_username) {
        s->username = xmemdup(rec->username.ptr, rec->username.len);
        s->username_len = rec->username.len;
    }
    uint64_t left_ms = rec->expiry_interval == SESSION_EXPIRY_NEVER ? UINT64_MAX
                       : expired                                  ? 0
                                  : offline_at + (uint64_t)rec->expiry_interval * 1000u - r->wall_ms;
    s->expire_at_ms = left_ms == UINT64_MAX ? UINT64_MAX : r->mono_ms + left_ms;
    restore_will(r, w, s, rec, offline_at);
    list_push(&w->offline, &s->offline_node);
    STAT_ADD(w, sessions_offline, 1);
    r->sess = grow(r->sess, &r->sess_cap, r->nsess, sizeof *r->sess);
    r->sess[r->nsess++] = s;
    return 0;
}

static int on_sub(void *arg, const struct store_sub_rec *rec)
{
    struct recovery *r = arg;
    struct session *s = find_session(r, rec->sess);
    if (s == NULL)
        return 0; /* its session expired: deleted with it */
    session_sub_put(s, rec->filter, rec->opts, rec->sub_id);
    subtree_add(&r->srv->subs, rec->filter, s, rec->opts, rec->sub_id);
    return 0;
}

static int on_entry(void *arg, const struct store_entry_rec *rec)
{
    struct recovery *r = arg;
    struct session *s = find_session(r, rec->sess);
    if (s == NULL)
        return 0;
    struct msg *m = rec->msg ? find_msg(r, rec->msg) : NULL;
    uint32_t left;
    bool needs_msg = rec->state != STORE_ENTRY_WAIT_PUBCOMP;
    if (needs_msg && (m == NULL || !msg_remaining(m, r->mono_ms, &left))) {
        /* Expired while queued, or its message never made it to disk. */
        store_entry_del(r->fix, rec->seq);
        r->entries_dropped++;
        return 0;
    }
    struct worker *w = s->owner;
    struct delivery d = {
        .msg = msg_ref(m ? m : r->msgs[0]),
        .sess = s,
        .ids = subids_one(rec->sub_id),
        .qos = rec->qos,
        .retain = (rec->flags & STORE_ENTRY_RETAIN) != 0,
        .entry = rec->seq,
    };
    struct omsg *o = session_omsg_new(w, &d);
    o->state = rec->state;
    o->pid = rec->pid;
    if (!needs_msg) {
        /* Only the packet id is left of a QoS 2 message after PUBREC. */
        STAT_SUB(w, store_messages, 1);
        STAT_SUB(w, store_bytes, msg_size(o->msg));
        msg_unref(o->msg);
        o->msg = NULL;
    } else {
        atomic_fetch_add_explicit(&m->srefs, 1, memory_order_relaxed);
    }
    if (rec->state == STORE_ENTRY_QUEUED) {
        session_queue_push(s, o);
    } else {
        o->seq = s->next_seq++; /* entries load in the order they were made */
        list_push(&s->inflight, &o->node);
        s->inflight_count++;
        if (o->pid > s->next_pid)
            s->next_pid = o->pid;
    }
    r->entries++;
    return 0;
}

static int on_qos2(void *arg, uint64_t sess_seq, uint16_t pid)
{
    struct recovery *r = arg;
    struct session *s = find_session(r, sess_seq);
    if (s)
        session_qos2_add(s, pid, false);
    return 0;
}

static int on_retain(void *arg, struct slice topic, uint64_t msg_seq)
{
    struct recovery *r = arg;
    struct msg *m = find_msg(r, msg_seq);
    uint32_t left;
    if (m == NULL || !msg_remaining(m, r->mono_ms, &left)) {
        store_retain_del(r->fix, topic);
        return 0;
    }
    (void)topic;
    atomic_fetch_add_explicit(&m->srefs, 1, memory_order_relaxed);
    msg_unref(retain_set(&r->srv->retained, m));
    return 0;
}

/* Messages nothing refers to any more go; ours are dropped. */
static void finish(struct recovery *r)
{
    for (size_t i = 0; i < r->nmsgs; i++) {
        struct msg *m = r->msgs[i];
        if (atomic_load_explicit(&m->srefs, memory_order_relaxed) == 0) {
            store_msg_del(r->fix, atomic_load_explicit(&m->seq, memory_order_relaxed));
            r->msgs_expired++;
        }
        msg_unref(m);
    }
    free(r->msgs);
    free(r->sess);
}

int durable_recover(struct server *srv)
{
    if (!store_is_durable(&srv->store))
        return 0;
    struct recovery r = {
        .srv = srv,
        .fix = &srv->workers[0].batch,
        .wall_ms = clock_wall_ms(),
        .mono_ms = clock_mono_ms(),
    };
    /* An entry without a message needs a placeholder; see on_entry. */
    struct msg *none = msg_new(SLICE_NULL, SLICE_NULL, 0, false, SLICE_NULL, 0, r.mono_ms);
    r.msgs = grow(NULL, &r.msgs_cap, 0, sizeof *r.msgs);
    r.msgs[r.nmsgs++] = none; /* seq 0 sorts first */
    const struct store_load_cbs cbs = {
        .msg = on_msg,
        .session = on_session,
        .sub = on_sub,
        .entry = on_entry,
        .qos2 = on_qos2,
        .retain = on_retain,
    };
    uint64_t max_seq = 0;
    int rc = store_load(&srv->store, &cbs, &r, &max_seq);
    atomic_fetch_add(&none->srefs, 1); /* not a stored row: never deleted */
    finish(&r);
    if (rc != 0) {
        log_error("store: loading failed (%d); starting from what was read", rc);
        return rc;
    }
    log_notice("store: recovered %zu session%s, %llu queued or inflight message%s, %llu "
               "will%s; %llu session%s expired while stopped, %llu message%s dropped",
               r.nsess, r.nsess == 1 ? "" : "s", (unsigned long long)r.entries,
               r.entries == 1 ? "" : "s", (unsigned long long)r.wills, r.wills == 1 ? "" : "s",
               (unsigned long long)r.sessions_expired,
               r.sessions_expired == 1 ? "" : "s",
               (unsigned long long)(r.entries_dropped + r.msgs_expired),
               r.entries_dropped + r.msgs_expired == 1 ? "" : "s");
    return 0;
}
