/*
 * subscribe.c - SUBSCRIBE, SUBACK, UNSUBSCRIBE and UNSUBACK.
 *
 * The decoder walks the whole payload once to reject malformed entries
 * (bytes that do not parse, reserved option bits, ill-formed UTF-8), and
 * keeps it as a slice; the broker then reads the entries with
 * mqtt_subscribe_next()/mqtt_unsubscribe_next(), which never fail on a
 * decoded packet. A filter whose bytes are fine but whose wildcards are
 * misplaced is not an error of the packet: the iterator reports it per
 * entry (status 0x8F), so the broker answers it in the SUBACK/UNSUBACK.
 *
 * Subscription options byte (5.0 3.8.3.1): bits 0-1 Maximum QoS, 2 No
 * Local, 3 Retain As Published, 4-5 Retain Handling, 6-7 reserved; before
 * 5.0 only the QoS bits exist [MQTT-3.8.3-4] (3.1.1 numbering).
 */
#include "mqtt/codec_int.h"

#define SO_QOS 0x03
#define SO_NO_LOCAL 0x04
#define SO_RAP 0x08
#define SO_RH_SHIFT 4

static int check_options(uint8_t opts, struct slice filter, bool v5, const char **why)
{
    if (!v5) {
        if ((opts & ~SO_QOS) || (opts & SO_QOS) == 3)
            return MALFORMED(why, "SUBSCRIBE reserved bits or QoS 3 (3.1.1 [MQTT-3.8.3-4])");
        return 0;
    }
    struct slice group, real;
    if (opts & 0xC0)
        return MALFORMED(why, "subscription options reserved bits set [MQTT-3.8.3-5]");
    if ((opts & SO_QOS) == 3)
        return PROTOCOL(why, "subscription Maximum QoS 3 (3.8.3.1)");
    if (((opts >> SO_RH_SHIFT) & 3) == 3)
        return PROTOCOL(why, "Retain Handling 3 (3.8.3.1)");
    if ((opts & SO_NO_LOCAL) && mqtt_topic_shared_split(filter, &group, &real))
        return PROTOCOL(why, "No Local on a shared subscription [MQTT-3.8.3-4]");
    return 0;
}

int mqtt_subscribe_decode(struct mqtt_subscribe *out, const struct mqtt_frame *f,
                          const struct mqtt_ctx *cx, const char **why)
{
    memset(out, 0, sizeof *out);
    bool v5 = cx->version >= MQTT_V5;
    struct rd r = rd_frame(f);
    if (!rd_u16(&r, &out->packet_id))
        return MALFORMED(why, "SUBSCRIBE shorter than a packet identifier");
    if (out->packet_id == 0)
        return PROTOCOL(why, "packet identifier 0 (3.1.1 [MQTT-2.3.1-1], 5.0 [MQTT-2.2.1-3])");
    if (v5) {
        int rc = mqtt_props_decode(&out->props, &r, PROPS_SUBSCRIBE, cx->sender, why);
        if (rc)
            return rc;
    }
    out->entries = rd_rest(&r);
    r = (struct rd){out->entries.ptr, out->entries.len};
    while (r.n) {
        struct slice filter;
        uint8_t opts;
        if (!rd_lenstr(&r, &filter) || !rd_u8(&r, &opts))
            return MALFORMED(why, "subscription entry overruns the packet");
        if (!mqtt_utf8_valid(filter))
            return MALFORMED(why, "topic filter is not valid UTF-8 [MQTT-3.8.3-1]");
        int rc = check_options(opts, filter, v5, why);
        if (rc)
            return rc;
        out->count++;
    }
    if (out->count == 0)
        return PROTOCOL(why, "SUBSCRIBE without a topic filter (3.1.1 [MQTT-3.8.3-3], "
                             "5.0 [MQTT-3.8.3-2])");
    return 0;
}

