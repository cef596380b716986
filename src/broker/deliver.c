/*
 * deliver.c - one session's outgoing messages: send now, queue or drop;
 * the send quota; re-sending after a reconnect; encoding the PUBLISH with
 * its per-connection parts (Topic Alias, Subscription Identifiers, the
 * Message Expiry Interval left).
 *
 * Flow control (5.0 section 4.9): each connection starts with a send quota
 * equal to its window, the smaller of max_inflight_messages and the
 * client's Receive Maximum. A QoS 1/2 PUBLISH sent takes one; a PUBACK, a
 * PUBCOMP or a PUBREC >= 0x80 gives one back, never above the start value;
 * at zero no QoS 1/2 PUBLISH is sent [MQTT-3.3.4-9] [MQTT-4.9.0-2], but
 * everything else is [MQTT-3.3.4-10]. The quota is the connection's, not
 * the session's: PUBRELs re-sent after a reconnect take none, and the end
 * of an exchange whose PUBLISH went out on an earlier connection gives none
 * back either (4.9 only caps the quota at its start value; giving one back
 * there could put more PUBLISHes of this connection in flight than the
 * client's Receive Maximum).
 *
 * Expiry: a message whose Message Expiry Interval has passed before it is
 * sent to a subscriber is dropped for that subscriber [MQTT-3.3.2-5]: on
 * delivery, and when it leaves the queue. Once sent, a message is
 * re-sent after a reconnect whatever its age: the re-send is required
 * [MQTT-4.4.0-1] and expiry no longer applies to it (QoS 2:
 * [MQTT-4.3.3-7]); it then carries an interval of 0. The interval sent is
 * the one received minus the whole seconds the message spent in the
 * broker [MQTT-3.3.2-6].
 *
 * Maximum Packet Size: a PUBLISH larger than the client's maximum is not
 * sent [MQTT-3.1.2-24]; it is dropped for that client, counted in $SYS
 * publish/messages/dropped, and treated as delivered [MQTT-3.1.2-25].
 */
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "broker/broker.h"
#include "broker/durable.h"
#include "broker/msg.h"
#include "broker/session.h"
#include "util/alloc.h"
#include "util/log.h"

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

void broker_delivery_drop(struct delivery *d)
{
    msg_unref(d->msg);
    d->msg = NULL;
    subtree_group_unref(d->group);
    d->group = NULL;
    subids_fini(&d->ids);
}

/* The v5 properties a PUBLISH gets on its way to this client. */
static void publish_props(struct client *c, struct mqtt_publish *p, const struct msg *m,
                          const struct subids *ids)
{
    p->props.passthrough = m->props; /* as received, in order [MQTT-3.3.2-17] [MQTT-3.3.2-18] */
    if (m->has_expiry) {
        uint32_t left;
        if (!msg_remaining(m, c->w->now_ms, &left))
            left = 0; /* a re-send of an expired message (see the file comment) */
        p->props.present |= MQTT_PROP_BIT(MQTT_PROP_MESSAGE_EXPIRY_INTERVAL);
        p->props.message_expiry_interval = left; /* [MQTT-3.3.2-6] */
    }
    p->props.sub_ids = subids_list(ids);
    p->props.sub_id_count = ids->count;
}

/* Chooses the topic form: an alias already known to the client (empty
 * topic), a new alias (topic + alias, assigned once it is certain to be
 * sent), or the plain topic. Returns the packet size; *fresh says a new
 * alias is to be assigned. */
static size_t publish_size(struct client *c, struct mqtt_publish *p, const struct msg *m,
                           bool *fresh)
{
    *fresh = false;
    if (c->version != MQTT_V5 || c->aliases == NULL || c->aliases->out.cap == 0)
        return mqtt_publish_encode(NULL, 0, p, c->version);
    uint16_t alias = alias_out_find(&c->aliases->out, m->topic);
    p->props.present |= MQTT_PROP_BIT(MQTT_PROP_TOPIC_ALIAS);
    p->props.topic_alias = alias ? alias : 1; /* any value: a Two Byte Integer either way */
    if (alias)
        p->topic = SLICE_NULL;
    size_t n = mqtt_publish_encode(NULL, 0, p, c->version);
    if (c->max_packet_out == 0 || n <= c->max_packet_out) {
        *fresh = alias == 0;
        return n;
    }
    /* Too large with the alias: try the plain form before giving up. */
    p->topic = m->topic;
    p->props.present &= ~MQTT_PROP_BIT(MQTT_PROP_TOPIC_ALIAS);
    return mqtt_publish_encode(NULL, 0, p, c->version);
}

