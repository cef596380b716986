/*
 * test_props.c - v5 properties: which may appear where (table 2-4), value
 * ranges, duplicates, overruns, UTF-8, the user-property iterator,
 * mqtt_props_filter and mqtt_props_size, and a round trip of every one.
 */
#include "codec_test.h"

/* Packet shapes that carry a property block; WILL is CONNECT's will. */
enum kind {
    K_CONNECT,
    K_WILL,
    K_CONNACK,
    K_PUBLISH,
    K_PUBACK,
    K_PUBREC,
    K_PUBREL,
    K_PUBCOMP,
    K_SUBSCRIBE,
    K_SUBACK,
    K_UNSUBSCRIBE,
    K_UNSUBACK,
    K_DISCONNECT,
    K_AUTH,
    K_COUNT
};

static const struct mqtt_ctx *kind_ctx(enum kind k)
{
    switch (k) {
    case K_CONNACK:
    case K_SUBACK:
    case K_UNSUBACK:
    case K_PUBLISH: /* a server's PUBLISH may carry Subscription Identifiers */
        return &V5_S;
    default:
        return &V5_C;
    }
}

static size_t put_varint(uint8_t *p, size_t v)
{
    return mqtt_varint_encode(p, (uint32_t)v);
}

/* Builds a v5 packet of kind k whose (only) property block is props. */
static size_t build(uint8_t *out, enum kind k, const uint8_t *props, size_t plen)
{
    uint8_t body[1024];
    size_t n = 0;
    uint8_t type = 0, flags = 0;
#define PUT(...)                                                                                   \
    do {                                                                                           \
        const uint8_t b_[] = {__VA_ARGS__};                                                        \
        memcpy(body + n, b_, sizeof b_);                                                           \
        n += sizeof b_;                                                                            \
    } while (0)
#define PROPS()                                                                                    \
    do {                                                                                           \
        n += put_varint(body + n, plen);                                                           \
        memcpy(body + n, props, plen);                                                             \
        n += plen;                                                                                 \
    } while (0)
    switch (k) {
    case K_CONNECT:
        type = MQTT_CONNECT;
        PUT(0, 4, 'M', 'Q', 'T', 'T', 5, 0x02, 0, 60);
        PROPS();
        PUT(0, 1, 'c');
        break;
    case K_WILL:
        type = MQTT_CONNECT;
        PUT(0, 4, 'M', 'Q', 'T', 'T', 5, 0x06, 0, 60, 0, 0, 1, 'c');
        PROPS();
        PUT(0, 1, 't', 0, 0);
        break;
    case K_CONNACK:
        type = MQTT_CONNACK;
        PUT(0, 0);
        PROPS();
        break;
    case K_PUBLISH:
        type = MQTT_PUBLISH;
        flags = 2;
        PUT(0, 1, 't', 0, 1);
        PROPS();
        PUT('x');
        break;
    case K_PUBACK:
    case K_PUBREC:
    case K_PUBREL:
    case K_PUBCOMP:
        type = (uint8_t)(MQTT_PUBACK + (k - K_PUBACK));
        flags = type == MQTT_PUBREL ? 2 : 0;
        PUT(0, 1, 0);
        PROPS();
        break;
    case K_SUBSCRIBE:
        type = MQTT_SUBSCRIBE;
        flags = 2;
        PUT(0, 1);
        PROPS();
        PUT(0, 1, 't', 0);
        break;
    case K_SUBACK:
    case K_UNSUBACK:
        type = k == K_SUBACK ? MQTT_SUBACK : MQTT_UNSUBACK;
        PUT(0, 1);
        PROPS();
        PUT(0);
        break;
    case K_UNSUBSCRIBE:
        type = MQTT_UNSUBSCRIBE;
        flags = 2;
        PUT(0, 1);
        PROPS();
        PUT(0, 1, 't');
        break;
    case K_DISCONNECT:
        type = MQTT_DISCONNECT;
        PUT(0);
        PROPS();
        break;
    case K_AUTH:
        type = MQTT_AUTH;
        PUT(0x18);
        PROPS();
        break;
    default:
        fail();
    }
#undef PUT
#undef PROPS
    size_t h = mqtt_fixed_header_encode(out, type, flags, (uint32_t)n);
    memcpy(out + h, body, n);
    return h + n;
}

