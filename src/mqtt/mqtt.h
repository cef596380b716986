/*
 * mqtt.h - the MQTT 3.1 / 3.1.1 / 5.0 codec: framing, decode and encode of
 * every packet, v5 properties.
 *
 * Pure functions (STYLE.md section 7): no I/O, no globals, no logging, no
 * allocation. Decoded fields are slices that borrow from the input bytes and
 * stay valid as long as those bytes do. Lists inside a packet (SUBSCRIBE
 * filters, UNSUBSCRIBE filters, user properties) are validated whole by the
 * decoder and then read with an iterator, so decoding never allocates.
 *
 * Return conventions:
 *   - mqtt_frame_parse: 1 (a whole frame), 0 (need more bytes) or a negative
 *     reason code.
 *   - *_decode: 0, or a negative reason code (-MQTT_RC_MALFORMED_PACKET,
 *     -MQTT_RC_PROTOCOL_ERROR, ...). *why, when not NULL, is set to a static
 *     English sentence naming the rule broken, for logs only.
 *   - *_encode: the total size of the packet. The packet is written only
 *     when that size is <= cap; otherwise nothing useful is written and the
 *     caller retries with a buffer of the returned size. Encoders trust
 *     their input (the broker built it); they never fail.
 *
 * Normative statements are cited as [MQTT-x.y.z-n] where checked.
 */
#ifndef PETREL_MQTT_MQTT_H
#define PETREL_MQTT_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqtt/reason.h"
#include "util/slice.h"

/* Protocol levels as carried in CONNECT. */
enum mqtt_version {
    MQTT_V31 = 3,  /* "MQIsdp" */
    MQTT_V311 = 4, /* "MQTT" */
    MQTT_V5 = 5,   /* "MQTT" */
};

enum mqtt_type {
    MQTT_CONNECT = 1,
    MQTT_CONNACK = 2,
    MQTT_PUBLISH = 3,
    MQTT_PUBACK = 4,
    MQTT_PUBREC = 5,
    MQTT_PUBREL = 6,
    MQTT_PUBCOMP = 7,
    MQTT_SUBSCRIBE = 8,
    MQTT_SUBACK = 9,
    MQTT_UNSUBSCRIBE = 10,
    MQTT_UNSUBACK = 11,
    MQTT_PINGREQ = 12,
    MQTT_PINGRESP = 13,
    MQTT_DISCONNECT = 14,
    MQTT_AUTH = 15,
};

/* Largest Remaining Length a 4-byte variable byte integer can carry. */
#define MQTT_MAX_REMAINING_LENGTH 268435455u
/* Largest whole packet: 1 type byte + 4 length bytes + the above. */
#define MQTT_MAX_PACKET_SIZE (MQTT_MAX_REMAINING_LENGTH + 5u)
#define MQTT_MAX_VARINT 268435455u

/* ---- Variable byte integers and wire helpers ---------------------------- */

/* Decodes a variable byte integer. Returns the bytes used (1..4), 0 when
 * more bytes are needed, or -1 when malformed (a 5th byte would be needed,
 * [MQTT-1.5.5-1]). Non-minimal encodings are accepted. */
int mqtt_varint_decode(const uint8_t *p, size_t n, uint32_t *out);
/* Bytes needed to encode v (1..4); v <= MQTT_MAX_VARINT. */
size_t mqtt_varint_size(uint32_t v);
/* Writes v at p; returns the bytes written. */
size_t mqtt_varint_encode(uint8_t *p, uint32_t v);

static inline uint16_t mqtt_rd_u16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t mqtt_rd_u32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void mqtt_wr_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void mqtt_wr_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* ---- UTF-8 and topics (utf8.c, topic.c) --------------------------------- */

/* True when s is well-formed UTF-8 per RFC 3629 (no overlong forms, no
 * surrogates U+D800..U+DFFF, nothing above U+10FFFF) and contains no
 * U+0000 [MQTT-1.5.4-1] [MQTT-1.5.4-2]. */
bool mqtt_utf8_valid(struct slice s);