/* The encoded form of m for this client's protocol and QoS class, made on
 * first use: a PUBLISH without properties of its own (no alias, no
 * Subscription Identifier, no expiry countdown) is the same bytes for
 * every subscriber but for its flags and packet id. */
static const struct msg_wire *wire_form(const struct client *c, const struct msg *cm,
                                        uint8_t qos)
{
    struct msg *m = (struct msg *)cm; /* the cache is the mutable part (msg.h) */
    unsigned form = (c->version == MQTT_V5 ? 2u : 0u) | (qos ? 1u : 0u);
    struct msg_wire *wv = atomic_load_explicit(&m->wire[form], memory_order_acquire);
    if (wv)
        return wv;
    struct mqtt_publish p;
    memset(&p, 0, sizeof p);
    p.qos = qos ? 1 : 0;
    p.packet_id = qos ? 1 : 0; /* replaced per copy */
    p.topic = m->topic;
    p.payload = m->payload;
    if (c->version == MQTT_V5)
        p.props.passthrough = m->props;
    size_t n = mqtt_publish_encode(NULL, 0, &p, c->version);
    wv = xmalloc(sizeof *wv + n);
    mqtt_publish_encode(wv->bytes, n, &p, c->version);
    wv->size = (uint32_t)n;
    size_t vlen = 1;
    while (wv->bytes[vlen] & 0x80u) /* the Remaining Length's bytes */
        vlen++;
    wv->pid_off = (uint32_t)(1 + vlen + 2 + m->topic.len);
    struct msg_wire *none = NULL;
    if (!atomic_compare_exchange_strong_explicit(&m->wire[form], &none, wv,
                                                 memory_order_acq_rel, memory_order_acquire)) {
        free(wv); /* another worker made it first */
        wv = none;
    }
    return wv;
}

/* Copies m's shared encoding into c's output; see send_publish. */
static bool send_wire(struct client *c, const struct msg *m, uint8_t qos, uint16_t pid, bool dup,
                      bool retain)
{
    const struct msg_wire *wv = wire_form(c, m, qos);
    if (c->max_packet_out && wv->size > c->max_packet_out)
        return false;
    uint8_t *out = client_out_reserve(c, wv->size);
    if (out == NULL)
        return false;
    memcpy(out, wv->bytes, wv->size);
    out[0] = (uint8_t)(MQTT_PUBLISH << 4 | (dup ? 0x08 : 0) | qos << 1 | (retain ? 1 : 0));
    if (qos) {
        out[wv->pid_off] = (uint8_t)(pid >> 8);
        out[wv->pid_off + 1] = (uint8_t)pid;
    }
    client_out_commit(c, wv->size);
    STAT_ADD(c->w, publish_sent, 1);
    return true;
}

/* Encodes a PUBLISH without per-connection properties straight into c's
 * output (a message that goes to one session only); see send_publish. */
static bool send_plain(struct client *c, const struct msg *m, uint8_t qos, uint16_t pid, bool dup,
                       bool retain)
{
    uint8_t flags = (uint8_t)((dup ? 0x08 : 0) | qos << 1 | (retain ? 1 : 0));
    size_t n = mqtt_publish_encode_plain(NULL, 0, flags, m->topic, pid, m->props, m->payload,
                                         c->version);
    if (c->max_packet_out && n > c->max_packet_out)
        return false;
    uint8_t *out = client_out_reserve(c, n);
    if (out == NULL)
        return false;
    mqtt_publish_encode_plain(out, n, flags, m->topic, pid, m->props, m->payload, c->version);
    client_out_commit(c, n);
    STAT_ADD(c->w, publish_sent, 1);
    return true;
}

/* Encodes one PUBLISH into c's output. Returns false (nothing written)
 * when it exceeds the client's Maximum Packet Size [MQTT-3.1.2-24] or the
 * client is closing. */
