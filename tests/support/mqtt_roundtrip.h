/*
 * mqtt_roundtrip.h - re-encode a decoded packet and compare two decoded
 * packets; shared by the codec unit tests and the fuzz target.
 *
 * Re-encoding a decoded packet takes three translations, because the
 * decoder and encoder meet the lists differently: user properties go back
 * through `passthrough` (filtered out of `raw`), SUBSCRIBE entries and
 * UNSUBSCRIBE filters through arrays built with the iterators. Two packets
 * are "equal" when every decoded field is, property by property and user
 * property by user property; the raw bytes may differ (property order,
 * non-minimal varints, a shortened acknowledgement).
 * Test code: it allocates with malloc and returns NULL when it cannot.
 */
#ifndef PETREL_TESTS_MQTT_ROUNDTRIP_H
#define PETREL_TESTS_MQTT_ROUNDTRIP_H

#include <stdlib.h>
#include <string.h>

#include "mqtt/mqtt.h"

struct rt_scratch {
    void *blocks[8]; /* freed by rt_scratch_fini */
    size_t count;
};

static inline void *rt_alloc(struct rt_scratch *s, size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p && s->count < sizeof s->blocks / sizeof s->blocks[0])
        s->blocks[s->count++] = p;
    else if (p) {
        free(p);
        p = NULL;
    }
    return p;
}

static inline void rt_scratch_fini(struct rt_scratch *s)
{
    for (size_t i = 0; i < s->count; i++)
        free(s->blocks[i]);
    s->count = 0;
}

/* Makes dst encodable from decoded src: user properties pass through. */
static inline bool rt_props(struct mqtt_props *dst, const struct mqtt_props *src,
                            struct rt_scratch *s)
{
    *dst = *src;
    dst->sub_ids = NULL;
    dst->sub_id_count = 0;
    uint8_t *ub = rt_alloc(s, src->raw.len);
    if (!ub)
        return false;
    uint64_t keep = MQTT_PROP_BIT(MQTT_PROP_USER_PROPERTY);
    size_t n = mqtt_props_filter(src->raw, ~keep, ub, src->raw.len);
    dst->passthrough = slice_make(ub, n);
    return true;
}

static inline bool rt_subscribe(struct mqtt_subscribe *dst, const struct mqtt_subscribe *src,
                                struct rt_scratch *s)
{
    struct mqtt_subscription *subs = rt_alloc(s, src->count * sizeof *subs);
    size_t pos = 0;
    if (!subs)
        return false;
    *dst = *src;
    for (uint32_t i = 0; i < src->count; i++)
        if (!mqtt_subscribe_next(src, &pos, &subs[i]))
            return false;
    dst->subs = subs;
    return rt_props(&dst->props, &src->props, s);
}

static inline bool rt_unsubscribe(struct mqtt_unsubscribe *dst, const struct mqtt_unsubscribe *src,
                                  struct rt_scratch *s)
{
    struct slice *filters = rt_alloc(s, src->count * sizeof *filters);
    size_t pos = 0;
    uint8_t status;
    if (!filters)
        return false;
    *dst = *src;
    for (uint32_t i = 0; i < src->count; i++)
        if (!mqtt_unsubscribe_next(src, &pos, &filters[i], &status))
            return false;
    dst->filters = filters;
    return rt_props(&dst->props, &src->props, s);
}

/* Encodes decoded packet p for `version` into a malloc'd buffer (*out,
 * *len; the caller frees). Returns false when it cannot. */