/* A valid sample of each property, by id. */
struct sample {
    uint8_t id;
    uint8_t len;
    uint8_t bytes[8];
};
static const struct sample samples[] = {
    {0x01, 2, {0x01, 1}},
    {0x02, 5, {0x02, 0, 0, 0, 10}},
    {0x03, 4, {0x03, 0, 1, 'j'}},
    {0x08, 4, {0x08, 0, 1, 'r'}},
    {0x09, 4, {0x09, 0, 1, 0}},
    {0x0B, 2, {0x0B, 5}},
    {0x11, 5, {0x11, 0, 0, 0, 10}},
    {0x12, 4, {0x12, 0, 1, 'a'}},
    {0x13, 3, {0x13, 0, 10}},
    {0x15, 4, {0x15, 0, 1, 'm'}},
    {0x16, 4, {0x16, 0, 1, 0}},
    {0x17, 2, {0x17, 1}},
    {0x18, 5, {0x18, 0, 0, 0, 5}},
    {0x19, 2, {0x19, 1}},
    {0x1A, 4, {0x1A, 0, 1, 'i'}},
    {0x1C, 4, {0x1C, 0, 1, 's'}},
    {0x1F, 4, {0x1F, 0, 1, 'r'}},
    {0x21, 3, {0x21, 0, 10}},
    {0x22, 3, {0x22, 0, 10}},
    {0x23, 3, {0x23, 0, 1}},
    {0x24, 2, {0x24, 1}},
    {0x25, 2, {0x25, 1}},
    {0x26, 7, {0x26, 0, 1, 'k', 0, 1, 'v'}},
    {0x27, 5, {0x27, 0, 0, 1, 0}},
    {0x28, 2, {0x28, 1}},
    {0x29, 2, {0x29, 1}},
    {0x2A, 2, {0x2A, 1}},
};
#define NSAMPLES (sizeof samples / sizeof samples[0])

/* Table 2-4 of MQTT 5.0, written out again here (not shared with the
 * implementation) so a slip in either shows up. */
static bool spec_allows(uint8_t id, enum kind k)
{
    bool msg = k == K_PUBLISH || k == K_WILL;
    bool ack = k >= K_PUBACK && k <= K_PUBCOMP;
    switch (id) {
    case 0x01:
    case 0x02:
    case 0x03:
    case 0x08:
    case 0x09:
        return msg;
    case 0x0B:
        return k == K_PUBLISH || k == K_SUBSCRIBE;
    case 0x11:
        return k == K_CONNECT || k == K_CONNACK || k == K_DISCONNECT;
    case 0x12:
    case 0x13:
    case 0x1A:
    case 0x24:
    case 0x25:
    case 0x28:
    case 0x29:
    case 0x2A:
        return k == K_CONNACK;
    case 0x15:
    case 0x16:
        return k == K_CONNECT || k == K_CONNACK || k == K_AUTH;
    case 0x17:
    case 0x19:
        return k == K_CONNECT;
    case 0x18:
        return k == K_WILL;
    case 0x1C:
        return k == K_CONNACK || k == K_DISCONNECT;
    case 0x1F:
        return k == K_CONNACK || ack || k == K_SUBACK || k == K_UNSUBACK || k == K_DISCONNECT ||
               k == K_AUTH;
    case 0x21:
    case 0x22:
    case 0x27:
        return k == K_CONNECT || k == K_CONNACK;
    case 0x23:
        return k == K_PUBLISH;
    case 0x26:
        return true;
    }
    return false;
}

/* Section 2.2.2.2: an identifier not valid for the packet is malformed. */
static void property_allowed_matrix_2_2_2_2(void **state)
{
    (void)state;
    for (int k = 0; k < K_COUNT; k++) {
        for (size_t i = 0; i < NSAMPLES; i++) {
            uint8_t props[32], pkt[128];
            size_t plen = 0;
            uint8_t id = samples[i].id;
            /* AUTH needs a method; Authentication Data needs one anywhere. */
            bool method =
                (k == K_AUTH && id != 0x15) || (id == 0x16 && (k == K_CONNECT || k == K_CONNACK));
            if (method) {
                memcpy(props, (const uint8_t[]){0x15, 0, 1, 'm'}, 4);
                plen = 4;
            }
            memcpy(props + plen, samples[i].bytes, samples[i].len);
            plen += samples[i].len;
            size_t n = build(pkt, (enum kind)k, props, plen);
            int want = spec_allows(id, (enum kind)k) ? 0 : -MQTT_RC_MALFORMED_PACKET;
            struct mqtt_packet p;
            int rc = decode(&p, pkt, n, kind_ctx((enum kind)k));
            if (rc != want)
                print_error("kind %d property 0x%02x: rc %d, want %d\n", k, id, rc, want);
            assert_int_equal(rc, want);
            if (want == 0) {
                check_roundtrip(pkt, n, kind_ctx((enum kind)k));
                check_truncations(pkt, n, kind_ctx((enum kind)k));
            }
        }
    }
}