static bool send_publish(struct client *c, const struct msg *m, uint8_t qos, uint16_t pid, bool dup,
                         bool retain, const struct subids *ids)
{
    if (ids->count == 0 && !m->has_expiry &&
        (c->version != MQTT_V5 || c->aliases == NULL || c->aliases->out.cap == 0)) {
        /* Nothing of this connection's own in it. */
        if (atomic_load_explicit(&m->wire_shared, memory_order_relaxed))
            return send_wire(c, m, qos, pid, dup, retain);
        return send_plain(c, m, qos, pid, dup, retain);
    }
    struct mqtt_publish p;
    memset(&p, 0, sizeof p);
    p.dup = dup;
    p.qos = qos;
    p.retain = retain;
    p.topic = m->topic;
    p.packet_id = pid;
    p.payload = m->payload;
    if (c->version == MQTT_V5)
        publish_props(c, &p, m, ids);
    bool fresh;
    size_t n = publish_size(c, &p, m, &fresh);
    if (c->max_packet_out && n > c->max_packet_out)
        return false;
    uint8_t *out = client_out_reserve(c, n);
    if (out == NULL)
        return false;
    if (fresh) /* first use: topic and alias together set the client's mapping */
        p.props.topic_alias = alias_out_assign(&c->aliases->out, m->topic);
    mqtt_publish_encode(out, n, &p, c->version);
    client_out_commit(c, n);
    STAT_ADD(c->w, publish_sent, 1);
    return true;
}

/* First transmission of a QoS 1/2 message: packet id, send, inflight. */
static void start_inflight(struct client *c, struct session *s, struct omsg *o)
{
    o->pid = session_next_pid(s);
    if ((o->entry && o->qos == 2) || s->held_sends) {
        /* A stored QoS 2 message's packet id goes to disk before the
         * PUBLISH leaves: after a crash it is re-sent under the same id,
         * never delivered twice (durable.h). Messages behind it wait with
         * it, to keep their order. */
        o->state = o->qos == 1 ? OMSG_WAIT_PUBACK : OMSG_WAIT_PUBREC;
        durable_entry_update(c->w, s, o);
        o->held = durable_hold_send(c->w, s);
        s->held_sends++;
    } else if (!send_publish(c, o->msg, o->qos, o->pid, false, o->retain, &o->ids)) {
        count_drop(c->w, s, o->msg, "larger than the client's maximum packet size");
        session_omsg_free(c->w, o); /* as if delivered [MQTT-3.1.2-25] */
        return;
    }
    c->send_quota--;
    o->sent_here = true;
    o->seq = s->next_seq++;
    o->state = o->qos == 1 ? OMSG_WAIT_PUBACK : OMSG_WAIT_PUBREC;
    list_push(&s->inflight, &o->node);
    s->inflight_count++;
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
        s->held_sends--;
        /* Without its connection it goes out (DUP) when the client is back. */
        if (c && c->state == CLIENT_ACTIVE && o->sent_here)
            send_publish(c, o->msg, o->qos, o->pid, false, o->retain, &o->ids);
    }
}

/* Re-sends the oldest message waiting on s->resend, with DUP [MQTT-3.3.1-1]. */
static void resend_one(struct client *c, struct session *s)
{
    struct omsg *o = list_entry(s->resend.next, struct omsg, node);
    list_unlink(&o->node);
    if (!send_publish(c, o->msg, o->qos, o->pid, true, o->retain, &o->ids)) {
        /* This connection's Maximum Packet Size may be smaller than the last one's. */
        count_drop(c->w, s, o->msg, "larger than the client's maximum packet size");
        s->inflight_count--;
        session_omsg_free(c->w, o);
        return;
    }
    c->send_quota--;
    o->sent_here = true;
    list_push(&s->inflight, &o->node);
}

static bool deliver_allowed(struct worker *w, struct session *s, const struct msg *m)
{
    if (!auth_has_acl(w->auth))
        return true;
    struct slice user = slice_make(s->username, s->username_len);
    return auth_acl_allows(w->auth, s->client_id, s->username ? &user : NULL, m->topic,
                           AUTH_ACCESS_READ);
}

static void deliver_qos0(struct worker *w, struct session *s, struct delivery *d)
{
    /* QoS 0 is never queued: sent now or, at the output bound, dropped. */
    struct client *c = s->client;
    if (c && client_can_send(c)) {
        if (!send_publish(c, d->msg, 0, 0, false, d->retain, &d->ids))
            count_drop(w, s, d->msg, "larger than the client's maximum packet size");
    } else if (c) {
        count_drop(w, s, d->msg, "client output buffer full (max_write_buffer)");
    }
    broker_delivery_drop(d);
}