bool mqtt_subscribe_next(const struct mqtt_subscribe *s, size_t *pos, struct mqtt_subscription *out)
{
    if (*pos >= s->entries.len)
        return false;
    struct rd r = {s->entries.ptr + *pos, s->entries.len - *pos};
    uint8_t opts;
    if (!rd_lenstr(&r, &out->filter) || !rd_u8(&r, &opts)) {
        *pos = s->entries.len; /* not a decoded packet */
        return false;
    }
    out->qos = opts & SO_QOS;
    out->no_local = (opts & SO_NO_LOCAL) != 0;
    out->retain_as_published = (opts & SO_RAP) != 0;
    out->retain_handling = (opts >> SO_RH_SHIFT) & 3;
    out->status = mqtt_topic_filter_valid(out->filter) ? 0 : MQTT_RC_TOPIC_FILTER_INVALID;
    *pos = s->entries.len - r.n;
    return true;
}

size_t mqtt_subscribe_encode(uint8_t *buf, size_t cap, const struct mqtt_subscribe *s,
                             uint8_t version)
{
    bool v5 = version >= MQTT_V5;
    size_t plen = v5 ? mqtt_props_len(&s->props) : 0;
    size_t rl = 2 + (v5 ? props_wire_size(plen) : 0);
    for (uint32_t i = 0; i < s->count; i++)
        rl += 3 + s->subs[i].filter.len;
    size_t total = packet_size(rl);
    if (total > cap)
        return total;
    uint8_t *p = wr_header(buf, MQTT_SUBSCRIBE, 2, rl);
    p = wr_u16(p, s->packet_id);
    if (v5)
        p = mqtt_props_write(p, &s->props, plen);
    for (uint32_t i = 0; i < s->count; i++) {
        const struct mqtt_subscription *e = &s->subs[i];
        uint8_t opts = e->qos & SO_QOS;
        if (v5)
            opts |=
                (uint8_t)((e->no_local ? SO_NO_LOCAL : 0) | (e->retain_as_published ? SO_RAP : 0) |
                          ((e->retain_handling & 3) << SO_RH_SHIFT));
        p = wr_lenstr(p, e->filter);
        p = wr_u8(p, opts);
    }
    return total;
}

/* ---- UNSUBSCRIBE -------------------------------------------------------- */

int mqtt_unsubscribe_decode(struct mqtt_unsubscribe *out, const struct mqtt_frame *f,
                            const struct mqtt_ctx *cx, const char **why)
{
    memset(out, 0, sizeof *out);
    struct rd r = rd_frame(f);
    if (!rd_u16(&r, &out->packet_id))
        return MALFORMED(why, "UNSUBSCRIBE shorter than a packet identifier");
    if (out->packet_id == 0)
        return PROTOCOL(why, "packet identifier 0 (3.1.1 [MQTT-2.3.1-1], 5.0 [MQTT-2.2.1-3])");
    if (cx->version >= MQTT_V5) {
        int rc = mqtt_props_decode(&out->props, &r, PROPS_UNSUBSCRIBE, cx->sender, why);
        if (rc)
            return rc;
    }
    out->entries = rd_rest(&r);
    r = (struct rd){out->entries.ptr, out->entries.len};
    while (r.n) {
        struct slice filter;
        if (!rd_lenstr(&r, &filter))
            return MALFORMED(why, "topic filter overruns the packet");
        if (!mqtt_utf8_valid(filter))
            return MALFORMED(why, "topic filter is not valid UTF-8 [MQTT-3.10.3-1]");
        out->count++;
    }
    if (out->count == 0)
        return PROTOCOL(why, "UNSUBSCRIBE without a topic filter [MQTT-3.10.3-2]");
    return 0;
}

bool mqtt_unsubscribe_next(const struct mqtt_unsubscribe *u, size_t *pos, struct slice *filter,
                           uint8_t *status)
{
    if (*pos >= u->entries.len)
        return false;
    struct rd r = {u->entries.ptr + *pos, u->entries.len - *pos};
    if (!rd_lenstr(&r, filter)) {
        *pos = u->entries.len;
        return false;
    }
    *status = mqtt_topic_filter_valid(*filter) ? 0 : MQTT_RC_TOPIC_FILTER_INVALID;
    *pos = u->entries.len - r.n;
    return true;
}

