/*
 * publish.c - PUBLISH from a client, and the acknowledgements in both
 * directions (PUBACK/PUBREC/PUBREL/PUBCOMP).
 *
 * Incoming QoS 2: the message goes onward when its PUBLISH arrives, and
 * its packet id is remembered until PUBREL, so a re-sent PUBLISH with the
 * same id is acknowledged again but not delivered again (the first of the
 * two methods of [MQTT-4.3.3-2] in 3.1.1 / figure 4.3 in 5.0).
 *
 * Packet ids still awaiting PUBREL [MQTT-4.3.3-10]:
 *   - a QoS 2 PUBLISH with DUP 1 is a re-send: PUBREC again, no delivery;
 *   - v5, any other PUBLISH with that id (DUP 0, or QoS 1) uses an id the
 *     client has not finished with: it is refused with 0x91 (Packet
 *     Identifier in use) and not delivered, and the stale id is forgotten,
 *     so the client's next use of it is a new message (after a PUBREC
 *     >= 0x80 that is required anyway [MQTT-4.3.3-9]);
 *   - 3.1.1 has no such code: a QoS 2 PUBLISH with DUP 0 is taken as a new
 *     message, because publishers that never run their network loop never
 *     send PUBREL and wrap their ids (paho without loop_start()).
 *
 * Receive Maximum (v5): QoS 1/2 PUBLISHes received on this connection and
 * not yet answered with PUBACK or PUBCOMP are counted (c->rx_unacked: up on
 * receipt, down when the PUBACK/PUBCOMP is sent, so acknowledgements
 * delayed for a durable store count too); one more than receive_maximum is
 * disconnected with 0x93 [MQTT-3.3.4-7].
 *
 * Reason codes in PUBACK/PUBREC (v5; 3.1.1 gets a plain acknowledgement,
 * having no way to be told): 0x10 no matching subscribers, 0x87 not
 * authorized, 0x90 topic name invalid, 0x91 packet identifier in use, 0x97
 * quota exceeded (every subscription it matched belongs to a session whose
 * queue is full, so nobody will get it), 0x99 payload format invalid
 * (Payload Format Indicator 1 and a payload that is not well-formed UTF-8;
 * on QoS 0 that is a DISCONNECT with 0x99, 5.0 section 3.3.2.3.2).
 */
#include <string.h>

#include "auth/auth.h"
#include "broker/broker.h"
#include "broker/durable.h"
#include "broker/msg.h"
#include "broker/retain.h"
#include "broker/session.h"
#include "util/alloc.h"
#include "util/log.h"

/* Inbound QoS 1/2 exchanges of this connection (see the file comment). */
static void inbound_begin(struct client *c)
{
    c->rx_unacked++;
}

static void inbound_end(struct client *c)
{
    if (c->rx_unacked > 0)
        c->rx_unacked--;
}

/* Counts one more inbound exchange, or disconnects with 0x93 when that is
 * more than our Receive Maximum [MQTT-3.3.4-7]. Returns false when closed. */
static bool inbound_admit(struct client *c)
{
    if (c->receive_max && c->rx_unacked >= c->receive_max) {
        client_protocol_error(c, MQTT_RC_RECEIVE_MAXIMUM_EXCEEDED,
                              "more unacknowledged QoS 1/2 PUBLISHes than our Receive Maximum "
                              "[MQTT-3.3.4-7]");
        return false;
    }
    inbound_begin(c);
    return true;
}

/* Sends a PUBACK, PUBREC or PUBCOMP for an inbound exchange; `ends` when
 * it ends the exchange (Receive Maximum). With persistence it waits for
 * the store (durable.h); all of them do, so they keep the order of the
 * packets they answer [MQTT-4.6.0-2]. */
static void inbound_ack(struct client *c, uint8_t type, uint16_t pid, uint8_t reason, bool ends)
{
    if (durable_on(c->w)) {
        durable_hold_ack(c->w, c->sess, type, pid, reason, ends);
        return;
    }
    client_send_ack(c, type, pid, reason);
    if (ends)
        inbound_end(c);
}

/* Acknowledges a QoS 1/2 PUBLISH that was not delivered. */
static void refuse_publish(struct client *c, const struct mqtt_publish *p, struct slice topic,
                           uint8_t rc, const char *why)
{
    if (worker_log_allowed(c->w)) {
        char id[96], t[128];
        log_notice("publish refused: id=%s topic=%s: %s", client_log_id(c, id, sizeof id),
                   log_printable(topic, t, sizeof t), why);
    }
    uint8_t reason = c->version == MQTT_V5 ? rc : 0;
    if (p->qos == 1)
        inbound_ack(c, MQTT_PUBACK, p->packet_id, reason, false);
    else if (p->qos == 2)
        inbound_ack(c, MQTT_PUBREC, p->packet_id, reason, false);
}