static inline bool rt_encode(const struct mqtt_packet *p, uint8_t version, uint8_t **out,
                             size_t *len)
{
    struct rt_scratch s = {{0}, 0};
    struct mqtt_packet q = *p;
    bool ok = true;
    switch (p->type) {
    case MQTT_CONNECT:
        ok = rt_props(&q.u.connect.props, &p->u.connect.props, &s) &&
             rt_props(&q.u.connect.will.props, &p->u.connect.will.props, &s);
        break;
    case MQTT_CONNACK:
        ok = rt_props(&q.u.connack.props, &p->u.connack.props, &s);
        break;
    case MQTT_PUBLISH:
        ok = rt_props(&q.u.publish.props, &p->u.publish.props, &s);
        break;
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        ok = rt_props(&q.u.ack.props, &p->u.ack.props, &s);
        break;
    case MQTT_SUBSCRIBE:
        ok = rt_subscribe(&q.u.subscribe, &p->u.subscribe, &s);
        break;
    case MQTT_UNSUBSCRIBE:
        ok = rt_unsubscribe(&q.u.unsubscribe, &p->u.unsubscribe, &s);
        break;
    case MQTT_SUBACK:
    case MQTT_UNSUBACK:
        ok = rt_props(&q.u.suback.props, &p->u.suback.props, &s);
        break;
    case MQTT_DISCONNECT:
        ok = rt_props(&q.u.disconnect.props, &p->u.disconnect.props, &s);
        break;
    case MQTT_AUTH:
        ok = rt_props(&q.u.auth.props, &p->u.auth.props, &s);
        break;
    }
    size_t need = 0;
    uint8_t *buf = NULL;
    for (int pass = 0; ok && pass < 2; pass++) {
        size_t cap = pass ? need : 0;
        switch (q.type) {
        case MQTT_CONNECT:
            need = mqtt_connect_encode(buf, cap, &q.u.connect);
            break;
        case MQTT_CONNACK:
            need = mqtt_connack_encode(buf, cap, &q.u.connack, version);
            break;
        case MQTT_PUBLISH:
            need = mqtt_publish_encode(buf, cap, &q.u.publish, version);
            break;
        case MQTT_PUBACK:
        case MQTT_PUBREC:
        case MQTT_PUBREL:
        case MQTT_PUBCOMP:
            need = mqtt_ack_encode(buf, cap, &q.u.ack, version);
            break;
        case MQTT_SUBSCRIBE:
            need = mqtt_subscribe_encode(buf, cap, &q.u.subscribe, version);
            break;
        case MQTT_UNSUBSCRIBE:
            need = mqtt_unsubscribe_encode(buf, cap, &q.u.unsubscribe, version);
            break;
        case MQTT_SUBACK:
        case MQTT_UNSUBACK:
            need = mqtt_suback_encode(buf, cap, &q.u.suback, version);
            break;
        case MQTT_PINGREQ:
        case MQTT_PINGRESP:
            need = mqtt_ping_encode(buf, cap, q.type);
            break;
        case MQTT_DISCONNECT:
            need = mqtt_disconnect_encode(buf, cap, &q.u.disconnect, version);
            break;
        case MQTT_AUTH:
            need = mqtt_auth_encode(buf, cap, &q.u.auth);
            break;
        default:
            ok = false;
        }
        if (ok && pass == 0 && !(buf = malloc(need)))
            ok = false;
    }
    rt_scratch_fini(&s);
    if (!ok) {
        free(buf);
        return false;
    }
    *out = buf;
    *len = need;
    return true;
}

static inline bool rt_user_props_equal(const struct mqtt_props *a, const struct mqtt_props *b)
{
    size_t pa = 0, pb = 0;
    struct slice ka, va, kb, vb;
    for (;;) {
        bool ha = mqtt_props_user_next(a, &pa, &ka, &va);
        bool hb = mqtt_props_user_next(b, &pb, &kb, &vb);
        if (ha != hb)
            return false;
        if (!ha)
            return true;
        if (!slice_eq(ka, kb) || !slice_eq(va, vb))
            return false;
    }
}

/* Equal property sets: the same properties present, with the same values
 * (a value whose bit is not in `present` means nothing and is not read). */
