/*
 * durable.c - what broker events write to the store, and the work held
 * until it is committed (see durable.h).
 */
#include "broker/durable.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "broker/msg.h"
#include "broker/session.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/log.h"

void durable_worker_init(struct worker *w)
{
    store_batch_init(&w->batch);
    w->held = NULL;
    w->nheld = w->held_cap = 0;
    w->ticket_next = 1;
}

/* A delivery never released: its references go. */
static void delivery_abandon(struct worker *w, struct delivery *d)
{
    if (d->msg == NULL)
        return;
    if (d->sess->owner != w)
        session_unref(d->sess); /* routing's reference for another worker */
    broker_delivery_drop(d);
}

static void held_drop(struct worker *w, struct held *h)
{
    free(h->bytes);
    if (h->kind == HELD_DELIVER)
        delivery_abandon(w, &h->d);
    session_unref(h->sess);
}

void durable_worker_fini(struct worker *w)
{
    for (uint32_t i = 0; i < w->nheld; i++)
        held_drop(w, &w->held[i]);
    free(w->held);
    w->held = NULL;
    w->nheld = 0;
    store_batch_fini(&w->batch);
}

static struct held *held_push(struct worker *w, uint8_t kind, struct session *s)
{
    if (w->nheld == w->held_cap) {
        w->held_cap = w->held_cap ? w->held_cap * 2 : 64;
        w->held = xrealloc(w->held, w->held_cap * sizeof *w->held);
    }
    struct held *h = &w->held[w->nheld++];
    memset(h, 0, sizeof *h);
    h->kind = kind;
    h->sess = session_ref(s);
    loop_request_pass(&w->loop); /* the pass end commits */
    return h;
}

bool durable_must_hold(const struct client *c)
{
    return durable_on(c->w) && c->held_until > c->w->ticket_done;
}

void durable_note_held(struct worker *w, struct client *c)
{
    if (c)
        c->held_until = w->ticket_next;
}

void durable_hold_ack(struct worker *w, struct session *s, uint8_t type, uint16_t pid,
                      uint8_t reason, bool ends)
{
    struct held *h = held_push(w, HELD_ACK, s);
    h->type = type;
    h->pid = pid;
    h->reason = reason;
    h->ends = ends;
    h->gen = s->attach_gen;
    durable_note_held(w, s->client);
}

void durable_hold_delivery(struct worker *w, struct delivery *d)
{
    /* Our own reference to the session as well: one of this worker's may
     * end before the ticket is back. */
    struct held *h = held_push(w, HELD_DELIVER, d->sess);
    h->d = *d;
    memset(d, 0, sizeof *d);
}

void durable_hold_packet(struct worker *w, struct session *s, uint8_t *bytes, uint32_t len)
{
    struct held *h = held_push(w, HELD_PACKET, s);
    h->bytes = bytes;
    h->len = len;
    h->gen = s->attach_gen;
    durable_note_held(w, s->client);
}

uint32_t durable_hold_send(struct worker *w, struct session *s)
{
    held_push(w, HELD_SEND, s);
    return w->ticket_next;
}

/* Store thread: hands the ticket back to its worker. */
static void on_committed(void *arg, int status)
{
    struct ticket *t = arg;
    t->status = status;
    loop_post_one(&t->w->loop, &t->task.node);
}

void durable_pass_end(struct worker *w)
{
    if (!durable_on(w) || (w->nheld == 0 && store_batch_empty(&w->batch)))
        return;
    struct ticket *t = xmalloc(sizeof *t + w->nheld * sizeof t->items[0]);
    list_init(&t->task.node);
    t->task.kind = TASK_STORE_DONE;
    t->w = w;
    t->status = 0;
    t->id = w->ticket_next++;
    t->n = w->nheld;
    if (w->nheld) /* a batch may go with nothing held (memcpy wants a pointer) */
        memcpy(t->items, w->held, w->nheld * sizeof t->items[0]);
    w->nheld = 0;
    store_batch_commit(&w->srv->store, &w->batch, on_committed, t);
}

/* --- release --------------------------------------------------------- */