/* True when s is well-formed UTF-8 as for mqtt_utf8_valid(), U+0000
 * allowed: the rule for a payload with Payload Format Indicator 1 ("UTF-8
 * Encoded Character Data", 5.0 section 3.3.2.3.2), which is not a UTF-8
 * Encoded String. */
bool mqtt_utf8_data_valid(struct slice s);

/* Topic name rules for PUBLISH (and will topics): valid UTF-8, length >= 1,
 * no '+' or '#' [MQTT-3.3.2-2] [MQTT-4.7.3-1]. */
bool mqtt_topic_name_valid(struct slice topic);

/* Topic filter rules: valid UTF-8, length >= 1 [MQTT-4.7.3-1], '#' only as
 * the whole last level [MQTT-4.7.1-2], '+' only as a whole level
 * [MQTT-4.7.1-3]. A shared filter ($share/GROUP/FILTER) is valid when GROUP
 * is non-empty without '/', '+' or '#' and FILTER is valid [MQTT-4.8.2-1]
 * [MQTT-4.8.2-2]. */
bool mqtt_topic_filter_valid(struct slice filter);

/* When filter starts with "$share/", sets *group and *real and returns
 * true; otherwise returns false and leaves them alone. Does not validate. */
bool mqtt_topic_shared_split(struct slice filter, struct slice *group, struct slice *real);

/* True when topic name `topic` matches (non-shared) filter `filter`.
 * Topics starting with '$' are not matched by filters starting with a
 * wildcard [MQTT-4.7.2-1]. Both must already be valid. */
bool mqtt_topic_matches(struct slice filter, struct slice topic);

/* Number of levels in a topic or filter ("a/b" -> 2, "/" -> 2, "a" -> 1). */
size_t mqtt_topic_levels(struct slice topic);

/* ---- Framing (frame.c) -------------------------------------------------- */

struct mqtt_frame {
    uint8_t type;        /* enum mqtt_type, high nibble of byte 0 */
    uint8_t flags;       /* low nibble of byte 0 */
    const uint8_t *body; /* variable header + payload; borrowed from the input */
    uint32_t body_len;   /* Remaining Length */
    size_t frame_len;    /* bytes to consume: fixed header + body */
};

/* Looks for one whole frame at the start of buf[0..n).
 * Returns 1 and fills *f when a whole frame is there; 0 when more bytes are
 * needed (checks that can already be made have been made); or:
 *   -MQTT_RC_MALFORMED_PACKET: type 0, remaining length over 4 bytes
 *     [MQTT-1.5.5-1] (reported as soon as the 5th length byte is seen),
 *     or reserved fixed-header flags wrong for the type [MQTT-2.1.3-1]
 *     (PUBREL, SUBSCRIBE, UNSUBSCRIBE need 0b0010, all others but PUBLISH
 *     need 0); PUBLISH flags are checked by mqtt_publish_decode.
 *   -MQTT_RC_PACKET_TOO_LARGE: the whole packet would exceed max_size bytes
 *     (0 = MQTT_MAX_PACKET_SIZE); reported as soon as the length is known,
 *     before the body has arrived, so the caller never buffers it. */
int mqtt_frame_parse(struct mqtt_frame *f, const uint8_t *buf, size_t n, uint32_t max_size,
                     const char **why);

/* Writes a fixed header (type/flags byte + remaining length) at p; returns
 * its size (2..5). */
size_t mqtt_fixed_header_encode(uint8_t *p, uint8_t type, uint8_t flags, uint32_t remaining);
/* Size of a fixed header for a given remaining length. */
static inline size_t mqtt_fixed_header_size(uint32_t remaining)
{
    return 1 + mqtt_varint_size(remaining);
}

/* Who sent the bytes being decoded, so the decoder applies the rules that
 * bind that side (e.g. a client must not send a Subscription Identifier in
 * PUBLISH [MQTT-3.3.4-6]; only a server sends CONNACK). */
enum mqtt_sender {
    MQTT_FROM_CLIENT = 1,
    MQTT_FROM_SERVER = 2,
};

struct mqtt_ctx {
    uint8_t version;         /* enum mqtt_version of the connection */
    enum mqtt_sender sender; /* who sent the packet */
};

/* ---- Properties (props.c) ----------------------------------------------- */