/* Drops a delivery that had a stored entry: the entry goes too. */
static void drop_stored(struct worker *w, struct delivery *d)
{
    if (d->entry) {
        store_entry_del(&w->batch, d->entry);
        durable_msg_release(w, d->msg);
        d->entry = 0;
    }
    broker_delivery_drop(d);
}

void broker_deliver(struct worker *w, struct delivery *d)
{
    struct session *s = d->sess;
    uint32_t left;
    if (!msg_remaining(d->msg, w->now_ms, &left)) { /* [MQTT-3.3.2-5] */
        drop_stored(w, d);
        return;
    }
    /* A shared subscription's member that left since it was chosen: a
     * connected member gets the message instead. */
    if (d->group && (s->dead || s->client == NULL) && broker_share_reroute(w, d))
        return;
    if (s->dead || !deliver_allowed(w, s, d->msg)) {
        drop_stored(w, d);
        return;
    }
    if (d->qos == 0) {
        deliver_qos0(w, s, d);
        return;
    }
    struct client *c = s->client;
    struct omsg *o = session_omsg_new(w, d);
    if (c && client_can_send(c) && list_empty(&s->queue) && list_empty(&s->resend) &&
        c->send_quota > 0) {
        start_inflight(c, s, o);
        return;
    }
    if (!session_queue_has_room(s, msg_size(o->msg))) {
        count_drop(w, s, o->msg, "session queue full (max_queued_messages/max_queued_bytes)");
        session_omsg_free(w, o);
        return;
    }
    session_queue_push(s, o);
}

void broker_pump(struct session *s)
{
    struct client *c = s->client;
    while (c && client_can_send(c) && c->send_quota > 0) {
        if (!list_empty(&s->resend)) {
            resend_one(c, s);
            continue;
        }
        struct omsg *o = session_queue_pop(s);
        if (o == NULL)
            break;
        uint32_t left;
        if (!msg_remaining(o->msg, c->w->now_ms, &left)) {
            session_omsg_free(c->w, o); /* expired while queued [MQTT-3.3.2-5] */
            continue;
        }
        start_inflight(c, s, o);
    }
}

/* Moves the PUBLISHes of `from` (in first-transmission order) onto
 * s->resend, merged with what is there by that order (4.6, [MQTT-4.6.0-1]). */
static void merge_resend(struct session *s, struct list *from)
{
    struct list *at = s->resend.next;
    struct list *n;
    while ((n = list_pop(from)) != NULL) {
        struct omsg *o = list_entry(n, struct omsg, node);
        while (at != &s->resend && list_entry(at, struct omsg, node)->seq < o->seq)
            at = at->next;
        list_insert_before(at, n);
    }
}

void broker_resume_session(struct client *c)
{
    struct session *s = c->sess;
    /* Receive Maximum counts per connection (section 4.9): the QoS 2
     * exchanges of an earlier connection do not count against this one. */
    for (uint32_t i = 0; i < s->in_qos2_count; i++)
        s->in_qos2[i].counted = false;
    struct list publishes;
    list_init(&publishes);
    struct list *n, *tmp;
    list_for_each_safe(n, tmp, &s->inflight)
    {
        struct omsg *o = list_entry(n, struct omsg, node);
        if (o->held) {
            /* Its first send waits for the store and goes out on this
             * connection then (broker_send_held). */
            o->sent_here = true;
            continue;
        }
        o->sent_here = false;
        if (o->state == OMSG_WAIT_PUBCOMP) {
            client_send_ack(c, MQTT_PUBREL, o->pid, 0); /* never held back [MQTT-3.3.4-10] */
        } else {
            list_unlink(n);
            list_push(&publishes, n);
        }
    }
    merge_resend(s, &publishes);
    broker_pump(s);
}

void broker_outgoing_done(struct client *c, struct omsg *o)
{
    struct session *s = c->sess;
    list_unlink(&o->node);
    s->inflight_count--;
    /* Never above the start value (4.9); nothing for an earlier connection's. */
    if (o->sent_here && c->send_quota < c->window)
        c->send_quota++;
    session_omsg_free(c->w, o);
    broker_pump(s);
}
