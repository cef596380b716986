/*
 * session.c - session lifecycle and bookkeeping (see session.h).
 */
#include "broker/session.h"

#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "broker/durable.h"
#include "broker/msg.h"
#include "broker/server.h"
#include "util/alloc.h"
#include "util/log.h"

struct session *session_find(struct worker *w, struct slice client_id)
{
    LOOP_ASSERT_OWNER(&w->loop);
    uint64_t h = hash_slice(client_id, w->srv->seed);
    for (struct hnode *e = htable_first(&w->sessions, h); e; e = htable_next(e)) {
        struct session *s = (struct session *)e;
        if (slice_eq(s->client_id, client_id))
            return s;
    }
    return NULL;
}

struct session *session_new(struct worker *w, struct slice client_id)
{
    LOOP_ASSERT_OWNER(&w->loop);
    struct session *s = xcalloc(1, sizeof *s + client_id.len + 1);
    memcpy(s + 1, client_id.ptr, client_id.len);
    s->client_id = slice_make(s + 1, client_id.len);
    s->owner = w;
    atomic_init(&s->refs, 1);
    atomic_init(&s->online, false);
    atomic_init(&s->nsubs, 0);
    atomic_init(&s->queue_full, false);
    s->id = atomic_fetch_add(&w->srv->next_session_id, 1);
    list_init(&s->queue);
    list_init(&s->inflight);
    list_init(&s->resend);
    list_init(&s->offline_node);
    list_init(&s->will_node);
    htable_insert(&w->sessions, &s->hnode, hash_slice(client_id, w->srv->seed));
    return s;
}

/* Freed outgoing-message records a worker keeps for reuse: enough for a
 * burst of deliveries, small next to the messages they point at. */
#define OMSG_POOL_MAX 4096

void session_omsg_free(struct worker *w, struct omsg *o)
{
    if (o->entry) {
        durable_entry_del(w, o);
        if (o->msg)
            durable_msg_release(w, o->msg);
    }
    if (o->msg) {
        STAT_SUB(w, store_messages, 1);
        STAT_SUB(w, store_bytes, msg_size(o->msg));
        msg_unref(o->msg);
    }
    subtree_group_unref(o->group);
    subids_fini(&o->ids);
    if (w->omsg_pooled < OMSG_POOL_MAX) {
        list_push(&w->omsg_pool, &o->node);
        w->omsg_pooled++;
        return;
    }
    free(o);
}

void session_omsg_pool_fini(struct worker *w)
{
    struct list *n;
    while ((n = list_pop(&w->omsg_pool)) != NULL)
        free(list_entry(n, struct omsg, node));
    w->omsg_pooled = 0;
}

struct omsg *session_omsg_new(struct worker *w, struct delivery *d)
{
    struct list *pooled = list_pop(&w->omsg_pool);
    struct omsg *o;
    if (pooled) {
        o = list_entry(pooled, struct omsg, node);
        w->omsg_pooled--;
    } else {
        o = xmalloc(sizeof *o);
    }
    list_init(&o->node);
    o->msg = d->msg; /* the delivery's references move here */
    o->group = d->group;
    o->ids = d->ids;
    d->msg = NULL;
    d->group = NULL;
    d->ids = subids_one(0);
    o->pid = 0;
    o->seq = 0;
    o->qos = d->qos;
    o->state = OMSG_QUEUED;
    o->retain = d->retain;
    o->sent_here = false;
    o->entry = d->entry; /* the stored entry goes with the message */
    d->entry = 0;
    o->held = 0;
    STAT_ADD(w, store_messages, 1);
    STAT_ADD(w, store_bytes, msg_size(o->msg));
    return o;
}

bool session_queue_has_room(const struct session *s, uint64_t bytes)
{
    const struct config *cfg = s->owner->srv->cfg;
    return !(cfg->max_queued_messages && s->queued >= cfg->max_queued_messages) &&
           !(cfg->max_queued_bytes && s->queued_bytes + bytes > cfg->max_queued_bytes);
}