/* Property identifiers (table 2-4). */
enum mqtt_prop_id {
    MQTT_PROP_PAYLOAD_FORMAT_INDICATOR = 0x01,
    MQTT_PROP_MESSAGE_EXPIRY_INTERVAL = 0x02,
    MQTT_PROP_CONTENT_TYPE = 0x03,
    MQTT_PROP_RESPONSE_TOPIC = 0x08,
    MQTT_PROP_CORRELATION_DATA = 0x09,
    MQTT_PROP_SUBSCRIPTION_IDENTIFIER = 0x0B,
    MQTT_PROP_SESSION_EXPIRY_INTERVAL = 0x11,
    MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER = 0x12,
    MQTT_PROP_SERVER_KEEP_ALIVE = 0x13,
    MQTT_PROP_AUTHENTICATION_METHOD = 0x15,
    MQTT_PROP_AUTHENTICATION_DATA = 0x16,
    MQTT_PROP_REQUEST_PROBLEM_INFORMATION = 0x17,
    MQTT_PROP_WILL_DELAY_INTERVAL = 0x18,
    MQTT_PROP_REQUEST_RESPONSE_INFORMATION = 0x19,
    MQTT_PROP_RESPONSE_INFORMATION = 0x1A,
    MQTT_PROP_SERVER_REFERENCE = 0x1C,
    MQTT_PROP_REASON_STRING = 0x1F,
    MQTT_PROP_RECEIVE_MAXIMUM = 0x21,
    MQTT_PROP_TOPIC_ALIAS_MAXIMUM = 0x22,
    MQTT_PROP_TOPIC_ALIAS = 0x23,
    MQTT_PROP_MAXIMUM_QOS = 0x24,
    MQTT_PROP_RETAIN_AVAILABLE = 0x25,
    MQTT_PROP_USER_PROPERTY = 0x26,
    MQTT_PROP_MAXIMUM_PACKET_SIZE = 0x27,
    MQTT_PROP_WILDCARD_SUBSCRIPTION_AVAILABLE = 0x28,
    MQTT_PROP_SUBSCRIPTION_IDENTIFIER_AVAILABLE = 0x29,
    MQTT_PROP_SHARED_SUBSCRIPTION_AVAILABLE = 0x2A,
};

#define MQTT_PROP_BIT(id) (1ull << (id))
#define MQTT_PROP_HAS(props, id) (((props)->present & MQTT_PROP_BIT(id)) != 0)

/* The property set of one packet, will or CONNECT.
 *
 * Decoding: every property is checked (known id, allowed in this packet,
 * value in range, UTF-8 strings valid, no duplicates except User Property
 * (and Subscription Identifier in a server's PUBLISH)) [MQTT-2.2.2-2]; the
 * set of ids seen is `present`, single values are in the fields below, and
 * `raw` is the whole property block as received (without its length) so
 * user properties can be iterated with mqtt_props_user_next() and a
 * PUBLISH's properties can be forwarded (mqtt_props_filter()).
 *
 * Encoding: every property whose bit is in `present` is written from its
 * field (User Property excepted), then `passthrough` verbatim (already
 * encoded properties, e.g. forwarded user properties; the caller vouches
 * for them), then each of sub_ids[0..sub_id_count) as a Subscription
 * Identifier. `raw` is ignored when encoding. */
struct mqtt_props {
    uint64_t present; /* MQTT_PROP_BIT(id) for each id present */

    uint8_t payload_format_indicator;
    uint32_t message_expiry_interval;
    struct slice content_type;
    struct slice response_topic;
    struct slice correlation_data;
    uint32_t subscription_identifier; /* decode: the first/only one (1..268435455) */
    uint32_t session_expiry_interval;
    struct slice assigned_client_identifier;
    uint16_t server_keep_alive;
    struct slice authentication_method;
    struct slice authentication_data;
    uint8_t request_problem_information;
    uint32_t will_delay_interval;
    uint8_t request_response_information;
    struct slice response_information;
    struct slice server_reference;
    struct slice reason_string;
    uint16_t receive_maximum;
    uint16_t topic_alias_maximum;
    uint16_t topic_alias;
    uint8_t maximum_qos;
    uint8_t retain_available;
    uint32_t maximum_packet_size;
    uint8_t wildcard_subscription_available;
    uint8_t subscription_identifier_available;
    uint8_t shared_subscription_available;