static struct client *ack_target(struct session *s, uint32_t gen)
{
    struct client *c = s->client;
    if (c == NULL || s->attach_gen != gen || c->state != CLIENT_ACTIVE)
        return NULL; /* that connection is gone; the client re-sends */
    return c;
}

static void release_ack(struct worker *w, struct held *h, int status)
{
    struct client *c = ack_target(h->sess, h->gen);
    bool publish_ack = h->type == MQTT_PUBACK || h->type == MQTT_PUBREC;
    if (status != 0 && publish_ack) {
        /* Not on disk, so not accepted: the publisher must not think it
         * is. v5 learns why (Quota exceeded); 3.1.1 cannot be told, so it
         * loses the connection and re-sends after reconnecting. */
        if (h->type == MQTT_PUBREC)
            session_qos2_del(h->sess, h->pid, NULL);
        if (c == NULL)
            return;
        if (c->version == MQTT_V5) {
            client_send_ack(c, h->type, h->pid, MQTT_RC_QUOTA_EXCEEDED);
            if (c->rx_unacked > 0)
                c->rx_unacked--; /* a refusal ends the exchange */
        } else
            client_close(c, 0, false, true, "store write failed; publish not accepted");
        return;
    }
    (void)w;
    if (c == NULL)
        return;
    client_send_ack(c, h->type, h->pid, h->reason);
    if (h->ends && c->rx_unacked > 0)
        c->rx_unacked--; /* the exchange is over (Receive Maximum) */
}

static void release_delivery(struct worker *w, struct held *h, int status)
{
    struct delivery *d = &h->d;
    if (status != 0) {
        /* The rows were rolled back with the batch; only the count goes. */
        if (d->entry)
            atomic_fetch_sub(&d->msg->srefs, 1);
        delivery_abandon(w, d);
        return;
    }
    if (d->sess->owner == w)
        broker_deliver(w, d);
    else
        broker_outbox_push(w, d);
    memset(d, 0, sizeof *d); /* its references went with it */
}

void durable_ticket_done(struct worker *w, struct ticket *t)
{
    if (t->status != 0 && worker_log_allowed(w))
        log_error("store: commit failed (%s): %u acknowledgement(s) and deliveries refused",
                  strerror(-t->status), t->n);
    for (uint32_t i = 0; i < t->n; i++) {
        struct held *h = &t->items[i];
        switch (h->kind) {
        case HELD_ACK:
            release_ack(w, h, t->status);
            break;
        case HELD_DELIVER:
            release_delivery(w, h, t->status);
            break;
        case HELD_PACKET: {
            /* A SUBACK: the subscription works in memory either way; a
             * failed write is logged above. */
            struct client *c = ack_target(h->sess, h->gen);
            uint8_t *p = c ? client_out_reserve(c, h->len) : NULL;
            if (p) {
                memcpy(p, h->bytes, h->len);
                client_out_commit(c, h->len);
            }
            break;
        }
        case HELD_SEND:
            broker_send_held(h->sess, t->id);
            break;
        default:
            break;
        }
        held_drop(w, h);
    }
    w->ticket_done = t->id;
    free(t);
    broker_flush_outboxes(w);
}

void durable_ticket_drop(struct ticket *t)
{
    for (uint32_t i = 0; i < t->n; i++)
        held_drop(t->w, &t->items[i]);
    free(t);
}

/* --- rows ------------------------------------------------------------ */

static void session_record(struct worker *w, struct session *s, uint64_t offline_at)
{
    struct store_session_rec r = {
        .seq = s->seq,
        .client_id = s->client_id,
        .has_username = s->username != NULL,
        .username = slice_make(s->username, s->username_len),
        .expiry_interval = s->expiry_interval,
        .offline_at_ms = offline_at,
        .next_pid = s->next_pid,
    };
    if (s->stored_will && s->stored_will == s->will) {
        /* A parked will: stored with the time left from offline_at, so a
         * restart publishes it when its delay ends (recover.c). */
        uint64_t left = s->will_at_ms > w->now_ms ? s->will_at_ms - w->now_ms : 0;
        r.will_msg = atomic_load(&s->will->seq);
        r.will_delay = (uint32_t)((left + 999) / 1000);
        if (r.offline_at_ms == 0)
            r.offline_at_ms = clock_wall_ms();
    } else if (s->stored_will) {
        /* The connection's will: if the broker dies, the connection ended
         * without DISCONNECT, and the restart publishes it after its delay. */
        r.will_msg = atomic_load(&s->stored_will->seq);
        r.will_delay = s->stored_will_delay;
    }
    store_session_put(&w->batch, &r);
}

