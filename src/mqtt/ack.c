/*
 * ack.c - PUBACK, PUBREC, PUBREL and PUBCOMP: one shape, four types.
 *
 * 3.1/3.1.1: exactly a packet identifier. 5.0: the identifier, then an
 * optional reason code and an optional property block; a remaining length
 * of 2 means Success without properties, 3 means a reason without
 * properties (3.4.2.2.1: "If the Remaining Length is less than 4 there is
 * no Property Length and the value of 0 is used").
 * Whether the identifier is one in flight is the broker's question.
 */
#include "mqtt/codec_int.h"

int mqtt_ack_decode(struct mqtt_ack *out, const struct mqtt_frame *f, const struct mqtt_ctx *cx,
                    const char **why)
{
    out->type = f->type;
    out->packet_id = 0;
    out->reason = 0;
    props_set_none(&out->props); /* mqtt_props_decode clears them when there are some */
    struct rd r = rd_frame(f);
    if (!rd_u16(&r, &out->packet_id))
        return MALFORMED(why, "acknowledgement shorter than a packet identifier");
    if (out->packet_id == 0)
        return PROTOCOL(why, "acknowledgement of packet identifier 0");
    if (cx->version < MQTT_V5) {
        if (r.n)
            return MALFORMED(why, "3.1.1 acknowledgement longer than 2 bytes");
        return 0;
    }
    if (r.n == 0)
        return 0;
    rd_u8(&r, &out->reason);
    if (!mqtt_rc_allowed(f->type, cx->sender, out->reason))
        return PROTOCOL(why, "reason code not in the table for this acknowledgement "
                             "[MQTT-3.4.2-1] [MQTT-3.5.2-1] [MQTT-3.6.2-1] [MQTT-3.7.2-1]");
    if (r.n == 0)
        return 0;
    int rc = mqtt_props_decode(&out->props, &r, PROPS_PUBACK, cx->sender, why);
    if (rc)
        return rc;
    if (r.n)
        return MALFORMED(why, "bytes after the acknowledgement's properties");
    return 0;
}

size_t mqtt_ack_encode(uint8_t *buf, size_t cap, const struct mqtt_ack *a, uint8_t version)
{
    size_t plen = 0, rl = 2;
    bool tail = false; /* reason code and property length */
    if (version >= MQTT_V5) {
        plen = mqtt_props_len(&a->props);
        tail = a->reason != 0 || plen != 0;
        if (tail)
            rl += 1 + props_wire_size(plen);
    }
    size_t total = packet_size(rl);
    if (total > cap)
        return total;
    uint8_t *p = wr_header(buf, a->type, a->type == MQTT_PUBREL ? 2 : 0, rl);
    p = wr_u16(p, a->packet_id);
    if (tail) {
        p = wr_u8(p, a->reason);
        mqtt_props_write(p, &a->props, plen);
    }
    return total;
}

size_t mqtt_ack_encode_plain(uint8_t *buf, uint8_t type, uint16_t packet_id, uint8_t reason,
                             uint8_t version)
{
    bool tail = version >= MQTT_V5 && reason != 0;
    uint8_t *p = wr_header(buf, type, type == MQTT_PUBREL ? 2 : 0, tail ? 4 : 2);
    p = wr_u16(p, packet_id);
    if (tail) {
        p = wr_u8(p, reason);
        wr_u8(p, 0); /* no properties */
    }
    return tail ? 6 : 4;
}
