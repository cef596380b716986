/*
 * control.c - PINGREQ/PINGRESP, DISCONNECT and AUTH: the packets that
 * carry no application data.
 *
 * DISCONNECT and AUTH share a shape in 5.0: an optional reason code, then
 * an optional property block (3.14.2.1, 3.15.2.1: both may be omitted for
 * reason 0 without properties). Before 5.0, DISCONNECT is empty and AUTH
 * does not exist (type 15 was reserved, hence a malformed packet).
 */
#include "mqtt/codec_int.h"

int mqtt_ping_decode(const struct mqtt_frame *f, const struct mqtt_ctx *cx, const char **why)
{
    (void)cx;
    if (f->body_len != 0)
        return MALFORMED(why, "PINGREQ/PINGRESP with a body (3.12, 3.13)");
    return 0;
}

size_t mqtt_ping_encode(uint8_t *buf, size_t cap, uint8_t type)
{
    if (cap >= 2) {
        buf[0] = (uint8_t)(type << 4);
        buf[1] = 0;
    }
    return 2;
}

/* Reason code, then properties, each optional from the end. */
static int reason_and_props(struct rd *r, uint8_t *reason, struct mqtt_props *props, uint8_t type,
                            enum props_kind kind, enum mqtt_sender sender, const char **why)
{
    memset(props, 0, sizeof *props);
    *reason = 0;
    if (!rd_u8(r, reason))
        return 0;
    if (!mqtt_rc_allowed(type, sender, *reason))
        return PROTOCOL(why, "reason code not in the table [MQTT-3.14.2-1] [MQTT-3.15.2-1]");
    if (r->n == 0)
        return 0;
    int rc = mqtt_props_decode(props, r, kind, sender, why);
    if (rc)
        return rc;
    if (r->n)
        return MALFORMED(why, "bytes after the properties");
    return 0;
}

int mqtt_disconnect_decode(struct mqtt_disconnect *out, const struct mqtt_frame *f,
                           const struct mqtt_ctx *cx, const char **why)
{
    memset(out, 0, sizeof *out);
    if (cx->version < MQTT_V5) {
        if (f->body_len != 0)
            return MALFORMED(why, "3.1.1 DISCONNECT with a body");
        return 0;
    }
    struct rd r = rd_frame(f);
    int rc = reason_and_props(&r, &out->reason, &out->props, MQTT_DISCONNECT, PROPS_DISCONNECT,
                              cx->sender, why);
    if (rc)
        return rc;
    if (cx->sender == MQTT_FROM_SERVER &&
        MQTT_PROP_HAS(&out->props, MQTT_PROP_SESSION_EXPIRY_INTERVAL))
        return PROTOCOL(why, "Session Expiry Interval in a server's DISCONNECT [MQTT-3.14.2-2]");
    return 0;
}

/* Shortest form: nothing for reason 0 without properties, else both. */
static size_t reason_props_encode(uint8_t *buf, size_t cap, uint8_t type, uint8_t reason,
                                  const struct mqtt_props *props)
{
    size_t plen = mqtt_props_len(props);
    bool tail = reason != 0 || plen != 0;
    size_t rl = tail ? 1 + props_wire_size(plen) : 0;
    size_t total = packet_size(rl);
    if (total > cap)
        return total;
    uint8_t *p = wr_header(buf, type, 0, rl);
    if (tail) {
        p = wr_u8(p, reason);
        mqtt_props_write(p, props, plen);
    }
    return total;
}

size_t mqtt_disconnect_encode(uint8_t *buf, size_t cap, const struct mqtt_disconnect *d,
                              uint8_t version)
{
    if (version < MQTT_V5) {
        if (cap >= 2) {
            buf[0] = MQTT_DISCONNECT << 4;
            buf[1] = 0;
        }
        return 2;
    }
    return reason_props_encode(buf, cap, MQTT_DISCONNECT, d->reason, &d->props);
}

int mqtt_auth_decode(struct mqtt_auth *out, const struct mqtt_frame *f, const struct mqtt_ctx *cx,
                     const char **why)
{
    memset(out, 0, sizeof *out);
    if (cx->version < MQTT_V5)
        return MALFORMED(why, "AUTH before MQTT 5 (packet type 15 is reserved)");
    if (f->body_len == 0)
        return 0; /* Success, no properties: the short form 3.15.2.1 allows */
    struct rd r = rd_frame(f);
    int rc =
        reason_and_props(&r, &out->reason, &out->props, MQTT_AUTH, PROPS_AUTH, cx->sender, why);
    if (rc)
        return rc;
    if (!MQTT_PROP_HAS(&out->props, MQTT_PROP_AUTHENTICATION_METHOD))
        return PROTOCOL(why, "AUTH without Authentication Method (3.15.2.2.2)");
    return 0;
}

size_t mqtt_auth_encode(uint8_t *buf, size_t cap, const struct mqtt_auth *a)
{
    return reason_props_encode(buf, cap, MQTT_AUTH, a->reason, &a->props);
}