/* Forgets the stored will (its row goes when nothing else names it). */
static void will_unstore(struct worker *w, struct session *s)
{
    if (s->stored_will == NULL)
        return;
    durable_msg_release(w, s->stored_will);
    msg_unref(s->stored_will);
    s->stored_will = NULL;
}

/* Makes m the stored will of s. */
static void will_store(struct worker *w, struct session *s, struct msg *m, uint32_t delay)
{
    if (s->stored_will == m)
        return;
    will_unstore(w, s);
    durable_msg_hold(w, m);
    s->stored_will = msg_ref(m);
    s->stored_will_delay = delay;
}

void durable_will_attach(struct worker *w, struct session *s, struct msg *m, uint32_t delay)
{
    if (!durable_on(w) || s->seq == 0 || m == NULL)
        return;
    will_store(w, s, m, delay);
    session_record(w, s, 0);
}

void durable_will_parked(struct worker *w, struct session *s)
{
    if (!durable_on(w) || s->seq == 0 || s->will == NULL)
        return;
    will_store(w, s, s->will, s->stored_will_delay);
    session_record(w, s, clock_wall_ms());
}

void durable_will_gone(struct worker *w, struct session *s, struct msg *m)
{
    if (!durable_on(w) || s->seq == 0 || s->stored_will != m)
        return;
    will_unstore(w, s);
    if (!s->dead)
        session_record(w, s, s->client ? 0 : clock_wall_ms());
}

static void store_subs(struct worker *w, struct session *s)
{
    for (uint32_t i = 0; i < s->subs_count; i++) {
        struct sess_sub *e = &s->subs[i];
        durable_sub_put(w, s, slice_make(e->filter, e->len), e->opts, e->sub_id);
    }
}

void durable_session_attached(struct worker *w, struct session *s)
{
    if (!durable_on(w))
        return;
    if (s->expiry_interval == 0) {
        if (s->seq) {
            /* It no longer outlives its connection: off the disk. */
            store_session_del(&w->batch, s->seq);
            s->seq = 0;
        }
        return;
    }
    bool fresh = s->seq == 0;
    if (fresh)
        s->seq = store_next_seq(&w->srv->store);
    session_record(w, s, 0);
    if (fresh)
        store_subs(w, s);
}

void durable_session_saved(struct worker *w, struct session *s)
{
    if (!durable_on(w))
        return;
    if (s->expiry_interval == 0 || s->dead) {
        durable_session_ended(w, s);
        return;
    }
    if (s->seq == 0) {
        durable_session_attached(w, s);
        if (s->client)
            return;
    }
    if (s->client == NULL && s->stored_will && s->stored_will != s->will)
        will_unstore(w, s); /* the connection's will went out at once, or was discarded */
    session_record(w, s, s->client ? 0 : clock_wall_ms());
}

void durable_session_ended(struct worker *w, struct session *s)
{
    if (!durable_on(w) || s->seq == 0)
        return;
    will_unstore(w, s);
    store_session_del(&w->batch, s->seq);
    s->seq = 0;
}

void durable_sub_put(struct worker *w, struct session *s, struct slice filter, uint8_t opts,
                     uint32_t sub_id)
{
    if (!durable_on(w) || s->seq == 0)
        return;
    struct store_sub_rec r = {.sess = s->seq, .filter = filter, .opts = opts, .sub_id = sub_id};
    store_sub_put(&w->batch, &r);
}

void durable_sub_del(struct worker *w, struct session *s, struct slice filter)
{
    if (!durable_on(w) || s->seq == 0)
        return;
    store_sub_del(&w->batch, s->seq, filter);
}

