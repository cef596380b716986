/*
 * props.c - MQTT 5 properties: decode and validate per packet, encode,
 * size, filter, and the user-property iterator.
 *
 * One table (table 2-4 of the specification) drives everything: for each
 * identifier its data type, the packets it may appear in, and the field of
 * struct mqtt_props that holds it, so decode, size and encode are each one
 * loop and cannot disagree about a property. Properties are not copied:
 * strings and binary values are slices into the packet, and the whole block
 * is kept as `raw` so user properties are read with an iterator and a
 * PUBLISH's properties can be forwarded without decoding them again.
 *
 * Error choices, from the specification's wording:
 *   - an unknown identifier, an identifier not allowed in the packet, or a
 *     value that does not fit the property length: Malformed Packet (2.2.2.2);
 *   - ill-formed UTF-8: Malformed Packet [MQTT-1.5.4-1];
 *   - a repeated property (other than User Property, and Subscription
 *     Identifier in a server's PUBLISH) or a value out of range: Protocol
 *     Error ("It is a Protocol Error to include ... more than once, or to
 *     have a value other than ..." in each property's section);
 *   - Topic Alias 0: Topic Alias invalid [MQTT-3.3.2-8].
 * Rules that depend on more than one property or on the sender
 * (Authentication Data without Method here; Subscription Identifier from a
 * client, Session Expiry Interval from a server) are checked by the caller
 * or right after the loop.
 */
#include <stddef.h>

#include "mqtt/codec_int.h"

enum prop_type { PT_NONE = 0, PT_BYTE, PT_U16, PT_U32, PT_VARINT, PT_UTF8, PT_BIN, PT_PAIR };

struct prop_desc {
    uint8_t type;   /* enum prop_type */
    uint16_t kinds; /* bit per enum props_kind where the property may appear */
    uint16_t off;   /* offset of its field in struct mqtt_props (not for PT_PAIR) */
};

#define K(k) (1u << PROPS_##k)
#define F(field) offsetof(struct mqtt_props, field)
#define PROP_ID_MAX 0x2A
#define K_MSG (K(PUBLISH) | K(WILL))
#define K_AUTHX (K(CONNECT) | K(CONNACK) | K(AUTH))
#define K_ALL ((1u << PROPS_KIND_COUNT) - 1)

static const struct prop_desc props_table[PROP_ID_MAX + 1] = {
    [0x01] = {PT_BYTE, K_MSG, F(payload_format_indicator)},
    [0x02] = {PT_U32, K_MSG, F(message_expiry_interval)},
    [0x03] = {PT_UTF8, K_MSG, F(content_type)},
    [0x08] = {PT_UTF8, K_MSG, F(response_topic)},
    [0x09] = {PT_BIN, K_MSG, F(correlation_data)},
    [0x0B] = {PT_VARINT, K(PUBLISH) | K(SUBSCRIBE), F(subscription_identifier)},
    [0x11] = {PT_U32, K(CONNECT) | K(CONNACK) | K(DISCONNECT), F(session_expiry_interval)},
    [0x12] = {PT_UTF8, K(CONNACK), F(assigned_client_identifier)},
    [0x13] = {PT_U16, K(CONNACK), F(server_keep_alive)},
    [0x15] = {PT_UTF8, K_AUTHX, F(authentication_method)},
    [0x16] = {PT_BIN, K_AUTHX, F(authentication_data)},
    [0x17] = {PT_BYTE, K(CONNECT), F(request_problem_information)},
    [0x18] = {PT_U32, K(WILL), F(will_delay_interval)},
    [0x19] = {PT_BYTE, K(CONNECT), F(request_response_information)},
    [0x1A] = {PT_UTF8, K(CONNACK), F(response_information)},
    [0x1C] = {PT_UTF8, K(CONNACK) | K(DISCONNECT), F(server_reference)},
    [0x1F] = {PT_UTF8, K(CONNACK) | K(PUBACK) | K(SUBACK) | K(UNSUBACK) | K(DISCONNECT) | K(AUTH),
              F(reason_string)},
    [0x21] = {PT_U16, K(CONNECT) | K(CONNACK), F(receive_maximum)},
    [0x22] = {PT_U16, K(CONNECT) | K(CONNACK), F(topic_alias_maximum)},
    [0x23] = {PT_U16, K(PUBLISH), F(topic_alias)},
    [0x24] = {PT_BYTE, K(CONNACK), F(maximum_qos)},
    [0x25] = {PT_BYTE, K(CONNACK), F(retain_available)},
    [0x26] = {PT_PAIR, K_ALL, 0},
    [0x27] = {PT_U32, K(CONNECT) | K(CONNACK), F(maximum_packet_size)},
    [0x28] = {PT_BYTE, K(CONNACK), F(wildcard_subscription_available)},
    [0x29] = {PT_BYTE, K(CONNACK), F(subscription_identifier_available)},
    [0x2A] = {PT_BYTE, K(CONNACK), F(shared_subscription_available)},
};