static void unknown_property_ids_malformed_2_2_2_2(void **state)
{
    (void)state;
    for (unsigned id = 0; id < 0x80; id++) {
        bool known = false;
        for (size_t i = 0; i < NSAMPLES; i++)
            known |= samples[i].id == id;
        if (known)
            continue;
        uint8_t props[] = {(uint8_t)id, 0, 0, 0, 0};
        uint8_t pkt[64];
        for (int k = 0; k < K_COUNT; k++) {
            size_t n = build(pkt, (enum kind)k, props, sizeof props);
            expect_rc(pkt, n, kind_ctx((enum kind)k), -MQTT_RC_MALFORMED_PACKET);
        }
    }
}

/* "It is a Protocol Error to include <property> more than once" (each
 * property's section), except User Property, and Subscription Identifier
 * in a PUBLISH from the server (3.3.4). */
static void duplicates_protocol_error(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSAMPLES; i++) {
        uint8_t id = samples[i].id;
        int k;
        for (k = 0; k < K_COUNT && !spec_allows(id, (enum kind)k); k++)
            ;
        uint8_t props[40], pkt[128];
        size_t plen = 0;
        if (k == K_CONNECT && id == 0x16) {
            memcpy(props, (const uint8_t[]){0x15, 0, 1, 'm'}, 4);
            plen = 4;
        }
        memcpy(props + plen, samples[i].bytes, samples[i].len);
        memcpy(props + plen + samples[i].len, samples[i].bytes, samples[i].len);
        plen += 2u * samples[i].len;
        size_t n = build(pkt, (enum kind)k, props, plen);
        bool repeatable = id == 0x26 || (id == 0x0B && k == K_PUBLISH);
        expect_rc(pkt, n, kind_ctx((enum kind)k), repeatable ? 0 : -MQTT_RC_PROTOCOL_ERROR);
    }
}

static void subscription_identifiers(void **state)
{
    (void)state;
    uint8_t pkt[64];
    struct mqtt_packet p;
    /* Two in a server's PUBLISH: the first is kept, both are in raw. */
    size_t n = build(pkt, K_PUBLISH, BYTES(0x0B, 0x07, 0x0B, 0x80, 0x01));
    assert_int_equal(decode(&p, pkt, n, &V5_S), 0);
    assert_int_equal(p.u.publish.props.subscription_identifier, 7);
    assert_int_equal(p.u.publish.props.raw.len, 5);
    /* [MQTT-3.3.4-6]: none at all from a client. */
    n = build(pkt, K_PUBLISH, BYTES(0x0B, 0x07));
    expect_rc(pkt, n, &V5_C, -MQTT_RC_PROTOCOL_ERROR);
    /* 3.8.2.1.2: at most one in SUBSCRIBE, and not 0. */
    n = build(pkt, K_SUBSCRIBE, BYTES(0x0B, 0x01, 0x0B, 0x02));
    expect_rc(pkt, n, &V5_C, -MQTT_RC_PROTOCOL_ERROR);
    n = build(pkt, K_SUBSCRIBE, BYTES(0x0B, 0x00));
    expect_rc(pkt, n, &V5_C, -MQTT_RC_PROTOCOL_ERROR);
    /* A varint over 4 bytes is malformed [MQTT-1.5.5-1]. */
    n = build(pkt, K_SUBSCRIBE, BYTES(0x0B, 0xFF, 0xFF, 0xFF, 0xFF, 0x01));
    expect_rc(pkt, n, &V5_C, -MQTT_RC_MALFORMED_PACKET);
}

static void subscription_identifier_boundaries(void **state)
{
    (void)state;
    static const uint32_t ids[] = {1, 127, 128, 16383, 16384, 2097151, 2097152, 268435455};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        uint8_t props[8], pkt[64];
        props[0] = 0x0B;
        size_t plen = 1 + mqtt_varint_encode(props + 1, ids[i]);
        size_t n = build(pkt, K_SUBSCRIBE, props, plen);
        struct mqtt_packet p;
        assert_int_equal(decode(&p, pkt, n, &V5_C), 0);
        assert_int_equal(p.u.subscribe.props.subscription_identifier, ids[i]);
        check_canonical(pkt, n, &V5_C);
    }
}