    uint32_t user_property_count; /* decode: number of User Property entries */
    struct slice raw;             /* decode: the property block, without its length */

    struct slice passthrough; /* encode: pre-encoded properties appended verbatim */
    const uint32_t *sub_ids;  /* encode: Subscription Identifiers to write */
    size_t sub_id_count;
};

/* Iterates user properties of a decoded set: start with *pos = 0; returns
 * true and sets *key, *value while there is one more. */
bool mqtt_props_user_next(const struct mqtt_props *p, size_t *pos, struct slice *key,
                          struct slice *value);

/* Copies the already-validated property block `raw` into out (cap bytes),
 * leaving out every property whose id bit is set in drop_mask. Returns the
 * size of the result (written only when <= cap). Used to keep a PUBLISH's
 * forwardable properties without Topic Alias, Subscription Identifier or
 * Message Expiry Interval. */
size_t mqtt_props_filter(struct slice raw, uint64_t drop_mask, uint8_t *out, size_t cap);

/* Size of the encoded property block *including* its length varint, for
 * the given packet version (0 for versions before 5: no properties). */
size_t mqtt_props_size(const struct mqtt_props *p, uint8_t version);

/* ---- Packets ------------------------------------------------------------ */

struct mqtt_will {
    struct slice topic;
    struct slice payload;
    uint8_t qos;
    bool retain;
    struct mqtt_props props; /* v5 will properties */
};

struct mqtt_connect {
    uint8_t version; /* enum mqtt_version, from the protocol level */
    struct slice protocol_name;
    bool clean_start; /* Clean Session in 3.1.1 */
    uint16_t keep_alive;
    struct mqtt_props props;
    struct slice client_id;
    bool has_will;
    struct mqtt_will will;
    bool has_username;
    struct slice username;
    bool has_password;
    struct slice password;
};

struct mqtt_connack {
    bool session_present;
    uint8_t reason; /* v5 reason code, or the 3.1.1 return code */
    struct mqtt_props props;
};

struct mqtt_publish {
    bool dup;
    uint8_t qos;
    bool retain;
    struct slice topic; /* may be empty in v5 when a Topic Alias is present */
    uint32_t topic_levels; /* decode: mqtt_topic_levels(topic), counted while validating */
    uint16_t packet_id; /* 0 for QoS 0 */
    struct mqtt_props props;
    struct slice payload;
};

/* PUBACK, PUBREC, PUBREL and PUBCOMP share one shape. */
struct mqtt_ack {
    uint8_t type; /* MQTT_PUBACK .. MQTT_PUBCOMP */
    uint16_t packet_id;
    uint8_t reason; /* v5; 0 when absent or in 3.1.1 */
    struct mqtt_props props;
};

struct mqtt_subscription {
    struct slice filter;
    uint8_t qos; /* requested maximum QoS */
    bool no_local;
    bool retain_as_published;
    uint8_t retain_handling; /* 0, 1 or 2 */
    /* Decode: 0 when the filter is valid, else the reason code the broker
     * should answer for this entry (MQTT_RC_TOPIC_FILTER_INVALID). Entries
     * whose bytes are malformed fail the whole decode instead. */
    uint8_t status;
};

struct mqtt_subscribe {
    uint16_t packet_id;
    struct mqtt_props props;
    uint32_t count;       /* number of subscriptions (>= 1, [MQTT-3.8.3-3]) */
    struct slice entries; /* the validated payload; read with mqtt_subscribe_next */
    /* Encode only: subs[0..count) are written (entries is ignored). */
    const struct mqtt_subscription *subs;
};

struct mqtt_unsubscribe {
    uint16_t packet_id;
    struct mqtt_props props;
    uint32_t count;       /* number of filters (>= 1, [MQTT-3.10.3-2]) */
    struct slice entries; /* read with mqtt_unsubscribe_next */
    const struct slice *filters; /* encode only: filters[0..count) */
};