void durable_qos2_put(struct worker *w, struct session *s, uint16_t pid)
{
    if (durable_on(w) && s->seq)
        store_qos2_put(&w->batch, s->seq, pid);
}

void durable_qos2_del(struct worker *w, struct session *s, uint16_t pid)
{
    if (durable_on(w) && s->seq)
        store_qos2_del(&w->batch, s->seq, pid);
}

/* The message's absolute expiry in wall-clock ms, 0 = none. */
static uint64_t expiry_wall(const struct worker *w, const struct msg *m)
{
    uint32_t left;
    if (!m->has_expiry || !msg_remaining(m, w->now_ms, &left))
        return 0;
    return clock_wall_ms() + (uint64_t)left * 1000u;
}

void durable_msg_hold(struct worker *w, struct msg *m)
{
    uint64_t seq = atomic_load_explicit(&m->seq, memory_order_acquire);
    if (seq == 0) {
        /* Stored by the worker that first needs it; messages are created
         * on one worker and stored there before they are shared. */
        seq = store_next_seq(&w->srv->store);
        struct store_msg_rec r = {
            .seq = seq,
            .topic = m->topic,
            .payload = m->payload,
            .props = m->props,
            .qos = m->qos,
            .retain = m->retain,
            .expiry_ms = expiry_wall(w, m),
        };
        store_msg_put(&w->batch, &r);
        atomic_store_explicit(&m->seq, seq, memory_order_release);
    }
    atomic_fetch_add_explicit(&m->srefs, 1, memory_order_relaxed);
}

void durable_msg_release(struct worker *w, struct msg *m)
{
    if (atomic_fetch_sub_explicit(&m->srefs, 1, memory_order_acq_rel) == 1)
        store_msg_del(&w->batch, atomic_load_explicit(&m->seq, memory_order_relaxed));
}

void durable_retain_set(struct worker *w, struct msg *m, struct msg *old)
{
    if (!durable_on(w))
        return;
    if (m->payload.len == 0) {
        store_retain_del(&w->batch, m->topic);
    } else {
        durable_msg_hold(w, m);
        store_retain_set(&w->batch, m->topic, atomic_load(&m->seq));
    }
    if (old && atomic_load(&old->seq))
        durable_msg_release(w, old);
}

uint64_t durable_entry_new(struct worker *w, const struct delivery *d)
{
    uint64_t sess = atomic_load_explicit(&d->sess->seq, memory_order_relaxed);
    if (!durable_on(w) || d->qos == 0 || sess == 0)
        return 0;
    durable_msg_hold(w, d->msg);
    /* One Subscription Identifier is kept on disk: the first. */
    const uint32_t *ids = subids_list(&d->ids);
    struct store_entry_rec r = {
        .seq = store_next_seq(&w->srv->store),
        .sess = sess,
        .msg = atomic_load(&d->msg->seq),
        .qos = d->qos,
        .flags = d->retain ? STORE_ENTRY_RETAIN : 0,
        .state = STORE_ENTRY_QUEUED,
        .sub_id = ids ? ids[0] : 0,
    };
    store_entry_put(&w->batch, &r);
    return r.seq;
}

void durable_entry_update(struct worker *w, struct session *s, struct omsg *o)
{
    if (o->entry == 0)
        return;
    if (o->state != OMSG_WAIT_PUBCOMP) {
        store_entry_update(&w->batch, o->entry, o->state, o->pid);
        return;
    }
    /* After PUBREC only the packet id is kept: the entry stops naming the
     * message, whose row may now go [MQTT-4.3.3-4]. */
    struct store_entry_rec r = {
        .seq = o->entry,
        .sess = s->seq,
        .msg = 0,
        .qos = o->qos,
        .flags = o->retain ? STORE_ENTRY_RETAIN : 0,
        .state = STORE_ENTRY_WAIT_PUBCOMP,
        .pid = o->pid,
        .sub_id = subids_list(&o->ids) ? subids_list(&o->ids)[0] : 0,
    };
    store_entry_put(&w->batch, &r);
}

void durable_entry_del(struct worker *w, struct omsg *o)
{
    if (o->entry == 0)
        return;
    store_entry_del(&w->batch, o->entry);
    o->entry = 0;
}
