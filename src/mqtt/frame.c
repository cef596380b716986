/*
 * frame.c - variable byte integers, the fixed header, and framing.
 *
 * mqtt_frame_parse() answers "need more", "one whole frame" or an error
 * from the bytes buffered so far, without copying. Everything that can be
 * judged from the fixed header is judged as soon as those bytes are in:
 * the type, the reserved flags, an over-long length, and the size limit,
 * so a connection never buffers the body of a packet it will refuse.
 * Checks that need the body are the decoders' (one per packet family).
 */
#include "mqtt/codec_int.h"

int mqtt_varint_decode(const uint8_t *p, size_t n, uint32_t *out)
{
    uint32_t v = 0;
    for (size_t i = 0; i < 4; i++) {
        if (i >= n)
            return 0;
        v |= (uint32_t)(p[i] & 0x7F) << (7 * i);
        if ((p[i] & 0x80) == 0) {
            *out = v;
            return (int)i + 1;
        }
    }
    return -1; /* the 4th byte says a 5th follows [MQTT-1.5.5-1] */
}

size_t mqtt_varint_size(uint32_t v)
{
    if (v < 128u)
        return 1;
    if (v < 16384u)
        return 2;
    if (v < 2097152u)
        return 3;
    return 4;
}

size_t mqtt_varint_encode(uint8_t *p, uint32_t v)
{
    size_t i = 0;
    do {
        uint8_t b = v & 0x7F;
        v >>= 7;
        p[i++] = v ? (uint8_t)(b | 0x80) : b;
    } while (v && i < 4);
    return i;
}

size_t mqtt_fixed_header_encode(uint8_t *p, uint8_t type, uint8_t flags, uint32_t remaining)
{
    p[0] = (uint8_t)((type << 4) | (flags & 0x0F));
    return 1 + mqtt_varint_encode(p + 1, remaining);
}

/* The flags each type must carry [MQTT-2.1.3-1]; PUBLISH (0xFF here) has
 * meaningful flags that mqtt_publish_decode checks. */
static const uint8_t required_flags[16] = {
    [MQTT_CONNECT] = 0,  [MQTT_CONNACK] = 0,     [MQTT_PUBLISH] = 0xFF, [MQTT_PUBACK] = 0,
    [MQTT_PUBREC] = 0,   [MQTT_PUBREL] = 2,      [MQTT_PUBCOMP] = 0,    [MQTT_SUBSCRIBE] = 2,
    [MQTT_SUBACK] = 0,   [MQTT_UNSUBSCRIBE] = 2, [MQTT_UNSUBACK] = 0,   [MQTT_PINGREQ] = 0,
    [MQTT_PINGRESP] = 0, [MQTT_DISCONNECT] = 0,  [MQTT_AUTH] = 0,
};

int mqtt_frame_parse(struct mqtt_frame *f, const uint8_t *buf, size_t n, uint32_t max_size,
                     const char **why)
{
    if (n == 0)
        return 0;
    uint8_t type = buf[0] >> 4, flags = buf[0] & 0x0F;
    if (type == 0)
        return MALFORMED(why, "packet type 0 is reserved");
    if (required_flags[type] != 0xFF && flags != required_flags[type])
        return MALFORMED(why, "reserved fixed header flags are wrong [MQTT-2.1.3-1]");
    uint32_t rl;
    int used = mqtt_varint_decode(buf + 1, n - 1, &rl);
    if (used == 0)
        return 0;
    if (used < 0)
        return MALFORMED(why, "remaining length longer than 4 bytes [MQTT-1.5.5-1]");
    uint64_t total = 1 + (uint64_t)used + rl;
    uint64_t limit = max_size ? max_size : MQTT_MAX_PACKET_SIZE;
    if (total > limit)
        return codec_fail(why, MQTT_RC_PACKET_TOO_LARGE, "packet exceeds the maximum packet size");
    if (n < total)
        return 0;
    f->type = type;
    f->flags = flags;
    f->body = buf + 1 + used;
    f->body_len = rl;
    f->frame_len = (size_t)total;
    return 1;
}
