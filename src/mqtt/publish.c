/*
 * publish.c - PUBLISH, the packet on the broker's hot path.
 *
 * Decoding borrows the topic, properties and payload from the frame; the
 * payload is never scanned (Payload Format Indicator 1 with a payload that
 * is not UTF-8 MAY be refused, 3.3.2.3.2: that is the broker's choice, as
 * it costs a pass over every payload; the broker makes it, with
 * mqtt_utf8_data_valid()). Encoding computes the size once and
 * then writes in one pass: one call per delivery.
 *
 * Not judged here, because they need connection state: Topic Alias against
 * Topic Alias Maximum [MQTT-3.3.2-9] [MQTT-3.3.2-10], an empty topic with
 * an alias that was never set, Receive Maximum, and packet id reuse.
 */
#include "mqtt/codec_int.h"

#define PF_RETAIN 0x01
#define PF_QOS_SHIFT 1
#define PF_DUP 0x08

static int publish_topic_check(struct mqtt_publish *out, bool v5, const char **why)
{
    if (out->topic.len == 0) {
        if (v5 && MQTT_PROP_HAS(&out->props, MQTT_PROP_TOPIC_ALIAS))
            return 0;
        return PROTOCOL(why, "empty topic name without a Topic Alias [MQTT-3.3.2-1] "
                             "[MQTT-4.7.3-1]");
    }
    /* One pass: UTF-8, wildcards and levels together (the hot path). */
    const uint8_t *t = out->topic.ptr;
    size_t n = out->topic.len;
    uint32_t levels = 1;
    bool wildcard = false;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = t[i];
        if (c < 0x30) { /* '/', '+', '#' and U+0000 are all below '0' */
            levels += c == '/';
            wildcard |= c == '+' || c == '#';
            if (c == 0)
                return MALFORMED(why, "topic name is not valid UTF-8 [MQTT-1.5.4-1]");
        } else if (c >= 0x80) {
            /* Everything before was ASCII: the rest decides, and no byte
             * of a multi-byte sequence is ASCII, so counting goes on. */
            if (!mqtt_utf8_valid(slice_make(t + i, n - i)))
                return MALFORMED(why, "topic name is not valid UTF-8 [MQTT-1.5.4-1]");
            for (i++; i < n; i++) {
                levels += t[i] == '/';
                wildcard |= t[i] == '+' || t[i] == '#';
            }
            break;
        }
    }
    if (wildcard)
        return codec_fail(why, MQTT_RC_TOPIC_NAME_INVALID,
                          "wildcard in a topic name [MQTT-3.3.2-2]");
    out->topic_levels = levels;
    return 0;
}

int mqtt_publish_decode(struct mqtt_publish *out, const struct mqtt_frame *f,
                        const struct mqtt_ctx *cx, const char **why)
{
    /* Every field is set, but of the properties only what says there are
     * none: a property's value is read only when its bit is in `present`
     * (v5 decoding clears the whole set itself). Clearing the 300-byte
     * struct was a tenth of decoding time. */
    bool v5 = cx->version >= MQTT_V5;
    out->topic = SLICE_NULL;
    out->topic_levels = 0;
    out->packet_id = 0;
    out->payload = SLICE_NULL;
    props_set_none(&out->props);
    out->dup = (f->flags & PF_DUP) != 0;
    out->qos = (f->flags >> PF_QOS_SHIFT) & 3;
    out->retain = (f->flags & PF_RETAIN) != 0;
    if (out->qos == 3)
        return MALFORMED(why, "PUBLISH with QoS 3 [MQTT-3.3.1-4]");
    if (out->dup && out->qos == 0)
        return MALFORMED(why, "DUP set on a QoS 0 PUBLISH [MQTT-3.3.1-2]");
    struct rd r = rd_frame(f);
    if (!rd_lenstr(&r, &out->topic))
        return MALFORMED(why, "topic name overruns the packet");
    if (out->qos > 0) {
        if (!rd_u16(&r, &out->packet_id))
            return MALFORMED(why, "packet identifier missing");
        if (out->packet_id == 0)
            return PROTOCOL(why, "packet identifier 0 (3.1.1 [MQTT-2.3.1-1], 5.0 [MQTT-2.2.1-3])");
    }
    if (v5) {
        int rc = mqtt_props_decode(&out->props, &r, PROPS_PUBLISH, cx->sender, why);
        if (rc)
            return rc;
        if (cx->sender == MQTT_FROM_CLIENT &&
            MQTT_PROP_HAS(&out->props, MQTT_PROP_SUBSCRIPTION_IDENTIFIER))
            return PROTOCOL(why, "Subscription Identifier in a client's PUBLISH [MQTT-3.3.4-6]");
    }
    out->payload = rd_rest(&r);
    return publish_topic_check(out, v5, why);
}

size_t mqtt_publish_encode(uint8_t *buf, size_t cap, const struct mqtt_publish *p, uint8_t version)
{
    bool v5 = version >= MQTT_V5;
    size_t plen = 0, rl = 2 + p->topic.len + (p->qos ? 2 : 0) + p->payload.len;
    if (v5) {
        plen = mqtt_props_len(&p->props);
        rl += props_wire_size(plen);
    }
    size_t total = packet_size(rl);
    if (total > cap)
        return total;
    uint8_t flags = (uint8_t)((p->dup ? PF_DUP : 0) | ((p->qos & 3) << PF_QOS_SHIFT) |
                              (p->retain ? PF_RETAIN : 0));
    uint8_t *q = wr_header(buf, MQTT_PUBLISH, flags, rl);
    q = wr_lenstr(q, p->topic);
    if (p->qos)
        q = wr_u16(q, p->packet_id);
    if (v5)
        q = mqtt_props_write(q, &p->props, plen);
    wr_bytes(q, p->payload);
    return total;
}

size_t mqtt_publish_encode_plain(uint8_t *buf, size_t cap, uint8_t flags, struct slice topic,
                                 uint16_t packet_id, struct slice props, struct slice payload,
                                 uint8_t version)
{
    bool v5 = version >= MQTT_V5;
    bool has_id = ((flags >> PF_QOS_SHIFT) & 3) != 0;
    size_t rl = 2 + topic.len + (has_id ? 2 : 0) + payload.len;
    if (v5)
        rl += props_wire_size(props.len);
    size_t total = packet_size(rl);
    if (total > cap)
        return total;
    uint8_t *q = wr_header(buf, MQTT_PUBLISH, flags & 0x0F, rl);
    q = wr_lenstr(q, topic);
    if (has_id)
        q = wr_u16(q, packet_id);
    if (v5) {
        q += mqtt_varint_encode(q, (uint32_t)props.len);
        q = wr_bytes(q, props);
    }
    wr_bytes(q, payload);
    return total;
}