static inline bool rt_props_equal(const struct mqtt_props *a, const struct mqtt_props *b)
{
#define RT_SAME(id, f) (!MQTT_PROP_HAS(a, MQTT_PROP_##id) || a->f == b->f)
#define RT_SAME_S(id, f) (!MQTT_PROP_HAS(a, MQTT_PROP_##id) || slice_eq(a->f, b->f))
    return a->present == b->present &&
           RT_SAME(PAYLOAD_FORMAT_INDICATOR, payload_format_indicator) &&
           RT_SAME(MESSAGE_EXPIRY_INTERVAL, message_expiry_interval) &&
           RT_SAME_S(CONTENT_TYPE, content_type) && RT_SAME_S(RESPONSE_TOPIC, response_topic) &&
           RT_SAME_S(CORRELATION_DATA, correlation_data) &&
           RT_SAME(SUBSCRIPTION_IDENTIFIER, subscription_identifier) &&
           RT_SAME(SESSION_EXPIRY_INTERVAL, session_expiry_interval) &&
           RT_SAME_S(ASSIGNED_CLIENT_IDENTIFIER, assigned_client_identifier) &&
           RT_SAME(SERVER_KEEP_ALIVE, server_keep_alive) &&
           RT_SAME_S(AUTHENTICATION_METHOD, authentication_method) &&
           RT_SAME_S(AUTHENTICATION_DATA, authentication_data) &&
           RT_SAME(REQUEST_PROBLEM_INFORMATION, request_problem_information) &&
           RT_SAME(WILL_DELAY_INTERVAL, will_delay_interval) &&
           RT_SAME(REQUEST_RESPONSE_INFORMATION, request_response_information) &&
           RT_SAME_S(RESPONSE_INFORMATION, response_information) &&
           RT_SAME_S(SERVER_REFERENCE, server_reference) &&
           RT_SAME_S(REASON_STRING, reason_string) && RT_SAME(RECEIVE_MAXIMUM, receive_maximum) &&
           RT_SAME(TOPIC_ALIAS_MAXIMUM, topic_alias_maximum) && RT_SAME(TOPIC_ALIAS, topic_alias) &&
           RT_SAME(MAXIMUM_QOS, maximum_qos) && RT_SAME(RETAIN_AVAILABLE, retain_available) &&
           RT_SAME(MAXIMUM_PACKET_SIZE, maximum_packet_size) &&
           RT_SAME(WILDCARD_SUBSCRIPTION_AVAILABLE, wildcard_subscription_available) &&
           RT_SAME(SUBSCRIPTION_IDENTIFIER_AVAILABLE, subscription_identifier_available) &&
           RT_SAME(SHARED_SUBSCRIPTION_AVAILABLE, shared_subscription_available) &&
           a->user_property_count == b->user_property_count && rt_user_props_equal(a, b);
#undef RT_SAME
#undef RT_SAME_S
}

static inline bool rt_connect_equal(const struct mqtt_connect *a, const struct mqtt_connect *b)
{
    if (a->version != b->version || a->clean_start != b->clean_start ||
        a->keep_alive != b->keep_alive || !slice_eq(a->client_id, b->client_id) ||
        a->has_will != b->has_will || a->has_username != b->has_username ||
        a->has_password != b->has_password || !slice_eq(a->username, b->username) ||
        !slice_eq(a->password, b->password) || !rt_props_equal(&a->props, &b->props))
        return false;
    if (!a->has_will)
        return true;
    return slice_eq(a->will.topic, b->will.topic) && slice_eq(a->will.payload, b->will.payload) &&
           a->will.qos == b->will.qos && a->will.retain == b->will.retain &&
           rt_props_equal(&a->will.props, &b->will.props);
}

static inline bool rt_subscribe_equal(const struct mqtt_subscribe *a,
                                      const struct mqtt_subscribe *b)
{
    size_t pa = 0, pb = 0;
    struct mqtt_subscription ea, eb;
    if (a->packet_id != b->packet_id || a->count != b->count ||
        !rt_props_equal(&a->props, &b->props))
        return false;
    while (mqtt_subscribe_next(a, &pa, &ea)) {
        if (!mqtt_subscribe_next(b, &pb, &eb) || !slice_eq(ea.filter, eb.filter) ||
            ea.qos != eb.qos || ea.no_local != eb.no_local ||
            ea.retain_as_published != eb.retain_as_published ||
            ea.retain_handling != eb.retain_handling || ea.status != eb.status)
            return false;
    }
    return !mqtt_subscribe_next(b, &pb, &eb);
}