/* Topic Alias (v5, 5.0 section 3.3.4): resolves *topic, or answers a
 * protocol error and returns false. */
static bool resolve_alias(struct client *c, const struct mqtt_publish *p, struct slice *topic)
{
    *topic = p->topic;
    if (!MQTT_PROP_HAS(&p->props, MQTT_PROP_TOPIC_ALIAS))
        return true; /* an empty topic without an alias failed decoding [MQTT-3.3.2-1] */
    uint16_t alias = p->props.topic_alias;
    uint16_t max = c->aliases ? c->aliases->in.max : 0;
    if (alias == 0 || alias > max) {
        /* 0 is never valid [MQTT-3.3.2-8]; above what CONNACK announced, or
         * any when it announced none [MQTT-3.2.2-17] [MQTT-3.2.2-18]. */
        client_protocol_error(c, MQTT_RC_TOPIC_ALIAS_INVALID,
                              "Topic Alias 0 or above the Topic Alias Maximum [MQTT-3.3.2-9]");
        return false;
    }
    if (p->topic.len > 0) {
        alias_in_set(&c->aliases->in, alias, p->topic); /* set or replace the mapping */
        return true;
    }
    if (!alias_in_get(&c->aliases->in, alias, topic)) {
        client_protocol_error(c, MQTT_RC_PROTOCOL_ERROR,
                              "empty topic with a Topic Alias that was never set (3.3.4)");
        return false;
    }
    return true;
}

/* Limits and permissions; returns 0 or the v5 reason to refuse with. */
static uint8_t check_publish(struct client *c, const struct mqtt_publish *p, struct slice topic,
                             const char **why)
{
    const struct config *cfg = c->w->srv->cfg;
    /* Levels were counted while decoding, unless the topic came from an alias. */
    size_t levels = topic.ptr == p->topic.ptr ? p->topic_levels : mqtt_topic_levels(topic);
    if (topic.len > cfg->max_topic_length || levels > cfg->max_topic_levels) {
        *why = "topic longer or deeper than the configured limit";
        return MQTT_RC_TOPIC_NAME_INVALID;
    }
    if (slice_starts_with(topic, SLICE_LIT("$SYS/")) || slice_eq_cstr(topic, "$SYS")) {
        /* $SYS is the broker's own; clients may not write there. */
        *why = "$SYS topics are written by the broker only";
        return MQTT_RC_NOT_AUTHORIZED;
    }
    struct slice user = slice_make(c->username, c->username_len);
    if (!auth_acl_allows(c->w->auth, c->sess->client_id, c->username ? &user : NULL, topic,
                         AUTH_ACCESS_WRITE)) {
        *why = "denied by ACL";
        return MQTT_RC_NOT_AUTHORIZED;
    }
    if (c->version == MQTT_V5 && MQTT_PROP_HAS(&p->props, MQTT_PROP_PAYLOAD_FORMAT_INDICATOR) &&
        p->props.payload_format_indicator == 1 && !mqtt_utf8_data_valid(p->payload)) {
        *why = "Payload Format Indicator 1 but the payload is not UTF-8 (3.3.2.3.2)";
        return MQTT_RC_PAYLOAD_FORMAT_INVALID;
    }
    return 0;
}

/* A PUBLISH whose id is still awaiting PUBREL. Returns true when it has
 * been answered (not to be delivered). */
static bool qos2_id_in_use(struct client *c, const struct mqtt_publish *p, struct slice topic)
{
    struct session *s = c->sess;
    struct in_qos2 *e = session_qos2_find(s, p->packet_id);
    if (e == NULL)
        return false;
    if (p->qos == 2 && p->dup) {
        /* A re-send of a message we already took: acknowledged again, not
         * delivered again [MQTT-4.3.3-10] [MQTT-3.3.1-1]. A re-send after a
         * reconnect counts against this connection's Receive Maximum. */
        if (!e->counted) {
            if (!inbound_admit(c))
                return true;
            e->counted = true;
        }
        inbound_ack(c, MQTT_PUBREC, p->packet_id, 0, false);
        return true;
    }
    if (c->version != MQTT_V5 && p->qos == 1)
        return false; /* 3.1.1: delivered and acknowledged as always */
    bool counted = false;
    session_qos2_del(s, p->packet_id, &counted);
    durable_qos2_del(c->w, s, p->packet_id);
    if (counted)
        inbound_end(c);
    c->glitches++;
    if (c->version != MQTT_V5)
        return false; /* 3.1.1 QoS 2, DUP 0: a new message (see the file comment) */
    refuse_publish(c, p, topic, MQTT_RC_PACKET_IDENTIFIER_IN_USE,
                   "packet identifier still awaiting PUBREL [MQTT-2.2.1-3]");
    return true;
}