/* Ids written from their fields when encoding: all known but User Property. */
#define B(id) MQTT_PROP_BIT(MQTT_PROP_##id)
static const uint64_t encodable_mask =
    B(PAYLOAD_FORMAT_INDICATOR) | B(MESSAGE_EXPIRY_INTERVAL) | B(CONTENT_TYPE) | B(RESPONSE_TOPIC) |
    B(CORRELATION_DATA) | B(SUBSCRIPTION_IDENTIFIER) | B(SESSION_EXPIRY_INTERVAL) |
    B(ASSIGNED_CLIENT_IDENTIFIER) | B(SERVER_KEEP_ALIVE) | B(AUTHENTICATION_METHOD) |
    B(AUTHENTICATION_DATA) | B(REQUEST_PROBLEM_INFORMATION) | B(WILL_DELAY_INTERVAL) |
    B(REQUEST_RESPONSE_INFORMATION) | B(RESPONSE_INFORMATION) | B(SERVER_REFERENCE) |
    B(REASON_STRING) | B(RECEIVE_MAXIMUM) | B(TOPIC_ALIAS_MAXIMUM) | B(TOPIC_ALIAS) |
    B(MAXIMUM_QOS) | B(RETAIN_AVAILABLE) | B(MAXIMUM_PACKET_SIZE) |
    B(WILDCARD_SUBSCRIPTION_AVAILABLE) | B(SUBSCRIPTION_IDENTIFIER_AVAILABLE) |
    B(SHARED_SUBSCRIPTION_AVAILABLE);

/* One property as read off the wire. */
struct prop_val {
    uint32_t num;   /* integer types */
    struct slice a; /* string, binary, or user property key */
    struct slice b; /* user property value */
};

enum { PR_OK = 0, PR_UNKNOWN, PR_SHORT };

/* Reads one property (id and value) from r. Returns PR_OK, PR_UNKNOWN for
 * an identifier not in table 2-4, or PR_SHORT when the value overruns r. */
static int prop_read(struct rd *r, uint32_t *id, struct prop_val *v)
{
    if (!rd_varint(r, id))
        return PR_SHORT;
    if (*id > PROP_ID_MAX || props_table[*id].type == PT_NONE)
        return PR_UNKNOWN;
    bool ok = false;
    uint8_t b = 0;
    uint16_t w = 0;
    switch (props_table[*id].type) {
    case PT_BYTE:
        ok = rd_u8(r, &b);
        v->num = b;
        break;
    case PT_U16:
        ok = rd_u16(r, &w);
        v->num = w;
        break;
    case PT_U32:
        ok = rd_u32(r, &v->num);
        break;
    case PT_VARINT:
        ok = rd_varint(r, &v->num);
        break;
    case PT_UTF8:
    case PT_BIN:
        ok = rd_lenstr(r, &v->a);
        break;
    case PT_PAIR:
        ok = rd_lenstr(r, &v->a) && rd_lenstr(r, &v->b);
        break;
    }
    return ok ? PR_OK : PR_SHORT;
}