static void value_ranges(void **state)
{
    (void)state;
    static const struct {
        enum kind k;
        uint8_t props[8];
        size_t len;
        int rc;
    } cases[] = {
        {K_PUBLISH, {0x01, 2}, 2, -MQTT_RC_PROTOCOL_ERROR}, /* Payload Format Indicator */
        {K_PUBLISH, {0x01, 0}, 2, 0},
        {K_CONNECT, {0x17, 2}, 2, -MQTT_RC_PROTOCOL_ERROR}, /* Request Problem Info */
        {K_CONNECT, {0x19, 2}, 2, -MQTT_RC_PROTOCOL_ERROR}, /* Request Response Info */
        {K_CONNACK, {0x24, 2}, 2, -MQTT_RC_PROTOCOL_ERROR}, /* Maximum QoS */
        {K_CONNACK, {0x24, 0}, 2, 0},
        {K_CONNACK, {0x25, 2}, 2, -MQTT_RC_PROTOCOL_ERROR},    /* Retain Available */
        {K_CONNACK, {0x28, 0xFF}, 2, -MQTT_RC_PROTOCOL_ERROR}, /* Wildcard Available */
        {K_CONNACK, {0x29, 2}, 2, -MQTT_RC_PROTOCOL_ERROR},    /* SubId Available */
        {K_CONNACK, {0x2A, 2}, 2, -MQTT_RC_PROTOCOL_ERROR},    /* Shared Available */
        {K_CONNECT, {0x21, 0, 0}, 3, -MQTT_RC_PROTOCOL_ERROR}, /* Receive Maximum 0 */
        {K_CONNACK, {0x21, 0, 0}, 3, -MQTT_RC_PROTOCOL_ERROR},
        {K_CONNECT, {0x21, 0xFF, 0xFF}, 3, 0},
        {K_CONNECT, {0x27, 0, 0, 0, 0}, 5, -MQTT_RC_PROTOCOL_ERROR}, /* Maximum Packet Size 0 */
        {K_CONNECT, {0x27, 0xFF, 0xFF, 0xFF, 0xFF}, 5, 0},
        {K_PUBLISH, {0x23, 0, 0}, 3, -MQTT_RC_TOPIC_ALIAS_INVALID}, /* [MQTT-3.3.2-8] */
        {K_PUBLISH, {0x23, 0xFF, 0xFF}, 3, 0},
        {K_PUBLISH, {0x08, 0, 1, '#'}, 4, -MQTT_RC_PROTOCOL_ERROR}, /* [MQTT-3.3.2-14] */
        {K_PUBLISH, {0x08, 0, 3, 'a', '/', '+'}, 6, -MQTT_RC_PROTOCOL_ERROR},
        {K_PUBLISH, {0x08, 0, 0}, 3, -MQTT_RC_PROTOCOL_ERROR}, /* not a topic name */
        {K_WILL, {0x08, 0, 1, '+'}, 4, -MQTT_RC_PROTOCOL_ERROR},
        {K_PUBLISH, {0x03, 0, 0}, 3, 0}, /* empty Content Type */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t pkt[64];
        size_t n = build(pkt, cases[i].k, cases[i].props, cases[i].len);
        expect_rc(pkt, n, kind_ctx(cases[i].k), cases[i].rc);
    }
}

/* [MQTT-1.5.4-1]: ill-formed UTF-8 in any string property is malformed. */
static void utf8_in_properties_mqtt_1_5_4_1(void **state)
{
    (void)state;
    uint8_t pkt[64];
    size_t n = build(pkt, K_CONNACK, BYTES(0x1F, 0, 2, 0xC0, 0x80)); /* overlong NUL */
    expect_rc(pkt, n, &V5_S, -MQTT_RC_MALFORMED_PACKET);
    n = build(pkt, K_CONNACK, BYTES(0x12, 0, 1, 0x00)); /* U+0000 [MQTT-1.5.4-2] */
    expect_rc(pkt, n, &V5_S, -MQTT_RC_MALFORMED_PACKET);
    n = build(pkt, K_PUBACK, BYTES(0x26, 0, 3, 0xED, 0xA0, 0x80, 0, 0)); /* surrogate key */
    expect_rc(pkt, n, &V5_C, -MQTT_RC_MALFORMED_PACKET);
    n = build(pkt, K_PUBACK, BYTES(0x26, 0, 0, 0, 1, 0xFF)); /* bad value */
    expect_rc(pkt, n, &V5_C, -MQTT_RC_MALFORMED_PACKET);
    /* Binary data is not UTF-8 checked. */
    n = build(pkt, K_PUBLISH, BYTES(0x09, 0, 2, 0xFF, 0x00));
    expect_rc(pkt, n, &V5_S, 0);
}