/* SUBACK and UNSUBACK. */
struct mqtt_suback {
    uint8_t type; /* MQTT_SUBACK or MQTT_UNSUBACK */
    uint16_t packet_id;
    struct mqtt_props props;
    struct slice reasons; /* one byte per filter; UNSUBACK 3.1.1: empty */
};

struct mqtt_disconnect {
    uint8_t reason; /* v5; 0 when absent */
    struct mqtt_props props;
};

struct mqtt_auth {
    uint8_t reason; /* 0x00, 0x18 or 0x19 */
    struct mqtt_props props;
};

/* One decoded packet of any type. */
struct mqtt_packet {
    uint8_t type;
    union {
        struct mqtt_connect connect;
        struct mqtt_connack connack;
        struct mqtt_publish publish;
        struct mqtt_ack ack;
        struct mqtt_subscribe subscribe;
        struct mqtt_suback suback;
        struct mqtt_unsubscribe unsubscribe;
        struct mqtt_disconnect disconnect;
        struct mqtt_auth auth;
    } u;
};

/* ---- Decoders ----------------------------------------------------------- */

/* CONNECT (connect.c). cx->version is ignored: the packet sets out->version.
 * Checks: protocol name "MQTT" (levels 4, 5) or "MQIsdp" (level 3)
 * [MQTT-3.1.2-1]; reserved flag 0 [MQTT-3.1.2-3]; will flags
 * [MQTT-3.1.2-11] [MQTT-3.1.2-13] [MQTT-3.1.2-14]; password without user
 * name before v5 [MQTT-3.1.2-22]; UTF-8 client id, will topic, user name;
 * will topic a valid topic name; v5 CONNECT and will properties.
 * Errors: -MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION for an unknown protocol
 * level with a known name (out->version holds the level seen), the usual
 * malformed/protocol errors otherwise. An unknown protocol name is
 * -MQTT_RC_MALFORMED_PACKET. */
int mqtt_connect_decode(struct mqtt_connect *out, const struct mqtt_frame *f,
                        const struct mqtt_ctx *cx, const char **why);
int mqtt_connack_decode(struct mqtt_connack *out, const struct mqtt_frame *f,
                        const struct mqtt_ctx *cx, const char **why);
/* PUBLISH (publish.c): QoS 3 malformed [MQTT-3.3.1-4]; DUP with QoS 0
 * [MQTT-3.3.1-2]; packet id non-zero for QoS > 0 [MQTT-2.3.1-1]; topic
 * name rules; empty topic only with a Topic Alias (v5) [MQTT-3.3.2-1];
 * Topic Alias 0 is -MQTT_RC_TOPIC_ALIAS_INVALID [MQTT-3.3.2-8];
 * Subscription Identifier from a client [MQTT-3.3.4-6]; Response Topic
 * must be a valid topic name [MQTT-3.3.2-14]. */
int mqtt_publish_decode(struct mqtt_publish *out, const struct mqtt_frame *f,
                        const struct mqtt_ctx *cx, const char **why);
/* PUBACK, PUBREC, PUBREL, PUBCOMP (ack.c): packet id non-zero; v5 reason
 * code valid for the type; remaining length 2 means reason 0, no props. */
int mqtt_ack_decode(struct mqtt_ack *out, const struct mqtt_frame *f, const struct mqtt_ctx *cx,
                    const char **why);
/* SUBSCRIBE (subscribe.c): at least one entry; options reserved bits 0
 * [MQTT-3.8.3-5] (3.1.1: upper 6 bits [MQTT-3.8.3-4]); QoS <= 2; Retain
 * Handling <= 2; No Local on a shared filter is a protocol error
 * [MQTT-3.8.3-4]; at most one Subscription Identifier, non-zero. */
int mqtt_subscribe_decode(struct mqtt_subscribe *out, const struct mqtt_frame *f,
                          const struct mqtt_ctx *cx, const char **why);
/* Iterates the entries of a decoded SUBSCRIBE: *pos starts at 0. */
bool mqtt_subscribe_next(const struct mqtt_subscribe *s, size_t *pos,
                         struct mqtt_subscription *out);
