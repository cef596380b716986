/*
 * connect.c - CONNECT and CONNACK, all three protocol versions.
 *
 * CONNECT decodes in two phases, the variable header (protocol name and
 * level, flags, keep alive, v5 properties) and the payload (client id,
 * will, user name, password), so the protocol level is known, and stored,
 * before anything that depends on it is read: the broker must answer an
 * unsupported level with a CONNACK its client understands.
 *
 * What this file does not judge: whether an empty client id is acceptable
 * (the broker may assign one, [MQTT-3.1.3-6]/[MQTT-3.1.3-8]), 3.1's
 * 23-byte client id limit, credentials, and whether CONNECT came first.
 */
#include "mqtt/codec_int.h"

#define CF_RESERVED 0x01
#define CF_CLEAN 0x02
#define CF_WILL 0x04
#define CF_WILL_QOS_SHIFT 3
#define CF_WILL_RETAIN 0x20
#define CF_PASSWORD 0x40
#define CF_USERNAME 0x80

/* Protocol name and level [MQTT-3.1.2-1] [MQTT-3.1.2-2]. */
static int check_protocol(struct slice name, uint8_t level, const char **why)
{
    if (slice_eq(name, SLICE_LIT("MQTT"))) {
        if (level == MQTT_V311 || level == MQTT_V5)
            return 0;
    } else if (slice_eq(name, SLICE_LIT("MQIsdp"))) {
        if (level == MQTT_V31)
            return 0;
    } else {
        return MALFORMED(why, "unknown protocol name [MQTT-3.1.2-1]");
    }
    return codec_fail(why, MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION,
                      "unsupported protocol level [MQTT-3.1.2-2]");
}

static int check_flags(uint8_t flags, uint8_t version, const char **why)
{
    uint8_t will_qos = (flags >> CF_WILL_QOS_SHIFT) & 3;
    if (flags & CF_RESERVED)
        return MALFORMED(why, "CONNECT reserved flag is not 0 [MQTT-3.1.2-3]");
    if (flags & CF_WILL) {
        if (will_qos == 3)
            return MALFORMED(why, "Will QoS 3 (3.1.1 [MQTT-3.1.2-14], 5.0 [MQTT-3.1.2-12])");
    } else if (will_qos != 0 || (flags & CF_WILL_RETAIN)) {
        /* 3.1.1 [MQTT-3.1.2-13] [MQTT-3.1.2-15]; 5.0 [MQTT-3.1.2-11] [MQTT-3.1.2-13]. */
        return MALFORMED(why, "Will QoS or Will Retain set without the Will Flag");
    }
    if (version < MQTT_V5 && (flags & CF_PASSWORD) && !(flags & CF_USERNAME))
        return MALFORMED(why, "password without user name [MQTT-3.1.2-22]");
    return 0;
}

/* Variable header: everything before the payload. */
static int connect_header(struct mqtt_connect *out, struct rd *r, uint8_t *flags, const char **why)
{
    uint8_t level;
    if (!rd_lenstr(r, &out->protocol_name) || !rd_u8(r, &level))
        return MALFORMED(why, "CONNECT too short for protocol name and level");
    out->version = level; /* before any other check: see the file comment */
    int rc = check_protocol(out->protocol_name, level, why);
    if (rc)
        return rc;
    if (!rd_u8(r, flags) || !rd_u16(r, &out->keep_alive))
        return MALFORMED(why, "CONNECT too short for flags and keep alive");
    rc = check_flags(*flags, level, why);
    if (rc)
        return rc;
    out->clean_start = (*flags & CF_CLEAN) != 0;
    if (level >= MQTT_V5)
        return mqtt_props_decode(&out->props, r, PROPS_CONNECT, MQTT_FROM_CLIENT, why);
    return 0;
}

static int connect_will(struct mqtt_connect *out, struct rd *r, uint8_t flags, const char **why)
{
    struct mqtt_will *w = &out->will;
    out->has_will = true;
    w->qos = (flags >> CF_WILL_QOS_SHIFT) & 3;
    w->retain = (flags & CF_WILL_RETAIN) != 0;
    if (out->version >= MQTT_V5) {
        int rc = mqtt_props_decode(&w->props, r, PROPS_WILL, MQTT_FROM_CLIENT, why);
        if (rc)
            return rc;
    }
    if (!rd_lenstr(r, &w->topic) || !rd_lenstr(r, &w->payload))
        return MALFORMED(why, "will topic or payload overruns the packet");
    if (!mqtt_utf8_valid(w->topic))
        return MALFORMED(why, "will topic is not valid UTF-8 [MQTT-1.5.4-1]");
    if (!mqtt_topic_name_valid(w->topic))
        return codec_fail(why, MQTT_RC_TOPIC_NAME_INVALID,
                          "will topic is not a valid topic name [MQTT-3.3.2-2]");
    return 0;
}

static int connect_payload(struct mqtt_connect *out, struct rd *r, uint8_t flags, const char **why)
{
    if (!rd_lenstr(r, &out->client_id))
        return MALFORMED(why, "client identifier overruns the packet");
    if (!mqtt_utf8_valid(out->client_id))
        return MALFORMED(why, "client identifier is not valid UTF-8 [MQTT-3.1.3-4]");
    if (flags & CF_WILL) {
        int rc = connect_will(out, r, flags, why);
        if (rc)
            return rc;
    }
    if (flags & CF_USERNAME) {
        out->has_username = true;
        if (!rd_lenstr(r, &out->username))
            return MALFORMED(why, "user name overruns the packet");
        if (!mqtt_utf8_valid(out->username))
            return MALFORMED(why, "user name is not valid UTF-8 [MQTT-1.5.4-1]");
    }
    if (flags & CF_PASSWORD) {
        out->has_password = true;
        if (!rd_lenstr(r, &out->password))
            return MALFORMED(why, "password overruns the packet");
    }
    if (r->n)
        return MALFORMED(why, "bytes after the end of the CONNECT payload");
    return 0;
}