size_t mqtt_unsubscribe_encode(uint8_t *buf, size_t cap, const struct mqtt_unsubscribe *u,
                               uint8_t version)
{
    bool v5 = version >= MQTT_V5;
    size_t plen = v5 ? mqtt_props_len(&u->props) : 0;
    size_t rl = 2 + (v5 ? props_wire_size(plen) : 0);
    for (uint32_t i = 0; i < u->count; i++)
        rl += 2 + u->filters[i].len;
    size_t total = packet_size(rl);
    if (total > cap)
        return total;
    uint8_t *p = wr_header(buf, MQTT_UNSUBSCRIBE, 2, rl);
    p = wr_u16(p, u->packet_id);
    if (v5)
        p = mqtt_props_write(p, &u->props, plen);
    for (uint32_t i = 0; i < u->count; i++)
        p = wr_lenstr(p, u->filters[i]);
    return total;
}

/* ---- SUBACK and UNSUBACK ------------------------------------------------ */

static int suback_reasons_check(const struct mqtt_suback *out, bool v5, const char **why)
{
    if (out->reasons.len == 0)
        return PROTOCOL(why, "acknowledgement without reason codes [MQTT-3.9.3-1]");
    for (size_t i = 0; i < out->reasons.len; i++) {
        uint8_t rc = out->reasons.ptr[i];
        bool ok = v5 ? mqtt_rc_allowed(out->type, MQTT_FROM_SERVER, rc) : v3_suback_rc_valid(rc);
        if (!ok)
            return PROTOCOL(why, "reason code not in the table [MQTT-3.9.3-2] [MQTT-3.11.3-2]");
    }
    return 0;
}

int mqtt_suback_decode(struct mqtt_suback *out, const struct mqtt_frame *f,
                       const struct mqtt_ctx *cx, const char **why)
{
    memset(out, 0, sizeof *out);
    bool v5 = cx->version >= MQTT_V5;
    out->type = f->type;
    struct rd r = rd_frame(f);
    if (!rd_u16(&r, &out->packet_id))
        return MALFORMED(why, "acknowledgement shorter than a packet identifier");
    if (out->packet_id == 0)
        return PROTOCOL(why, "acknowledgement of packet identifier 0");
    if (v5) {
        enum props_kind kind = f->type == MQTT_SUBACK ? PROPS_SUBACK : PROPS_UNSUBACK;
        int rc = mqtt_props_decode(&out->props, &r, kind, MQTT_FROM_SERVER, why);
        if (rc)
            return rc;
    } else if (f->type == MQTT_UNSUBACK) {
        if (r.n)
            return MALFORMED(why, "3.1.1 UNSUBACK longer than 2 bytes");
        return 0;
    }
    out->reasons = rd_rest(&r);
    return suback_reasons_check(out, v5, why);
}

size_t mqtt_suback_encode(uint8_t *buf, size_t cap, const struct mqtt_suback *s, uint8_t version)
{
    bool v5 = version >= MQTT_V5;
    bool reasons = v5 || s->type == MQTT_SUBACK; /* 3.1.1 UNSUBACK has no payload */
    size_t plen = v5 ? mqtt_props_len(&s->props) : 0;
    size_t rl = 2 + (v5 ? props_wire_size(plen) : 0) + (reasons ? s->reasons.len : 0);
    size_t total = packet_size(rl);
    if (total > cap)
        return total;
    uint8_t *p = wr_header(buf, s->type, 0, rl);
    p = wr_u16(p, s->packet_id);
    if (v5)
        p = mqtt_props_write(p, &s->props, plen);
    if (reasons)
        wr_bytes(p, s->reasons);
    return total;
}
