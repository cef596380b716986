/*
 * publish.c - PUBLISH from a client, and the acknowledgements in both
 * directions (PUBACK/PUBREC/PUBREL/PUBCOMP).
 *
 * Incoming QoS 2: the message goes onward when its PUBLISH arrives, and
 * its packet id is remembered until PUBREL, so a re-sent PUBLISH with the
 * same id and DUP set is acknowledged again but not delivered again (the
 * first of the two methods of [MQTT-4.3.3-2] in 3.1.1 / figure 4.3 in 5.0).
 * Clients that never send PUBREL (a publisher without a network loop) still
 * have their messages delivered.
 */
#include <string.h>

#include "auth/auth.h"
#include "broker/broker.h"
#include "broker/durable.h"
#include "broker/msg.h"
#include "broker/retain.h"
#include "broker/session.h"
#include "util/log.h"

/* Acknowledges a PUBLISH or PUBREL. With persistence the acknowledgement
 * waits for the store (durable.h); all of them do, so they keep the order
 * of the packets they answer [MQTT-4.6.0-2]. */
static void publish_ack(struct client *c, uint8_t type, uint16_t pid, uint8_t reason)
{
    if (durable_on(c->w))
        durable_hold_ack(c->w, c->sess, type, pid, reason);
    else
        client_send_ack(c, type, pid, reason);
}

/* Acknowledges a QoS 1/2 PUBLISH that was not delivered (limit or ACL):
 * v5 learns why; 3.1.1 has no way to be told and gets a plain ack, as with
 * mosquitto. */
static void refuse_publish(struct client *c, const struct mqtt_publish *p, uint8_t rc,
                           const char *why)
{
    if (worker_log_allowed(c->w)) {
        char id[96], topic[128];
        log_notice("publish refused: id=%s topic=%s: %s", client_log_id(c, id, sizeof id),
                   log_printable(p->topic, topic, sizeof topic), why);
    }
    uint8_t reason = c->version == MQTT_V5 ? rc : 0;
    if (p->qos == 1)
        publish_ack(c, MQTT_PUBACK, p->packet_id, reason);
    else if (p->qos == 2)
        publish_ack(c, MQTT_PUBREC, p->packet_id, reason);
}

/* Limits and permissions; returns 0 or the v5 reason to refuse with. */
static uint8_t check_publish(struct client *c, const struct mqtt_publish *p, const char **why)
{
    const struct config *cfg = c->w->srv->cfg;
    if (p->topic.len > cfg->max_topic_length ||
        mqtt_topic_levels(p->topic) > cfg->max_topic_levels) {
        *why = "topic longer or deeper than the configured limit";
        return MQTT_RC_TOPIC_NAME_INVALID;
    }
    if (slice_starts_with(p->topic, SLICE_LIT("$SYS/")) || slice_eq_cstr(p->topic, "$SYS")) {
        /* $SYS is the broker's own; clients may not write there. */
        *why = "$SYS topics are written by the broker only";
        return MQTT_RC_NOT_AUTHORIZED;
    }
    struct slice user = slice_make(c->username, c->username_len);
    if (!auth_acl_allows(c->w->auth, c->sess->client_id, c->username ? &user : NULL, p->topic,
                         AUTH_ACCESS_WRITE)) {
        *why = "denied by ACL";
        return MQTT_RC_NOT_AUTHORIZED;
    }
    return 0;
}

