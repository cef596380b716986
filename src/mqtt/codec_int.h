/*
 * codec_int.h - helpers shared by the codec's files; not part of the API.
 *
 * A bounds-checked reader over one frame body (struct rd), the writers the
 * encoders share, and the property decoder/encoder entry points that take
 * the packet kind. Nothing here allocates; every reader checks the bytes
 * left before it reads, so a decoder never reads past f->body_len.
 */
#ifndef PETREL_MQTT_CODEC_INT_H
#define PETREL_MQTT_CODEC_INT_H

#include <string.h>

#include "mqtt/mqtt.h"

/* Sets *why (when asked for) and returns the negative reason code. */
static inline int codec_fail(const char **why, int rc, const char *msg)
{
    if (why)
        *why = msg;
    return -rc;
}

#define MALFORMED(why, msg) codec_fail(why, MQTT_RC_MALFORMED_PACKET, msg)
#define PROTOCOL(why, msg) codec_fail(why, MQTT_RC_PROTOCOL_ERROR, msg)

/* ---- Reader ------------------------------------------------------------- */

struct rd {
    const uint8_t *p;
    size_t n; /* bytes left */
};

static inline struct rd rd_frame(const struct mqtt_frame *f)
{
    return (struct rd){f->body, f->body_len};
}

static inline bool rd_u8(struct rd *r, uint8_t *v)
{
    if (r->n < 1)
        return false;
    *v = r->p[0];
    r->p++;
    r->n--;
    return true;
}

static inline bool rd_u16(struct rd *r, uint16_t *v)
{
    if (r->n < 2)
        return false;
    *v = mqtt_rd_u16(r->p);
    r->p += 2;
    r->n -= 2;
    return true;
}

static inline bool rd_u32(struct rd *r, uint32_t *v)
{
    if (r->n < 4)
        return false;
    *v = mqtt_rd_u32(r->p);
    r->p += 4;
    r->n -= 4;
    return true;
}

/* A variable byte integer that must lie wholly inside the reader: a short
 * or over-long one is malformed either way inside a complete frame. */
static inline bool rd_varint(struct rd *r, uint32_t *v)
{
    int used = mqtt_varint_decode(r->p, r->n, v);
    if (used <= 0)
        return false;
    r->p += used;
    r->n -= (size_t)used;
    return true;
}

/* A two-byte length followed by that many bytes (UTF-8 string or binary
 * data, 1.5.4 / 1.5.6); the slice borrows from the input. */
static inline bool rd_lenstr(struct rd *r, struct slice *s)
{
    uint16_t len;
    if (r->n < 2)
        return false;
    len = mqtt_rd_u16(r->p);
    if (r->n - 2 < len)
        return false;
    *s = slice_make(r->p + 2, len);
    r->p += 2 + (size_t)len;
    r->n -= 2 + (size_t)len;
    return true;
}

/* The rest of the reader, consumed. */
static inline struct slice rd_rest(struct rd *r)
{
    struct slice s = SLICE_NULL;
    if (r->n) {
        /* Not advanced when empty: the body pointer may be NULL then. */
        s = slice_make(r->p, r->n);
        r->p += r->n;
        r->n = 0;
    }
    return s;
}

/* ---- Writers (the caller has checked the capacity) ---------------------- */

static inline uint8_t *wr_u8(uint8_t *p, uint8_t v)
{
    *p = v;
    return p + 1;
}

static inline uint8_t *wr_u16(uint8_t *p, uint16_t v)
{
    mqtt_wr_u16(p, v);
    return p + 2;
}

static inline uint8_t *wr_bytes(uint8_t *p, struct slice s)
{
    if (s.len)
        memcpy(p, s.ptr, s.len);
    return p + s.len;
}

/* A two-byte length and the bytes; s.len <= 65535 (the caller's promise). */
static inline uint8_t *wr_lenstr(uint8_t *p, struct slice s)
{
    mqtt_wr_u16(p, (uint16_t)s.len);
    return wr_bytes(p + 2, s);
}

static inline uint8_t *wr_header(uint8_t *p, uint8_t type, uint8_t flags, size_t remaining)
{
    return p + mqtt_fixed_header_encode(p, type, flags, (uint32_t)remaining);
}

/* Total packet size for a remaining length. */
static inline size_t packet_size(size_t remaining)
{
    return mqtt_fixed_header_size((uint32_t)remaining) + remaining;
}

/* ---- Properties (props.c) ----------------------------------------------- */

/* Which packet a property block belongs to: the allowed set of table 2-4
 * differs per packet (and the will properties are a set of their own). */
enum props_kind {
    PROPS_CONNECT = 0,
    PROPS_WILL,
    PROPS_CONNACK,
    PROPS_PUBLISH,
    PROPS_PUBACK, /* PUBACK, PUBREC, PUBREL and PUBCOMP share one set */
    PROPS_SUBSCRIBE,
    PROPS_SUBACK,
    PROPS_UNSUBSCRIBE,
    PROPS_UNSUBACK,
    PROPS_DISCONNECT,
    PROPS_AUTH,
    PROPS_KIND_COUNT
};

/* Reads a property length and block from r (advancing it) into *out, which
 * is cleared first, checking every rule listed above struct mqtt_props for
 * the packet `kind` sent by `sender`. Returns 0 or a negative reason code. */
int mqtt_props_decode(struct mqtt_props *out, struct rd *r, enum props_kind kind,
                      enum mqtt_sender sender, const char **why);

/* Length of the encoded property block without its length varint. */
size_t mqtt_props_len(const struct mqtt_props *p);

/* Writes the property length varint (len, from mqtt_props_len) and the
 * block at q; returns the end. */
uint8_t *mqtt_props_write(uint8_t *q, const struct mqtt_props *p, size_t len);

/* A decoded packet without properties: what every reader looks at says
 * there are none (a property's value is read only when its bit is in
 * `present`), without clearing the 300-byte struct on the hot path. */
static inline void props_set_none(struct mqtt_props *p)
{
    p->present = 0;
    p->user_property_count = 0;
    p->raw = SLICE_NULL;
    p->passthrough = SLICE_NULL;
    p->sub_ids = NULL;
    p->sub_id_count = 0;
}

/* Size of a property block of body length len, with its length varint. */
static inline size_t props_wire_size(size_t len)
{
    return mqtt_varint_size((uint32_t)len) + len;
}

/* ---- Reason code sets (reason.c) ---------------------------------------- */

/* True when rc is one the specification lets `sender` put in a packet of
 * `type` (v5 tables 3-1, 3-4, 3-5, 3-6, 3-7, 3-8, 3-9, 3-10, 3-11). */
bool mqtt_rc_allowed(uint8_t type, enum mqtt_sender sender, uint8_t rc);

/* v3 SUBACK return codes: 0, 1, 2 or 0x80 [MQTT-3.9.3-2]. */
static inline bool v3_suback_rc_valid(uint8_t rc)
{
    return rc <= 2 || rc == MQTT_V3_SUBACK_FAILURE;
}

#endif