/* Value rules for one property. Returns 0 or a negative reason code. */
static int prop_check(uint32_t id, const struct prop_val *v, const char **why)
{
    uint8_t type = props_table[id].type;
    if ((type == PT_UTF8 || type == PT_PAIR) && !mqtt_utf8_valid(v->a))
        return MALFORMED(why, "property string is not valid UTF-8 [MQTT-1.5.4-1]");
    if (type == PT_PAIR && !mqtt_utf8_valid(v->b))
        return MALFORMED(why, "user property value is not valid UTF-8 [MQTT-1.5.4-1]");
    /* Every byte-valued property is a 0/1 flag or Maximum QoS 0/1. */
    if (type == PT_BYTE && v->num > 1)
        return PROTOCOL(why, "byte property must be 0 or 1");
    switch (id) {
    case MQTT_PROP_SUBSCRIPTION_IDENTIFIER:
        if (v->num == 0)
            return PROTOCOL(why, "Subscription Identifier 0 (3.8.2.1.2)");
        break;
    case MQTT_PROP_RECEIVE_MAXIMUM:
        if (v->num == 0)
            return PROTOCOL(why, "Receive Maximum 0 (3.1.2.11.3)");
        break;
    case MQTT_PROP_MAXIMUM_PACKET_SIZE:
        if (v->num == 0)
            return PROTOCOL(why, "Maximum Packet Size 0 (3.1.2.11.4)");
        break;
    case MQTT_PROP_TOPIC_ALIAS:
        if (v->num == 0)
            return codec_fail(why, MQTT_RC_TOPIC_ALIAS_INVALID, "Topic Alias 0 [MQTT-3.3.2-8]");
        break;
    case MQTT_PROP_RESPONSE_TOPIC:
        if (!mqtt_topic_name_valid(v->a))
            return PROTOCOL(why, "Response Topic is not a topic name [MQTT-3.3.2-14]");
        break;
    }
    return 0;
}

/* Stores a checked value in its field. */
static void prop_store(struct mqtt_props *out, uint32_t id, const struct prop_val *v)
{
    const struct prop_desc *d = &props_table[id];
    char *field = (char *)out + d->off;
    switch (d->type) {
    case PT_BYTE:
        *(uint8_t *)(void *)field = (uint8_t)v->num;
        break;
    case PT_U16:
        *(uint16_t *)(void *)field = (uint16_t)v->num;
        break;
    case PT_U32:
        *(uint32_t *)(void *)field = v->num;
        break;
    case PT_VARINT:
        if (!MQTT_PROP_HAS(out, id)) /* the first of several */
            *(uint32_t *)(void *)field = v->num;
        break;
    case PT_UTF8:
    case PT_BIN:
        *(struct slice *)(void *)field = v->a;
        break;
    case PT_PAIR:
        out->user_property_count++;
        break;
    }
    out->present |= MQTT_PROP_BIT(id);
}

static int prop_decode_one(struct mqtt_props *out, struct rd *blk, enum props_kind kind,
                           enum mqtt_sender sender, const char **why)
{
    uint32_t id;
    struct prop_val v = {0, SLICE_NULL, SLICE_NULL};
    int st = prop_read(blk, &id, &v);
    if (st == PR_UNKNOWN)
        return MALFORMED(why, "unknown property identifier (2.2.2.2)");
    if (st == PR_SHORT)
        return MALFORMED(why, "property value overruns the property length");
    if ((props_table[id].kinds & (1u << kind)) == 0)
        return MALFORMED(why, "property not allowed in this packet (2.2.2.2)");
    if (MQTT_PROP_HAS(out, id)) {
        bool repeatable =
            id == MQTT_PROP_USER_PROPERTY || (id == MQTT_PROP_SUBSCRIPTION_IDENTIFIER &&
                                              kind == PROPS_PUBLISH && sender == MQTT_FROM_SERVER);
        if (!repeatable)
            return PROTOCOL(why, "property included more than once");
    }
    int rc = prop_check(id, &v, why);
    if (rc)
        return rc;
    prop_store(out, id, &v);
    return 0;
}

int mqtt_props_decode(struct mqtt_props *out, struct rd *r, enum props_kind kind,
                      enum mqtt_sender sender, const char **why)
{
    memset(out, 0, sizeof *out);
    uint32_t len;
    if (!rd_varint(r, &len) || len > r->n)
        return MALFORMED(why, "property length overruns the packet");
    struct rd blk = {r->p, len};
    if (len) {
        out->raw = slice_make(r->p, len);
        r->p += len;
        r->n -= len;
    }
    while (blk.n) {
        int rc = prop_decode_one(out, &blk, kind, sender, why);
        if (rc)
            return rc;
    }
    if (MQTT_PROP_HAS(out, MQTT_PROP_AUTHENTICATION_DATA) &&
        !MQTT_PROP_HAS(out, MQTT_PROP_AUTHENTICATION_METHOD))
        return PROTOCOL(why, "Authentication Data without Authentication Method (3.1.2.11.10)");
    return 0;
}