static void overruns_malformed(void **state)
{
    (void)state;
    uint8_t pkt[64];
    /* A value running past the property length (but not the packet). */
    size_t n = build(pkt, K_PUBACK, BYTES(0x1F, 0, 5, 'a'));
    expect_rc(pkt, n, &V5_C, -MQTT_RC_MALFORMED_PACKET);
    n = build(pkt, K_PUBLISH, BYTES(0x02, 0, 0));
    expect_rc(pkt, n, &V5_S, -MQTT_RC_MALFORMED_PACKET);
    n = build(pkt, K_PUBACK, BYTES(0x26, 0, 1, 'k', 0));
    expect_rc(pkt, n, &V5_C, -MQTT_RC_MALFORMED_PACKET);
    /* A property length past the end of the packet. */
    expect_rc(BYTES(0x40, 0x04, 0x00, 0x01, 0x00, 0x05), &V5_C, -MQTT_RC_MALFORMED_PACKET);
    expect_rc(BYTES(0xE0, 0x03, 0x00, 0x80, 0x01), &V5_C, -MQTT_RC_MALFORMED_PACKET);
    /* A property identifier that is a cut-off or over-long varint. */
    n = build(pkt, K_PUBACK, BYTES(0x80));
    expect_rc(pkt, n, &V5_C, -MQTT_RC_MALFORMED_PACKET);
    n = build(pkt, K_PUBACK, BYTES(0xFF, 0xFF, 0xFF, 0xFF, 0x01));
    expect_rc(pkt, n, &V5_C, -MQTT_RC_MALFORMED_PACKET);
    /* A non-minimal identifier (0x81 0x00 = 1) still names the property. */
    n = build(pkt, K_PUBLISH, BYTES(0x81, 0x00, 0x01));
    expect_rc(pkt, n, &V5_S, 0);
    /* A property length varint longer than 4 bytes. */
    expect_rc(BYTES(0xE0, 0x06, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x01), &V5_C,
              -MQTT_RC_MALFORMED_PACKET);
}

static void authentication_data_needs_method(void **state)
{
    (void)state;
    uint8_t pkt[64];
    size_t n = build(pkt, K_CONNECT, BYTES(0x16, 0, 1, 'x'));
    expect_rc(pkt, n, &V5_C, -MQTT_RC_PROTOCOL_ERROR);
    n = build(pkt, K_CONNACK, BYTES(0x16, 0, 1, 'x'));
    expect_rc(pkt, n, &V5_S, -MQTT_RC_PROTOCOL_ERROR);
    n = build(pkt, K_CONNECT, BYTES(0x16, 0, 1, 'x', 0x15, 0, 1, 'm'));
    expect_rc(pkt, n, &V5_C, 0);
}

static void user_properties_iterate(void **state)
{
    (void)state;
    uint8_t pkt[64];
    size_t n = build(pkt, K_PUBACK,
                     BYTES(0x26, 0, 1, 'a', 0, 1, '1', 0x1F, 0, 1, 'r', 0x26, 0, 0, 0, 0, 0x26, 0,
                           1, 'a', 0, 1, '2'));
    struct mqtt_packet p;
    assert_int_equal(decode(&p, pkt, n, &V5_C), 0);
    const struct mqtt_props *pr = &p.u.ack.props;
    assert_int_equal(pr->user_property_count, 3);
    size_t pos = 0;
    struct slice k, v;
    assert_true(mqtt_props_user_next(pr, &pos, &k, &v));
    assert_true(slice_eq_cstr(k, "a") && slice_eq_cstr(v, "1"));
    assert_true(mqtt_props_user_next(pr, &pos, &k, &v));
    assert_int_equal(k.len, 0);
    assert_int_equal(v.len, 0);
    assert_true(mqtt_props_user_next(pr, &pos, &k, &v));
    assert_true(slice_eq_cstr(k, "a") && slice_eq_cstr(v, "2"));
    assert_false(mqtt_props_user_next(pr, &pos, &k, &v));
    assert_false(mqtt_props_user_next(pr, &pos, &k, &v));
    /* An empty set has none. */
    struct mqtt_props none;
    memset(&none, 0, sizeof none);
    pos = 0;
    assert_false(mqtt_props_user_next(&none, &pos, &k, &v));
    check_roundtrip(pkt, n, &V5_C);
}

static void filter_drops_and_respects_cap(void **state)
{
    (void)state;
    uint8_t pkt[96];
    size_t n = build(pkt, K_PUBLISH,
                     BYTES(0x02, 0, 0, 0, 9, 0x23, 0, 3, 0x26, 0, 1, 'k', 0, 1, 'v', 0x0B, 0x05,
                           0x03, 0, 1, 'j'));
    struct mqtt_packet p;
    assert_int_equal(decode(&p, pkt, n, &V5_S), 0);
    uint64_t drop = MQTT_PROP_BIT(MQTT_PROP_TOPIC_ALIAS) |
                    MQTT_PROP_BIT(MQTT_PROP_SUBSCRIPTION_IDENTIFIER) |
                    MQTT_PROP_BIT(MQTT_PROP_MESSAGE_EXPIRY_INTERVAL);
    const uint8_t want[] = {0x26, 0, 1, 'k', 0, 1, 'v', 0x03, 0, 1, 'j'};
    uint8_t out[32];
    memset(out, 0xAA, sizeof out);
    assert_int_equal(mqtt_props_filter(p.u.publish.props.raw, drop, out, sizeof out), sizeof want);
    assert_memory_equal(out, want, sizeof want);
    /* Too small: the size is returned, nothing past cap is touched. */
    memset(out, 0xAA, sizeof out);
    assert_int_equal(mqtt_props_filter(p.u.publish.props.raw, drop, out, 5), sizeof want);
    for (size_t i = 5; i < sizeof out; i++)
        assert_int_equal(out[i], 0xAA);
    assert_int_equal(mqtt_props_filter(p.u.publish.props.raw, drop, NULL, 0), sizeof want);
    assert_int_equal(mqtt_props_filter(SLICE_NULL, 0, NULL, 0), 0);
    /* A block that was not validated: whole properties are kept, the rest dropped. */
    assert_int_equal(mqtt_props_filter(SLICE_LIT("\x24\x01\x1f\x00\x09"), 0, out, sizeof out), 2);
    struct mqtt_props bad;
    memset(&bad, 0, sizeof bad);
    bad.raw = SLICE_LIT("\x26\x00\x05k");
    size_t pos = 0;
    struct slice k, v;
    assert_false(mqtt_props_user_next(&bad, &pos, &k, &v));
    assert_int_equal(pos, bad.raw.len);
}