void broker_handle_publish(struct client *c, const struct mqtt_frame *f)
{
    struct mqtt_publish p;
    memset(&p, 0, sizeof p);
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
    if (MQTT_PROP_HAS(&p.props, MQTT_PROP_TOPIC_ALIAS) || p.topic.len == 0) {
        /* We announce no Topic Alias Maximum, so any alias is invalid [MQTT-3.3.2-9]. */
        client_protocol_error(c, MQTT_RC_TOPIC_ALIAS_INVALID, "topic alias not allowed");
        return;
    }
    struct session *s = c->sess;
    if (p.qos == 2 && session_qos2_has(s, p.packet_id)) {
        if (p.dup) {
            /* A re-sent PUBLISH of a message we already took: acknowledged
             * again, not delivered again [MQTT-4.3.3-9] [MQTT-3.3.1-1]. */
            publish_ack(c, MQTT_PUBREC, p.packet_id, 0);
            return;
        }
        /* DUP 0 with an id still awaiting PUBREL: the client reused the id
         * without finishing the exchange (a publisher that never runs its
         * network loop never sends PUBREL, and its ids wrap). It is a new
         * message; take it as one. */
        c->glitches++;
        session_qos2_del(s, p.packet_id);
        durable_qos2_del(w, s, p.packet_id);
    }
    uint8_t refuse = check_publish(c, &p, &why);
    if (refuse) {
        refuse_publish(c, &p, refuse, why);
        return;
    }
    struct msg *m = msg_from_publish(&p, p.topic, s->id, w->now_ms);
    if (p.retain) {
        struct msg *old = retain_set(&w->srv->retained, m); /* [MQTT-3.3.1-5] */
        durable_retain_set(w, m, old);
        msg_unref(old);
    }
    uint32_t n = broker_route(w, m);
    msg_unref(m);
    uint8_t reason = (c->version == MQTT_V5 && n == 0) ? MQTT_RC_NO_MATCHING_SUBSCRIBERS : 0;
    if (p.qos == 1) {
        publish_ack(c, MQTT_PUBACK, p.packet_id, reason);
    } else if (p.qos == 2) {
        session_qos2_add(s, p.packet_id);
        durable_qos2_put(w, s, p.packet_id);
        publish_ack(c, MQTT_PUBREC, p.packet_id, reason);
    }
}

static void on_puback(struct client *c, const struct mqtt_ack *a)
{
    struct session *s = c->sess;
    struct omsg *o = session_inflight_find(s, a->packet_id);
    if (o == NULL || o->state != OMSG_WAIT_PUBACK) {
        c->glitches++;
        return; /* unknown id: nothing to release */
    }
    list_unlink(&o->node);
    s->inflight_count--;
    session_omsg_free(c->w, o);
    broker_pump(s);
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
        /* A PUBREC reason >= 0x80 ends the exchange: no PUBREL (MQTT 5.0 section 4.3.3). */
        list_unlink(&o->node);
        s->inflight_count--;
        session_omsg_free(c->w, o);
        broker_pump(s);
        return;
    }
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
        durable_hold_ack(c->w, s, MQTT_PUBREL, a->packet_id, 0);
        return;
    }
    msg_unref(o->msg);
    o->msg = NULL;
    client_send_ack(c, MQTT_PUBREL, a->packet_id, 0);
}

static void on_pubcomp(struct client *c, const struct mqtt_ack *a)
{
    struct session *s = c->sess;
    struct omsg *o = session_inflight_find(s, a->packet_id);
    if (o == NULL || o->state != OMSG_WAIT_PUBCOMP) {
        c->glitches++;
        return;
    }
    list_unlink(&o->node);
    s->inflight_count--;
    session_omsg_free(c->w, o);
    broker_pump(s);
}

static void on_pubrel(struct client *c, const struct mqtt_ack *a)
{
    /* Forget the id and complete [MQTT-4.3.3-11]; an unknown id still gets
     * PUBCOMP (v5 with 0x92), so a client retrying after our restart can finish. */
    bool known = session_qos2_del(c->sess, a->packet_id);
    if (known)
        durable_qos2_del(c->w, c->sess, a->packet_id);
    uint8_t reason = (!known && c->version == MQTT_V5) ? MQTT_RC_PACKET_IDENTIFIER_NOT_FOUND : 0;
    publish_ack(c, MQTT_PUBCOMP, a->packet_id, reason);
}

void broker_handle_ack(struct client *c, const struct mqtt_frame *f)
{
    struct mqtt_ack a;
    memset(&a, 0, sizeof a);
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