/* ---- Encoding ----------------------------------------------------------- */

static const void *field_of(const struct mqtt_props *p, uint32_t id)
{
    return (const char *)p + props_table[id].off;
}

static size_t prop_size(const struct mqtt_props *p, uint32_t id)
{
    switch (props_table[id].type) {
    case PT_BYTE:
        return 2;
    case PT_U16:
        return 3;
    case PT_U32:
        return 5;
    case PT_VARINT:
        return 1 + mqtt_varint_size(*(const uint32_t *)field_of(p, id));
    case PT_UTF8:
    case PT_BIN:
        return 3 + ((const struct slice *)field_of(p, id))->len;
    }
    return 0;
}

size_t mqtt_props_len(const struct mqtt_props *p)
{
    size_t len = p->passthrough.len;
    for (size_t i = 0; i < p->sub_id_count; i++)
        len += 1 + mqtt_varint_size(p->sub_ids[i]);
    for (uint64_t m = p->present & encodable_mask; m; m &= m - 1)
        len += prop_size(p, (uint32_t)__builtin_ctzll(m));
    return len;
}

size_t mqtt_props_size(const struct mqtt_props *p, uint8_t version)
{
    if (version < MQTT_V5)
        return 0;
    if (p->present == 0 && p->passthrough.len == 0 && p->sub_id_count == 0)
        return 1; /* the common case: a zero property length */
    return props_wire_size(mqtt_props_len(p));
}

static uint8_t *prop_write(uint8_t *q, const struct mqtt_props *p, uint32_t id)
{
    const void *field = field_of(p, id);
    *q++ = (uint8_t)id;
    switch (props_table[id].type) {
    case PT_BYTE:
        *q++ = *(const uint8_t *)field;
        break;
    case PT_U16:
        q = wr_u16(q, *(const uint16_t *)field);
        break;
    case PT_U32:
        mqtt_wr_u32(q, *(const uint32_t *)field);
        q += 4;
        break;
    case PT_VARINT:
        q += mqtt_varint_encode(q, *(const uint32_t *)field);
        break;
    case PT_UTF8:
    case PT_BIN:
        q = wr_lenstr(q, *(const struct slice *)field);
        break;
    }
    return q;
}

uint8_t *mqtt_props_write(uint8_t *q, const struct mqtt_props *p, size_t len)
{
    q += mqtt_varint_encode(q, (uint32_t)len);
    if (len == 0)
        return q;
    for (uint64_t m = p->present & encodable_mask; m; m &= m - 1)
        q = prop_write(q, p, (uint32_t)__builtin_ctzll(m));
    q = wr_bytes(q, p->passthrough);
    for (size_t i = 0; i < p->sub_id_count; i++) {
        *q++ = MQTT_PROP_SUBSCRIPTION_IDENTIFIER;
        q += mqtt_varint_encode(q, p->sub_ids[i]);
    }
    return q;
}

/* ---- Reading a validated block ------------------------------------------ */

bool mqtt_props_user_next(const struct mqtt_props *p, size_t *pos, struct slice *key,
                          struct slice *value)
{
    if (*pos >= p->raw.len)
        return false;
    struct rd r = {p->raw.ptr + *pos, p->raw.len - *pos};
    while (r.n) {
        uint32_t id;
        struct prop_val v = {0, SLICE_NULL, SLICE_NULL};
        if (prop_read(&r, &id, &v) != PR_OK)
            break; /* not a block from mqtt_props_decode */
        if (id == MQTT_PROP_USER_PROPERTY) {
            *key = v.a;
            *value = v.b;
            *pos = p->raw.len - r.n;
            return true;
        }
    }
    *pos = p->raw.len;
    return false;
}

size_t mqtt_props_filter(struct slice raw, uint64_t drop_mask, uint8_t *out, size_t cap)
{
    size_t total = 0;
    struct rd r = {raw.ptr, raw.len};
    while (r.n) {
        const uint8_t *start = r.p;
        uint32_t id;
        struct prop_val v;
        if (prop_read(&r, &id, &v) != PR_OK)
            break; /* not a validated block: keep what was whole */
        size_t sz = (size_t)(r.p - start);
        if (drop_mask & MQTT_PROP_BIT(id))
            continue;
        if (total + sz <= cap)
            memcpy(out + total, start, sz);
        total += sz;
    }
    return total;
}