static void props_size(void **state)
{
    (void)state;
    struct mqtt_props pr;
    memset(&pr, 0, sizeof pr);
    assert_int_equal(mqtt_props_size(&pr, MQTT_V5), 1);
    assert_int_equal(mqtt_props_size(&pr, MQTT_V311), 0);
    assert_int_equal(mqtt_props_size(&pr, MQTT_V31), 0);
    pr.present = MQTT_PROP_BIT(MQTT_PROP_REASON_STRING);
    pr.reason_string = SLICE_LIT("abc");
    assert_int_equal(mqtt_props_size(&pr, MQTT_V5), 1 + 6);
    assert_int_equal(mqtt_props_size(&pr, MQTT_V311), 0);
    const uint32_t ids[] = {1, 128};
    pr.sub_ids = ids;
    pr.sub_id_count = 2;
    pr.passthrough = SLICE_LIT("\x26\x00\x00\x00\x00");
    assert_int_equal(mqtt_props_size(&pr, MQTT_V5), 1 + 6 + 2 + 3 + 5);
    /* A User Property bit alone writes nothing: user properties pass through. */
    memset(&pr, 0, sizeof pr);
    pr.present = MQTT_PROP_BIT(MQTT_PROP_USER_PROPERTY);
    assert_int_equal(mqtt_props_size(&pr, MQTT_V5), 1);
    /* A 128-byte block takes a 2-byte length. */
    uint8_t big[128];
    memset(big, 0, sizeof big);
    big[0] = 0x26;
    big[1] = 0;
    big[2] = 121;
    pr.present = 0;
    pr.passthrough = slice_make(big, sizeof big);
    assert_int_equal(mqtt_props_size(&pr, MQTT_V5), 2 + 128);
}

static void set_all(struct mqtt_props *p, uint64_t ids)
{
    memset(p, 0, sizeof *p);
    p->present = ids;
    p->payload_format_indicator = 1;
    p->message_expiry_interval = 0xFFFFFFFF;
    p->content_type = SLICE_LIT("text/plain");
    p->response_topic = SLICE_LIT("reply/here");
    p->correlation_data = SLICE_LIT("\x00\x01\xFF");
    p->subscription_identifier = 268435455;
    p->session_expiry_interval = 0x01020304;
    p->assigned_client_identifier = SLICE_LIT("auto-1");
    p->server_keep_alive = 0xFFFF;
    p->authentication_method = SLICE_LIT("SCRAM-SHA-1");
    p->authentication_data = SLICE_LIT("\x00\x00");
    p->request_problem_information = 0;
    p->will_delay_interval = 7;
    p->request_response_information = 1;
    p->response_information = SLICE_LIT("resp");
    p->server_reference = SLICE_LIT("other:1883");
    p->reason_string = SLICE_LIT("because");
    p->receive_maximum = 65535;
    p->topic_alias_maximum = 10;
    p->topic_alias = 65535;
    p->maximum_qos = 1;
    p->retain_available = 0;
    p->maximum_packet_size = 268435460;
    p->wildcard_subscription_available = 1;
    p->subscription_identifier_available = 0;
    p->shared_subscription_available = 1;
    p->passthrough = SLICE_LIT("\x26\x00\x01k\x00\x02vv");
}

#define P(id) MQTT_PROP_BIT(MQTT_PROP_##id)

/* Compares the fields of want's present properties, and the one user
 * property set_all passes through. */