/* Publishers on other workers read this to answer 0x97 (publish.c). */
static void note_fill(struct session *s)
{
    const struct config *cfg = s->owner->srv->cfg;
    bool full = (cfg->max_queued_messages && s->queued >= cfg->max_queued_messages) ||
                (cfg->max_queued_bytes && s->queued_bytes >= cfg->max_queued_bytes);
    if (atomic_load_explicit(&s->queue_full, memory_order_relaxed) != full)
        atomic_store_explicit(&s->queue_full, full, memory_order_relaxed);
}

void session_queue_push(struct session *s, struct omsg *o)
{
    list_push(&s->queue, &o->node);
    s->queued++;
    s->queued_bytes += msg_size(o->msg);
    note_fill(s);
}

void session_queue_unlink(struct session *s, struct omsg *o)
{
    list_unlink(&o->node);
    s->queued--;
    s->queued_bytes -= msg_size(o->msg);
    note_fill(s);
}

struct omsg *session_queue_pop(struct session *s)
{
    if (list_empty(&s->queue))
        return NULL;
    struct omsg *o = list_entry(s->queue.next, struct omsg, node);
    session_queue_unlink(s, o);
    return o;
}

static void drop_list(struct worker *w, struct list *l)
{
    struct list *n;
    while ((n = list_pop(l)) != NULL)
        session_omsg_free(w, list_entry(n, struct omsg, node));
}

void session_end(struct worker *w, struct session *s)
{
    LOOP_ASSERT_OWNER(&w->loop);
    /* What came through shared subscriptions may go to another member
     * (MQTT 5.0 section 4.8.2) before the rest is dropped. */
    atomic_store(&s->online, false);
    broker_share_handoff(w, s);
    durable_session_ended(w, s);
    msg_unref(s->stored_will); /* set only while the store was open */
    s->stored_will = NULL;
    for (uint32_t i = 0; i < s->subs_count; i++) {
        subtree_remove(&w->srv->subs, slice_make(s->subs[i].filter, s->subs[i].len), s);
        free(s->subs[i].filter);
    }
    xfree(s->subs);
    s->subs_count = s->subs_cap = 0;
    atomic_store(&s->nsubs, 0);
    drop_list(w, &s->queue);
    drop_list(w, &s->inflight);
    drop_list(w, &s->resend);
    s->queued = s->inflight_count = 0;
    s->queued_bytes = 0;
    atomic_store(&s->queue_full, false);
    xfree(s->in_qos2);
    s->in_qos2_count = s->in_qos2_cap = 0;
    if (list_linked(&s->offline_node)) {
        list_unlink(&s->offline_node);
        STAT_SUB(w, sessions_offline, 1);
    }
    list_unlink(&s->will_node);
    msg_unref(s->will);
    s->will = NULL;
    htable_remove(&w->sessions, &s->hnode);
    xfree(s->username);
    s->dead = true;
    atomic_store(&s->online, false);
    session_unref(s);
}

void session_unref(struct session *s)
{
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
        free(s);
}

struct sess_sub *session_sub_find(struct session *s, struct slice filter)
{
    for (uint32_t i = 0; i < s->subs_count; i++)
        if (slice_eq(slice_make(s->subs[i].filter, s->subs[i].len), filter))
            return &s->subs[i];
    return NULL;
}

bool session_sub_put(struct session *s, struct slice filter, uint8_t opts, uint32_t sub_id)
{
    struct sess_sub *e = session_sub_find(s, filter);
    if (e) {
        e->opts = opts;
        e->sub_id = sub_id;
        return false;
    }
    if (s->subs_count == s->subs_cap) {
        s->subs_cap = s->subs_cap ? s->subs_cap * 2 : 4;
        s->subs = xrealloc(s->subs, s->subs_cap * sizeof *s->subs);
    }
    s->subs[s->subs_count++] = (struct sess_sub){
        .filter = xmemdup(filter.ptr, filter.len),
        .len = (uint16_t)filter.len,
        .opts = opts,
        .sub_id = sub_id,
    };
    atomic_store_explicit(&s->nsubs, s->subs_count, memory_order_relaxed);
    return true;
}

bool session_sub_del(struct session *s, struct slice filter)
{
    struct sess_sub *e = session_sub_find(s, filter);
    if (e == NULL)
        return false;
    free(e->filter);
    *e = s->subs[--s->subs_count];
    atomic_store_explicit(&s->nsubs, s->subs_count, memory_order_relaxed);
    return true;
}