int mqtt_connect_decode(struct mqtt_connect *out, const struct mqtt_frame *f,
                        const struct mqtt_ctx *cx, const char **why)
{
    (void)cx;
    memset(out, 0, sizeof *out);
    struct rd r = rd_frame(f);
    uint8_t flags = 0;
    int rc = connect_header(out, &r, &flags, why);
    if (rc)
        return rc;
    return connect_payload(out, &r, flags, why);
}

size_t mqtt_connect_encode(uint8_t *buf, size_t cap, const struct mqtt_connect *c)
{
    bool v5 = c->version >= MQTT_V5;
    struct slice name = c->version == MQTT_V31 ? SLICE_LIT("MQIsdp") : SLICE_LIT("MQTT");
    size_t plen = v5 ? mqtt_props_len(&c->props) : 0;
    size_t wlen = v5 && c->has_will ? mqtt_props_len(&c->will.props) : 0;
    size_t rl = 2 + name.len + 1 + 1 + 2 + (v5 ? props_wire_size(plen) : 0) + 2 + c->client_id.len;
    if (c->has_will)
        rl += (v5 ? props_wire_size(wlen) : 0) + 4 + c->will.topic.len + c->will.payload.len;
    if (c->has_username)
        rl += 2 + c->username.len;
    if (c->has_password)
        rl += 2 + c->password.len;
    size_t total = packet_size(rl);
    if (total > cap)
        return total;

    uint8_t flags =
        (uint8_t)((c->clean_start ? CF_CLEAN : 0) | (c->has_username ? CF_USERNAME : 0) |
                  (c->has_password ? CF_PASSWORD : 0));
    if (c->has_will)
        flags |= (uint8_t)(CF_WILL | ((c->will.qos & 3) << CF_WILL_QOS_SHIFT) |
                           (c->will.retain ? CF_WILL_RETAIN : 0));
    uint8_t *p = wr_header(buf, MQTT_CONNECT, 0, rl);
    p = wr_lenstr(p, name);
    p = wr_u8(p, c->version);
    p = wr_u8(p, flags);
    p = wr_u16(p, c->keep_alive);
    if (v5)
        p = mqtt_props_write(p, &c->props, plen);
    p = wr_lenstr(p, c->client_id);
    if (c->has_will) {
        if (v5)
            p = mqtt_props_write(p, &c->will.props, wlen);
        p = wr_lenstr(p, c->will.topic);
        p = wr_lenstr(p, c->will.payload);
    }
    if (c->has_username)
        p = wr_lenstr(p, c->username);
    if (c->has_password)
        p = wr_lenstr(p, c->password);
    return total;
}

/* ---- CONNACK ------------------------------------------------------------ */

int mqtt_connack_decode(struct mqtt_connack *out, const struct mqtt_frame *f,
                        const struct mqtt_ctx *cx, const char **why)
{
    memset(out, 0, sizeof *out);
    struct rd r = rd_frame(f);
    bool v5 = cx->version >= MQTT_V5;
    uint8_t flags;
    if (!rd_u8(&r, &flags) || !rd_u8(&r, &out->reason))
        return MALFORMED(why, "CONNACK shorter than 2 bytes");
    /* 3.1 has an unused byte where 3.1.1 put the flags. */
    if (cx->version != MQTT_V31) {
        if (flags & 0xFE)
            return MALFORMED(why, "CONNACK reserved flags are not 0 [MQTT-3.2.2-1]");
        out->session_present = flags & 1;
    }
    if (v5) {
        if (!mqtt_rc_allowed(MQTT_CONNACK, MQTT_FROM_SERVER, out->reason))
            return PROTOCOL(why, "CONNACK reason code not in table 3-1 (1.2 Protocol Error)");
        int rc = mqtt_props_decode(&out->props, &r, PROPS_CONNACK, MQTT_FROM_SERVER, why);
        if (rc)
            return rc;
    } else if (out->reason > MQTT_V3_CONNACK_NOT_AUTHORIZED) {
        return PROTOCOL(why, "CONNACK return code 6-255 is reserved");
    }
    if (r.n)
        return MALFORMED(why, "bytes after the end of CONNACK");
    if (out->session_present && out->reason != 0)
        return PROTOCOL(why, "Session Present with a failure code [MQTT-3.2.2-4] [MQTT-3.2.2-6]");
    return 0;
}

size_t mqtt_connack_encode(uint8_t *buf, size_t cap, const struct mqtt_connack *c, uint8_t version)
{
    bool v5 = version >= MQTT_V5;
    size_t plen = v5 ? mqtt_props_len(&c->props) : 0;
    size_t rl = 2 + (v5 ? props_wire_size(plen) : 0);
    size_t total = packet_size(rl);
    if (total > cap)
        return total;
    uint8_t *p = wr_header(buf, MQTT_CONNACK, 0, rl);
    /* 3.1 clients read this byte as reserved: keep it 0 for them. */
    p = wr_u8(p, version != MQTT_V31 && c->session_present ? 1 : 0);
    p = wr_u8(p, c->reason);
    if (v5)
        mqtt_props_write(p, &c->props, plen);
    return total;
}