int mqtt_unsubscribe_decode(struct mqtt_unsubscribe *out, const struct mqtt_frame *f,
                            const struct mqtt_ctx *cx, const char **why);
/* Iterates the filters of a decoded UNSUBSCRIBE; *status as in mqtt_subscription. */
bool mqtt_unsubscribe_next(const struct mqtt_unsubscribe *u, size_t *pos, struct slice *filter,
                           uint8_t *status);
/* SUBACK and UNSUBACK (from a server). */
int mqtt_suback_decode(struct mqtt_suback *out, const struct mqtt_frame *f,
                       const struct mqtt_ctx *cx, const char **why);
/* PINGREQ, PINGRESP: remaining length must be 0. */
int mqtt_ping_decode(const struct mqtt_frame *f, const struct mqtt_ctx *cx, const char **why);
int mqtt_disconnect_decode(struct mqtt_disconnect *out, const struct mqtt_frame *f,
                           const struct mqtt_ctx *cx, const char **why);
/* AUTH: v5 only (a 3.1.1 AUTH is -MQTT_RC_MALFORMED_PACKET). */
int mqtt_auth_decode(struct mqtt_auth *out, const struct mqtt_frame *f, const struct mqtt_ctx *cx,
                     const char **why);

/* Decodes any packet by f->type, after checking the type may come from
 * cx->sender in cx->version (e.g. CONNACK only from a server, AUTH only in
 * v5). CONNECT is decoded too (the caller checks it comes first). */
int mqtt_packet_decode(struct mqtt_packet *out, const struct mqtt_frame *f,
                       const struct mqtt_ctx *cx, const char **why);

/* ---- Encoders ----------------------------------------------------------- */
/* Each returns the total packet size; writes only when it fits in cap. */

size_t mqtt_connect_encode(uint8_t *buf, size_t cap, const struct mqtt_connect *c);
size_t mqtt_connack_encode(uint8_t *buf, size_t cap, const struct mqtt_connack *c,
                           uint8_t version);
size_t mqtt_publish_encode(uint8_t *buf, size_t cap, const struct mqtt_publish *p,
                           uint8_t version);
/* The common forwarded PUBLISH: its v5 properties, if any, already encoded
 * (`props`, without their length; ignored before v5). The same bytes as
 * mqtt_publish_encode with props.passthrough = props and nothing else,
 * without a struct mqtt_publish to fill. flags: DUP, QoS and RETAIN bits. */
size_t mqtt_publish_encode_plain(uint8_t *buf, size_t cap, uint8_t flags, struct slice topic,
                                 uint16_t packet_id, struct slice props, struct slice payload,
                                 uint8_t version);
size_t mqtt_ack_encode(uint8_t *buf, size_t cap, const struct mqtt_ack *a, uint8_t version);
/* The same bytes as mqtt_ack_encode for an acknowledgement without
 * properties, always written: buf has room for MQTT_ACK_PLAIN_MAX. */
#define MQTT_ACK_PLAIN_MAX 6
size_t mqtt_ack_encode_plain(uint8_t *buf, uint8_t type, uint16_t packet_id, uint8_t reason,
                             uint8_t version);
size_t mqtt_subscribe_encode(uint8_t *buf, size_t cap, const struct mqtt_subscribe *s,
                             uint8_t version);
size_t mqtt_unsubscribe_encode(uint8_t *buf, size_t cap, const struct mqtt_unsubscribe *u,
                               uint8_t version);
size_t mqtt_suback_encode(uint8_t *buf, size_t cap, const struct mqtt_suback *s,
                          uint8_t version);
/* PINGREQ / PINGRESP: type is MQTT_PINGREQ or MQTT_PINGRESP; always 2 bytes. */
size_t mqtt_ping_encode(uint8_t *buf, size_t cap, uint8_t type);
/* v5 writes reason + props (shortest form when reason 0 and no props);
 * 3.1.1 writes the 2-byte packet. */
size_t mqtt_disconnect_encode(uint8_t *buf, size_t cap, const struct mqtt_disconnect *d,
                              uint8_t version);
size_t mqtt_auth_encode(uint8_t *buf, size_t cap, const struct mqtt_auth *a);

#endif
