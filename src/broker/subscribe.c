/*
 * subscribe.c - SUBSCRIBE and UNSUBSCRIBE.
 *
 * Each filter is checked (validity, limits, ACL), added to the session and
 * the shared tree, and answered with its granted QoS or a failure code in
 * one SUBACK. Retained messages for the new subscriptions follow the
 * SUBACK [MQTT-3.3.1-6], with the retain flag set [MQTT-3.3.1-8], never for
 * shared subscriptions (MQTT 5.0 section 4.8.2), and per Retain Handling
 * [MQTT-3.3.1-9] [MQTT-3.3.1-10] [MQTT-3.3.1-11] in v5.
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

/* A subscription that gets retained messages after the SUBACK. */
struct retained_req {
    struct slice filter;
    uint8_t granted;
    uint32_t sub_id;
};

struct retained_ctx {
    struct worker *w;
    struct session *s;
    const struct retained_req *req;
};

static void send_retained(void *arg, struct msg *m)
{
    struct retained_ctx *x = arg;
    struct delivery d;
    memset(&d, 0, sizeof d);
    d.msg = m; /* the reference retain_match gave us */
    d.sess = x->s;
    d.qos = m->qos < x->req->granted ? m->qos : x->req->granted; /* [MQTT-3.8.4-8] */
    d.retain = true; /* sent because of the subscription: RETAIN 1 (3.3.1.3) */
    d.ids = subids_one(x->req->sub_id);
    broker_deliver(x->w, &d);
}

/* Checks one filter; returns the granted QoS, or a failure reason (>= 0x80). */
/* real is the filter without a $share/GROUP/ prefix. */
static uint8_t subscribe_one(struct client *c, const struct mqtt_subscription *e,
                             struct slice real, uint32_t sub_id, bool *is_new)
{
    const struct config *cfg = c->w->srv->cfg;
    struct session *s = c->sess;
    if (e->filter.len > cfg->max_topic_length ||
        mqtt_topic_levels(real) > cfg->max_topic_levels)
        return MQTT_RC_TOPIC_FILTER_INVALID;
    if (cfg->max_subscriptions && s->subs_count >= cfg->max_subscriptions &&
        session_sub_find(s, e->filter) == NULL)
        return MQTT_RC_QUOTA_EXCEEDED;
    struct slice user = slice_make(c->username, c->username_len);
    if (!auth_acl_allows(c->w->auth, s->client_id, c->username ? &user : NULL, e->filter,
                         AUTH_ACCESS_SUBSCRIBE))
        return MQTT_RC_NOT_AUTHORIZED;
    /* At most max_qos; any requested QoS is still accepted [MQTT-3.2.2-10]. */
    uint8_t granted = e->qos > cfg->max_qos ? (uint8_t)cfg->max_qos : e->qos;
    uint8_t opts = (uint8_t)(granted | (e->no_local ? SUBOPT_NO_LOCAL : 0) |
                             (e->retain_as_published ? SUBOPT_RAP : 0) |
                             ((e->retain_handling & 3u) << 4));
    *is_new = session_sub_put(s, e->filter, opts, sub_id);
    durable_sub_put(c->w, s, e->filter, opts, sub_id);
    subtree_add(&c->w->srv->subs, e->filter, s, opts, sub_id);
    return granted;
}

static void send_suback(struct client *c, uint8_t type, uint16_t pid, const uint8_t *codes,
                        size_t n)
{
    struct mqtt_suback sa;
    memset(&sa, 0, sizeof sa);
    sa.type = type;
    sa.packet_id = pid;
    sa.reasons = slice_make(codes, n);
    for (size_t i = 0; i < n; i++) {
        if (codes[i] >= 0x80) {
            /* Says what the first failure was, where allowed [MQTT-3.1.2-29]
             * and when it fits [MQTT-3.9.2-1] [MQTT-3.11.2-1]. */
            struct slice rs = client_reason_string(c, type, mqtt_rc_name(codes[i]));
            sa.props.present = rs.len ? MQTT_PROP_BIT(MQTT_PROP_REASON_STRING) : 0;
            sa.props.reason_string = rs;
            break;
        }
    }
    size_t size = mqtt_suback_encode(NULL, 0, &sa, c->version);
    if (!client_packet_fits(c, size)) {
        sa.props.present = 0;
        size = mqtt_suback_encode(NULL, 0, &sa, c->version);
    }
    if (c->max_packet_out && size > c->max_packet_out)
        return; /* not sent at all [MQTT-3.1.2-24]; it carries nothing to leave out */
    if ((type == MQTT_SUBACK && durable_on(c->w) && c->sess->seq) || durable_must_hold(c)) {
        /* A stored session's SUBACK waits until its subscriptions are on
         * disk, and any answer waits behind answers that wait (durable.h). */
        uint8_t *bytes = xmalloc(size);
        mqtt_suback_encode(bytes, size, &sa, c->version);
        durable_hold_packet(c->w, c->sess, bytes, (uint32_t)size);
        return;
    }
    uint8_t *out = client_out_reserve(c, size);
    if (out == NULL)
        return;
    mqtt_suback_encode(out, size, &sa, c->version);
    client_out_commit(c, size);
}