static void assert_fields(const struct mqtt_props *got, const struct mqtt_props *want)
{
#define NUM(id, f)                                                                                 \
    if (want->present & P(id))                                                                     \
        assert_int_equal(got->f, want->f);
#define STR(id, f)                                                                                 \
    if (want->present & P(id))                                                                     \
        assert_true(slice_eq(got->f, want->f));
    assert_int_equal(got->present, want->present | P(USER_PROPERTY));
    NUM(PAYLOAD_FORMAT_INDICATOR, payload_format_indicator)
    NUM(MESSAGE_EXPIRY_INTERVAL, message_expiry_interval)
    STR(CONTENT_TYPE, content_type)
    STR(RESPONSE_TOPIC, response_topic)
    STR(CORRELATION_DATA, correlation_data)
    NUM(SUBSCRIPTION_IDENTIFIER, subscription_identifier)
    NUM(SESSION_EXPIRY_INTERVAL, session_expiry_interval)
    STR(ASSIGNED_CLIENT_IDENTIFIER, assigned_client_identifier)
    NUM(SERVER_KEEP_ALIVE, server_keep_alive)
    STR(AUTHENTICATION_METHOD, authentication_method)
    STR(AUTHENTICATION_DATA, authentication_data)
    NUM(REQUEST_PROBLEM_INFORMATION, request_problem_information)
    NUM(WILL_DELAY_INTERVAL, will_delay_interval)
    NUM(REQUEST_RESPONSE_INFORMATION, request_response_information)
    STR(RESPONSE_INFORMATION, response_information)
    STR(SERVER_REFERENCE, server_reference)
    STR(REASON_STRING, reason_string)
    NUM(RECEIVE_MAXIMUM, receive_maximum)
    NUM(TOPIC_ALIAS_MAXIMUM, topic_alias_maximum)
    NUM(TOPIC_ALIAS, topic_alias)
    NUM(MAXIMUM_QOS, maximum_qos)
    NUM(RETAIN_AVAILABLE, retain_available)
    NUM(MAXIMUM_PACKET_SIZE, maximum_packet_size)
    NUM(WILDCARD_SUBSCRIPTION_AVAILABLE, wildcard_subscription_available)
    NUM(SUBSCRIPTION_IDENTIFIER_AVAILABLE, subscription_identifier_available)
    NUM(SHARED_SUBSCRIPTION_AVAILABLE, shared_subscription_available)
#undef NUM
#undef STR
    assert_int_equal(got->user_property_count, 1);
    size_t pos = 0;
    struct slice k, v;
    assert_true(mqtt_props_user_next(got, &pos, &k, &v));
    assert_true(slice_eq_cstr(k, "k") && slice_eq_cstr(v, "vv"));
    assert_false(mqtt_props_user_next(got, &pos, &k, &v));
}

/* Every property, encoded from its field and decoded back. */
static void every_property_round_trips(void **state)
{
    (void)state;
    struct mqtt_packet in, out;
    uint8_t buf[1024];
    size_t n;

    memset(&in, 0, sizeof in);
    set_all(&in.u.connack.props,
            P(SESSION_EXPIRY_INTERVAL) | P(ASSIGNED_CLIENT_IDENTIFIER) | P(SERVER_KEEP_ALIVE) |
                P(AUTHENTICATION_METHOD) | P(AUTHENTICATION_DATA) | P(RESPONSE_INFORMATION) |
                P(SERVER_REFERENCE) | P(REASON_STRING) | P(RECEIVE_MAXIMUM) |
                P(TOPIC_ALIAS_MAXIMUM) | P(MAXIMUM_QOS) | P(RETAIN_AVAILABLE) |
                P(MAXIMUM_PACKET_SIZE) | P(WILDCARD_SUBSCRIPTION_AVAILABLE) |
                P(SUBSCRIPTION_IDENTIFIER_AVAILABLE) | P(SHARED_SUBSCRIPTION_AVAILABLE));
    n = mqtt_connack_encode(buf, sizeof buf, &in.u.connack, MQTT_V5);
    assert_true(n <= sizeof buf);
    assert_int_equal(decode(&out, buf, n, &V5_S), 0);
    assert_fields(&out.u.connack.props, &in.u.connack.props);
    check_canonical(buf, n, &V5_S);

    memset(&in, 0, sizeof in);
    in.type = MQTT_CONNECT;
    in.u.connect.version = MQTT_V5;
    in.u.connect.client_id = SLICE_LIT("c");
    in.u.connect.has_will = true;
    in.u.connect.will.topic = SLICE_LIT("w");
    set_all(&in.u.connect.props, P(SESSION_EXPIRY_INTERVAL) | P(AUTHENTICATION_METHOD) |
                                     P(AUTHENTICATION_DATA) | P(REQUEST_PROBLEM_INFORMATION) |
                                     P(REQUEST_RESPONSE_INFORMATION) | P(RECEIVE_MAXIMUM) |
                                     P(TOPIC_ALIAS_MAXIMUM) | P(MAXIMUM_PACKET_SIZE));
    set_all(&in.u.connect.will.props, P(PAYLOAD_FORMAT_INDICATOR) | P(MESSAGE_EXPIRY_INTERVAL) |
                                          P(CONTENT_TYPE) | P(RESPONSE_TOPIC) |
                                          P(CORRELATION_DATA) | P(WILL_DELAY_INTERVAL));
    n = mqtt_connect_encode(buf, sizeof buf, &in.u.connect);
    assert_int_equal(decode(&out, buf, n, &V5_C), 0);
    assert_int_equal(out.u.connect.props.present, in.u.connect.props.present | P(USER_PROPERTY));
    assert_int_equal(out.u.connect.will.props.present,
                     in.u.connect.will.props.present | P(USER_PROPERTY));
    assert_fields(&out.u.connect.props, &in.u.connect.props);
    assert_fields(&out.u.connect.will.props, &in.u.connect.will.props);
    check_canonical(buf, n, &V5_C);

    memset(&in, 0, sizeof in);
    in.u.publish.topic = SLICE_LIT("t");
    set_all(&in.u.publish.props, P(PAYLOAD_FORMAT_INDICATOR) | P(MESSAGE_EXPIRY_INTERVAL) |
                                     P(CONTENT_TYPE) | P(RESPONSE_TOPIC) | P(CORRELATION_DATA) |
                                     P(TOPIC_ALIAS) | P(SUBSCRIPTION_IDENTIFIER));
    const uint32_t more[] = {1, 200};
    in.u.publish.props.sub_ids = more;
    in.u.publish.props.sub_id_count = 2;
    n = mqtt_publish_encode(buf, sizeof buf, &in.u.publish, MQTT_V5);
    assert_int_equal(decode(&out, buf, n, &V5_S), 0);
    assert_fields(&out.u.publish.props, &in.u.publish.props);
    assert_int_equal(out.u.publish.props.raw.len, mqtt_props_size(&in.u.publish.props, 5) - 1);
    check_roundtrip(buf, n, &V5_S);
}