/* Sends the message on and answers the publisher. */
static void take_publish(struct client *c, const struct mqtt_publish *p, struct slice topic)
{
    struct worker *w = c->w;
    struct session *s = c->sess;
    /* QoS 0 without retain or properties to forward is not copied unless
     * routing must keep it (msg.h). */
    struct msg borrowed;
    struct msg *m;
    if (p->qos == 0 && !p->retain && p->props.raw.len == 0) {
        msg_borrow(&borrowed, p, topic, s->id, w->now_ms);
        m = &borrowed;
    } else {
        m = msg_from_publish(&w->msgs, p, topic, s->id, w->now_ms);
    }
    if (p->retain) {
        struct msg *old = retain_set(&w->srv->retained, m); /* [MQTT-3.3.1-5] */
        durable_retain_set(w, m, old);
        msg_unref(old);
    }
    /* Behind a publisher's held messages, its QoS 0 ones wait too: one
     * publisher's messages keep their order (durable.h). */
    w->route_hold = p->qos == 0 && durable_on(w) && durable_must_hold(c);
    if (c->route_cache == NULL) /* publishers only: idle connections keep none */
        c->route_cache = xcalloc(1, sizeof *c->route_cache);
    struct route_result r = broker_route_take(w, m, c->route_cache); /* m is gone, unless borrowed */
    if (w->route_hold)
        durable_note_held(w, c);
    w->route_hold = false;
    if (m == &borrowed)
        msg_borrow_end(m);
    uint8_t reason = 0;
    if (c->version == MQTT_V5) {
        if (r.matched == 0)
            reason = MQTT_RC_NO_MATCHING_SUBSCRIBERS;
        else if (p->qos > 0 && r.full == r.matched)
            reason = MQTT_RC_QUOTA_EXCEEDED;
    }
    if (p->qos == 1) {
        inbound_ack(c, MQTT_PUBACK, p->packet_id, reason, true);
    } else if (p->qos == 2) {
        if (reason < 0x80) { /* a PUBREC >= 0x80 ends the exchange [MQTT-4.3.3-9] */
            session_qos2_add(s, p->packet_id, true);
            durable_qos2_put(w, s, p->packet_id);
        }
        inbound_ack(c, MQTT_PUBREC, p->packet_id, reason, reason >= 0x80);
    }
}

void broker_handle_publish(struct client *c, const struct mqtt_frame *f)
{
    struct mqtt_publish p; /* every field set by the decoder */
    struct mqtt_ctx cx = {.version = c->version, .sender = MQTT_FROM_CLIENT};
    const char *why = NULL;
    int rc = mqtt_publish_decode(&p, f, &cx, &why);
    if (rc < 0) {
        client_protocol_error(c, (uint8_t)-rc, why);
        return;
    }
    struct worker *w = c->w;
    STAT_ADD(w, publish_received, 1);
    if (p.qos > w->srv->cfg->max_qos) {
        /* Above the Maximum QoS we announced [MQTT-3.2.2-11]: 0x9B (3.3.1.2). */
        client_protocol_error(c, MQTT_RC_QOS_NOT_SUPPORTED, "PUBLISH QoS above max_qos");
        return;
    }
    if (p.retain && !w->srv->cfg->retain_available) {
        /* Retain Available 0 was announced [MQTT-3.2.2-14]: 0x9A (3.3.1.3). */
        client_protocol_error(c, MQTT_RC_RETAIN_NOT_SUPPORTED,
                              "retained PUBLISH while retain_available is false");
        return;
    }
    struct slice topic;
    if (c->version == MQTT_V5 && !resolve_alias(c, &p, &topic))
        return;
    if (c->version != MQTT_V5)
        topic = p.topic;
    if (p.qos > 0 && qos2_id_in_use(c, &p, topic))
        return;
    if (p.qos > 0 && !inbound_admit(c))
        return;
    uint8_t refuse = check_publish(c, &p, topic, &why);
    if (refuse && p.qos == 0 && refuse == MQTT_RC_PAYLOAD_FORMAT_INVALID) {
        client_protocol_error(c, refuse, why); /* QoS 0 has no acknowledgement to carry it */
        return;
    }
    if (refuse) {
        refuse_publish(c, &p, topic, refuse, why);
        if (p.qos > 0)
            inbound_end(c);
        return;
    }
    take_publish(c, &p, topic);
}