void broker_handle_subscribe(struct client *c, const struct mqtt_frame *f)
{
    struct mqtt_subscribe sub;
    memset(&sub, 0, sizeof sub);
    struct mqtt_ctx cx = {.version = c->version, .sender = MQTT_FROM_CLIENT};
    const char *why = NULL;
    int rc = mqtt_subscribe_decode(&sub, f, &cx, &why);
    if (rc < 0) {
        client_protocol_error(c, (uint8_t)-rc, why);
        return;
    }
    uint32_t sub_id = MQTT_PROP_HAS(&sub.props, MQTT_PROP_SUBSCRIPTION_IDENTIFIER)
                          ? sub.props.subscription_identifier
                          : 0;
    /* The count is bounded by the packet size already checked by framing. */
    uint8_t *codes = xmalloc(sub.count);
    struct retained_req *ret = xmalloc(sub.count * sizeof *ret);
    size_t nret = 0, i = 0, pos = 0;
    struct mqtt_subscription e;
    while (mqtt_subscribe_next(&sub, &pos, &e)) {
        uint8_t code;
        bool is_new = false;
        struct slice group, real = e.filter;
        bool shared = mqtt_topic_shared_split(e.filter, &group, &real);
        if (e.status != 0) {
            if (c->version != MQTT_V5) {
                /* 3.1.1 has no code for a bad filter: it is a protocol violation. */
                free(codes);
                free(ret);
                client_protocol_error(c, MQTT_RC_MALFORMED_PACKET, "invalid topic filter");
                return;
            }
            code = e.status;
        } else {
            code = subscribe_one(c, &e, real, sub_id, &is_new);
        }
        codes[i++] = c->version == MQTT_V5 ? code : mqtt_rc_to_v3_suback(code);
        if (code < 0x80 && !shared &&
            (e.retain_handling == 0 || (e.retain_handling == 1 && is_new)))
            ret[nret++] = (struct retained_req){e.filter, code, sub_id};
    }
    send_suback(c, MQTT_SUBACK, sub.packet_id, codes, i);
    for (size_t k = 0; k < nret; k++) {
        struct retained_ctx x = {c->w, c->sess, &ret[k]};
        retain_match(&c->w->srv->retained, ret[k].filter, c->w->now_ms, send_retained, &x);
    }
    free(codes);
    free(ret);
}

void broker_handle_unsubscribe(struct client *c, const struct mqtt_frame *f)
{
    struct mqtt_unsubscribe u;
    memset(&u, 0, sizeof u);
    struct mqtt_ctx cx = {.version = c->version, .sender = MQTT_FROM_CLIENT};
    const char *why = NULL;
    int rc = mqtt_unsubscribe_decode(&u, f, &cx, &why);
    if (rc < 0) {
        client_protocol_error(c, (uint8_t)-rc, why);
        return;
    }
    uint8_t *codes = xmalloc(u.count);
    size_t i = 0, pos = 0;
    struct slice filter;
    uint8_t status;
    while (mqtt_unsubscribe_next(&u, &pos, &filter, &status)) {
        if (status != 0 && c->version != MQTT_V5) {
            free(codes);
            client_protocol_error(c, MQTT_RC_MALFORMED_PACKET, "invalid topic filter");
            return;
        }
        bool had = status == 0 && session_sub_del(c->sess, filter);
        if (had) {
            subtree_remove(&c->w->srv->subs, filter, c->sess);
            durable_sub_del(c->w, c->sess, filter);
        }
        codes[i++] = status ? status : had ? MQTT_RC_SUCCESS : MQTT_RC_NO_SUBSCRIPTION_EXISTED;
    }
    /* 3.1.1's UNSUBACK has no payload; the encoder leaves it out. */
    send_suback(c, MQTT_UNSUBACK, u.packet_id, codes, i);
    free(codes);
}