/* Strings at their maximum length, 65535 bytes (1.5.4). */
static void maximum_length_strings(void **state)
{
    (void)state;
    size_t big = 65535;
    uint8_t *s = malloc(big);
    assert_non_null(s);
    memset(s, 'x', big);
    struct mqtt_disconnect d;
    memset(&d, 0, sizeof d);
    d.reason = MQTT_RC_SERVER_MOVED;
    d.props.present = P(SERVER_REFERENCE) | P(REASON_STRING);
    d.props.server_reference = slice_make(s, big);
    d.props.reason_string = slice_make(s, big);
    size_t n = mqtt_disconnect_encode(NULL, 0, &d, MQTT_V5);
    assert_int_equal(n, 1 + 3 + 1 + 3 + 2 * (3 + big));
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    assert_int_equal(mqtt_disconnect_encode(buf, n, &d, MQTT_V5), n);
    struct mqtt_packet p;
    assert_int_equal(decode(&p, buf, n, &V5_S), 0);
    assert_int_equal(p.u.disconnect.props.reason_string.len, big);
    check_canonical(buf, n, &V5_S);
    free(buf);
    free(s);
}

/* No properties before 5.0: bytes that would be a property block are payload. */
static void no_properties_before_v5(void **state)
{
    (void)state;
    struct mqtt_packet p;
    assert_int_equal(decode(&p, BYTES(0x30, 0x05, 0x00, 0x01, 't', 0x01, 0x01), &V311_C), 0);
    assert_int_equal(p.u.publish.props.present, 0);
    assert_int_equal(p.u.publish.payload.len, 2);
    struct mqtt_props pr;
    memset(&pr, 0, sizeof pr);
    pr.present = P(REASON_STRING);
    pr.reason_string = SLICE_LIT("x");
    struct mqtt_ack a = {MQTT_PUBACK, 5, 0, pr};
    assert_int_equal(mqtt_ack_encode(NULL, 0, &a, MQTT_V311), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(property_allowed_matrix_2_2_2_2),
        cmocka_unit_test(unknown_property_ids_malformed_2_2_2_2),
        cmocka_unit_test(duplicates_protocol_error),
        cmocka_unit_test(subscription_identifiers),
        cmocka_unit_test(subscription_identifier_boundaries),
        cmocka_unit_test(value_ranges),
        cmocka_unit_test(utf8_in_properties_mqtt_1_5_4_1),
        cmocka_unit_test(overruns_malformed),
        cmocka_unit_test(authentication_data_needs_method),
        cmocka_unit_test(user_properties_iterate),
        cmocka_unit_test(filter_drops_and_respects_cap),
        cmocka_unit_test(props_size),
        cmocka_unit_test(every_property_round_trips),
        cmocka_unit_test(maximum_length_strings),
        cmocka_unit_test(no_properties_before_v5),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