struct in_qos2 *session_qos2_find(struct session *s, uint16_t pid)
{
    for (uint32_t i = 0; i < s->in_qos2_count; i++)
        if (s->in_qos2[i].pid == pid)
            return &s->in_qos2[i];
    return NULL;
}

void session_qos2_add(struct session *s, uint16_t pid, bool counted)
{
    if (s->in_qos2_count == s->in_qos2_cap) {
        s->in_qos2_cap = s->in_qos2_cap ? s->in_qos2_cap * 2 : 8;
        s->in_qos2 = xrealloc(s->in_qos2, s->in_qos2_cap * sizeof *s->in_qos2);
    }
    s->in_qos2[s->in_qos2_count++] = (struct in_qos2){.pid = pid, .counted = counted};
}

bool session_qos2_del(struct session *s, uint16_t pid, bool *counted)
{
    struct in_qos2 *e = session_qos2_find(s, pid);
    if (e == NULL)
        return false;
    if (counted)
        *counted = e->counted;
    *e = s->in_qos2[--s->in_qos2_count];
    if (s->in_qos2_count == 0) {
        xfree(s->in_qos2);
        s->in_qos2_cap = 0;
    }
    return true;
}

static struct omsg *find_pid(struct list *l, uint16_t pid)
{
    struct list *n;
    list_for_each(n, l)
    {
        struct omsg *o = list_entry(n, struct omsg, node);
        if (o->pid == pid)
            return o;
    }
    return NULL;
}

struct omsg *session_inflight_find(struct session *s, uint16_t pid)
{
    /* Acknowledgements mostly arrive in send order: the head is the usual hit. */
    struct omsg *o = find_pid(&s->inflight, pid);
    return o ? o : find_pid(&s->resend, pid);
}

/* The smallest packet id in use that is >= from, or 65536 for none. */
static uint32_t lowest_pid_from(const struct list *l, uint32_t from, uint32_t best)
{
    const struct list *n;
    for (n = l->next; n != l; n = n->next) {
        const struct omsg *o = list_entry(n, struct omsg, node);
        if (o->pid >= from && o->pid < best)
            best = o->pid;
    }
    return best;
}

uint16_t session_next_pid(struct session *s)
{
    /* Ids are handed out in increasing order, so those of this lap are
     * all below the candidate; an id of an earlier lap still in use is at
     * or above pid_floor. Only reaching the floor costs a scan of the
     * inflight lists: once per lap plus once per id still in use from the
     * lap before, instead of a search per message. */
    for (;;) {
        if (++s->next_pid == 0) {
            s->next_pid = 1;
            s->pid_floor = 0; /* wrapped: the earlier lap's ids are ahead again */
        }
        uint32_t x = s->next_pid;
        if (s->inflight_count == 0)
            return s->next_pid;
        if (s->pid_floor == 0 || x >= s->pid_floor) {
            uint32_t low = lowest_pid_from(&s->inflight, x, 65536);
            low = lowest_pid_from(&s->resend, x, low);
            if (low == x)
                continue; /* in use [MQTT-2.2.1-3] */
            s->pid_floor = low;
        }
        return s->next_pid;
    }
}

void session_detach(struct worker *w, struct session *s, uint64_t now_ms)
{
    LOOP_ASSERT_OWNER(&w->loop);
    s->client = NULL;
    atomic_store(&s->online, false);
    if (s->expiry_interval == 0) {
        session_end(w, s);
        return;
    }
    s->expire_at_ms = s->expiry_interval == SESSION_EXPIRY_NEVER
                          ? UINT64_MAX
                          : now_ms + (uint64_t)s->expiry_interval * 1000u;
    list_push(&w->offline, &s->offline_node);
    STAT_ADD(w, sessions_offline, 1);
    durable_session_saved(w, s);
}

void session_expire(struct worker *w, uint64_t now_ms)
{
    struct list *n, *tmp;
    list_for_each_safe(n, tmp, &w->offline)
    {
        struct session *s = list_entry(n, struct session, offline_node);
        if (s->expire_at_ms > now_ms)
            continue;
        char id[96];
        log_info("session expired: id=%s", log_printable(s->client_id, id, sizeof id));
        STAT_ADD(w, sessions_expired, 1);
        broker_session_end(w, s);
    }
}