static void on_puback(struct client *c, const struct mqtt_ack *a)
{
    struct omsg *o = session_inflight_find(c->sess, a->packet_id);
    if (o == NULL || o->state != OMSG_WAIT_PUBACK) {
        c->glitches++;
        return; /* unknown id: nothing to release */
    }
    /* Any reason code ends it; >= 0x80 means the client refused it, and a
     * shared subscription's message then goes nowhere else [MQTT-4.8.2-6]. */
    broker_outgoing_done(c, o);
}

static void on_pubrec(struct client *c, const struct mqtt_ack *a)
{
    struct session *s = c->sess;
    struct omsg *o = session_inflight_find(s, a->packet_id);
    if (o == NULL || o->state != OMSG_WAIT_PUBREC) {
        /* v5: tell the client we know no such id (0x92, MQTT 5.0 section 3.6.2.1). */
        if (o == NULL)
            client_send_ack(c, MQTT_PUBREL, a->packet_id,
                            c->version == MQTT_V5 ? MQTT_RC_PACKET_IDENTIFIER_NOT_FOUND : 0);
        return;
    }
    if (a->reason >= 0x80) {
        /* A PUBREC >= 0x80 ends the exchange: no PUBREL [MQTT-4.3.3-4],
         * no re-send [MQTT-4.4.0-2], nobody else [MQTT-4.8.2-6]. */
        broker_outgoing_done(c, o);
        return;
    }
    /* To the inflight tail, even from resend (acknowledged before we got to
     * re-send it): PUBRELs are re-sent in PUBREC order, as 4.6 asks of a Client
     * [MQTT-4.6.0-4]. */
    list_unlink(&o->node);
    list_push(&s->inflight, &o->node);
    /* The payload is no longer needed: only the id stays [MQTT-4.3.3-4]. */
    o->state = OMSG_WAIT_PUBCOMP;
    STAT_SUB(c->w, store_messages, 1);
    STAT_SUB(c->w, store_bytes, msg_size(o->msg));
    if (o->entry) {
        /* On disk before the PUBREL leaves: the PUBLISH is never re-sent
         * after it [MQTT-4.3.3-5]. */
        durable_entry_update(c->w, s, o);
        durable_msg_release(c->w, o->msg);
        msg_unref(o->msg);
        o->msg = NULL;
        durable_hold_ack(c->w, s, MQTT_PUBREL, a->packet_id, 0, false);
        return;
    }
    msg_unref(o->msg);
    o->msg = NULL;
    client_send_ack(c, MQTT_PUBREL, a->packet_id, 0);
}

static void on_pubcomp(struct client *c, const struct mqtt_ack *a)
{
    struct omsg *o = session_inflight_find(c->sess, a->packet_id);
    if (o == NULL || o->state != OMSG_WAIT_PUBCOMP) {
        c->glitches++;
        return;
    }
    broker_outgoing_done(c, o);
}

static void on_pubrel(struct client *c, const struct mqtt_ack *a)
{
    /* Forget the id and complete [MQTT-4.3.3-11]; an unknown id still gets
     * PUBCOMP (v5 with 0x92), so a client retrying after our restart can finish. */
    bool counted = false;
    bool known = session_qos2_del(c->sess, a->packet_id, &counted);
    if (known)
        durable_qos2_del(c->w, c->sess, a->packet_id);
    uint8_t reason = (!known && c->version == MQTT_V5) ? MQTT_RC_PACKET_IDENTIFIER_NOT_FOUND : 0;
    inbound_ack(c, MQTT_PUBCOMP, a->packet_id, reason, counted);
}

void broker_handle_ack(struct client *c, const struct mqtt_frame *f)
{
    struct mqtt_ack a; /* every field set by the decoder */
    struct mqtt_ctx cx = {.version = c->version, .sender = MQTT_FROM_CLIENT};
    const char *why = NULL;
    int rc = mqtt_ack_decode(&a, f, &cx, &why);
    if (rc < 0) {
        client_protocol_error(c, (uint8_t)-rc, why);
        return;
    }
    switch (a.type) {
    case MQTT_PUBACK:
        on_puback(c, &a);
        break;
    case MQTT_PUBREC:
        on_pubrec(c, &a);
        break;
    case MQTT_PUBREL:
        on_pubrel(c, &a);
        break;
    case MQTT_PUBCOMP:
        on_pubcomp(c, &a);
        break;
    default:
        break;
    }
}