static inline bool rt_unsubscribe_equal(const struct mqtt_unsubscribe *a,
                                        const struct mqtt_unsubscribe *b)
{
    size_t pa = 0, pb = 0;
    struct slice fa, fb;
    uint8_t sa, sb;
    if (a->packet_id != b->packet_id || a->count != b->count ||
        !rt_props_equal(&a->props, &b->props))
        return false;
    while (mqtt_unsubscribe_next(a, &pa, &fa, &sa)) {
        if (!mqtt_unsubscribe_next(b, &pb, &fb, &sb) || !slice_eq(fa, fb) || sa != sb)
            return false;
    }
    return !mqtt_unsubscribe_next(b, &pb, &fb, &sb);
}

/* True when two decoded packets carry the same information. */
static inline bool rt_packet_equal(const struct mqtt_packet *a, const struct mqtt_packet *b)
{
    if (a->type != b->type)
        return false;
    const struct mqtt_publish *pa = &a->u.publish, *pb = &b->u.publish;
    switch (a->type) {
    case MQTT_CONNECT:
        return rt_connect_equal(&a->u.connect, &b->u.connect);
    case MQTT_CONNACK:
        return a->u.connack.session_present == b->u.connack.session_present &&
               a->u.connack.reason == b->u.connack.reason &&
               rt_props_equal(&a->u.connack.props, &b->u.connack.props);
    case MQTT_PUBLISH:
        return pa->dup == pb->dup && pa->qos == pb->qos && pa->retain == pb->retain &&
               slice_eq(pa->topic, pb->topic) && pa->packet_id == pb->packet_id &&
               slice_eq(pa->payload, pb->payload) && rt_props_equal(&pa->props, &pb->props);
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        return a->u.ack.type == b->u.ack.type && a->u.ack.packet_id == b->u.ack.packet_id &&
               a->u.ack.reason == b->u.ack.reason &&
               rt_props_equal(&a->u.ack.props, &b->u.ack.props);
    case MQTT_SUBSCRIBE:
        return rt_subscribe_equal(&a->u.subscribe, &b->u.subscribe);
    case MQTT_UNSUBSCRIBE:
        return rt_unsubscribe_equal(&a->u.unsubscribe, &b->u.unsubscribe);
    case MQTT_SUBACK:
    case MQTT_UNSUBACK:
        return a->u.suback.type == b->u.suback.type &&
               a->u.suback.packet_id == b->u.suback.packet_id &&
               slice_eq(a->u.suback.reasons, b->u.suback.reasons) &&
               rt_props_equal(&a->u.suback.props, &b->u.suback.props);
    case MQTT_DISCONNECT:
        return a->u.disconnect.reason == b->u.disconnect.reason &&
               rt_props_equal(&a->u.disconnect.props, &b->u.disconnect.props);
    case MQTT_AUTH:
        return a->u.auth.reason == b->u.auth.reason &&
               rt_props_equal(&a->u.auth.props, &b->u.auth.props);
    }
    return true; /* PINGREQ, PINGRESP */
}

/* Frames and decodes one whole packet in buf[0..n). Returns the decoder's
 * result, or -1000 - (framing result) when buf is not exactly one frame. */
static inline int rt_decode(struct mqtt_packet *out, const uint8_t *buf, size_t n,
                            const struct mqtt_ctx *cx)
{
    struct mqtt_frame f;
    int rc = mqtt_frame_parse(&f, buf, n, 0, NULL);
    if (rc != 1 || f.frame_len != n)
        return -1000 - rc;
    return mqtt_packet_decode(out, &f, cx, NULL);
}

#endif
