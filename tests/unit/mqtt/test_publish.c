/*
 * test_publish.c - PUBLISH decode and encode, 3.1.1 and 5.0.
 */
#include "codec_test.h"

static void publish_qos_levels(void **state)
{
    (void)state;
    struct mqtt_packet p;
    const struct mqtt_publish *pub = &p.u.publish;

    assert_int_equal(decode(&p, BYTES(0x30, 0x05, 0, 1, 't', 'h', 'i'), &V311_C), 0);
    assert_int_equal(pub->qos, 0);
    assert_false(pub->dup);
    assert_false(pub->retain);
    assert_int_equal(pub->packet_id, 0);
    assert_true(slice_eq_cstr(pub->topic, "t"));
    assert_true(slice_eq_cstr(pub->payload, "hi"));

    assert_int_equal(decode(&p, BYTES(0x32, 0x07, 0, 1, 't', 0, 10, 'h', 'i'), &V311_C), 0);
    assert_int_equal(pub->qos, 1);
    assert_int_equal(pub->packet_id, 10);

    assert_int_equal(decode(&p, BYTES(0x3D, 0x07, 0, 1, 't', 0xFF, 0xFF, 'h', 'i'), &V311_S), 0);
    assert_int_equal(pub->qos, 2);
    assert_true(pub->dup);
    assert_true(pub->retain);
    assert_int_equal(pub->packet_id, 65535);

    const struct mqtt_ctx *ctxs[] = {&V31_C, &V311_C, &V311_S};
    for (size_t i = 0; i < 3; i++) {
        check_canonical(BYTES(0x30, 0x05, 0, 1, 't', 'h', 'i'), ctxs[i]);
        check_canonical(BYTES(0x32, 0x07, 0, 1, 't', 0, 10, 'h', 'i'), ctxs[i]);
        check_canonical(BYTES(0x3D, 0x07, 0, 1, 't', 0xFF, 0xFF, 'h', 'i'), ctxs[i]);
        check_truncations(BYTES(0x3D, 0x07, 0, 1, 't', 0xFF, 0xFF, 'h', 'i'), ctxs[i]);
    }
}

static void publish_flag_rules(void **state)
{
    (void)state;
    /* [MQTT-3.3.1-4] QoS 3. */
    expect_rc(BYTES(0x36, 0x05, 0, 1, 't', 0, 1), &V311_C, -MQTT_RC_MALFORMED_PACKET);
    expect_rc(BYTES(0x37, 0x06, 0, 1, 't', 0, 1, 0), &V5_C, -MQTT_RC_MALFORMED_PACKET);
    /* [MQTT-3.3.1-2] DUP on QoS 0. */
    expect_rc(BYTES(0x38, 0x03, 0, 1, 't'), &V311_C, -MQTT_RC_MALFORMED_PACKET);
    expect_rc(BYTES(0x39, 0x04, 0, 1, 't', 0), &V5_S, -MQTT_RC_MALFORMED_PACKET);
}

/* [MQTT-2.3.1-1] (3.1.1), [MQTT-2.2.1-3] (5.0): QoS > 0 needs a non-zero id. */
static void publish_packet_id_mqtt_2_3_1_1(void **state)
{
    (void)state;
    expect_rc(BYTES(0x32, 0x05, 0, 1, 't', 0, 0), &V311_C, -MQTT_RC_PROTOCOL_ERROR);
    expect_rc(BYTES(0x34, 0x06, 0, 1, 't', 0, 0, 0), &V5_C, -MQTT_RC_PROTOCOL_ERROR);
    expect_rc(BYTES(0x32, 0x04, 0, 1, 't', 0), &V311_C, -MQTT_RC_MALFORMED_PACKET);
}

static void publish_topic_rules(void **state)
{
    (void)state;
    /* [MQTT-3.3.2-2] wildcards. */
    expect_rc(BYTES(0x30, 0x05, 0, 3, 'a', '/', '#'), &V311_C, -MQTT_RC_TOPIC_NAME_INVALID);
    expect_rc(BYTES(0x30, 0x06, 0, 3, 'a', '/', '+', 0), &V5_C, -MQTT_RC_TOPIC_NAME_INVALID);
    expect_rc(BYTES(0x30, 0x05, 0, 3, 'a', '+', 'b'), &V311_C, -MQTT_RC_TOPIC_NAME_INVALID);
    /* [MQTT-1.5.4-1] [MQTT-1.5.4-2] ill-formed UTF-8 and U+0000. */
    expect_rc(BYTES(0x30, 0x04, 0, 2, 0xC0, 0xAF), &V311_C, -MQTT_RC_MALFORMED_PACKET);
    expect_rc(BYTES(0x30, 0x03, 0, 1, 0x00), &V311_C, -MQTT_RC_MALFORMED_PACKET);
    expect_rc(BYTES(0x30, 0x05, 0, 3, 0xED, 0xB0, 0x80), &V5_S, -MQTT_RC_MALFORMED_PACKET);
    /* Topic overrunning the packet. */
    expect_rc(BYTES(0x30, 0x03, 0, 5, 'a'), &V311_C, -MQTT_RC_MALFORMED_PACKET);
    expect_rc(BYTES(0x30, 0x01, 0), &V311_C, -MQTT_RC_MALFORMED_PACKET);
    /* [MQTT-4.7.3-1] / [MQTT-3.3.2-1]: empty topic, allowed only with a Topic Alias. */
    expect_rc(BYTES(0x30, 0x02, 0, 0), &V311_C, -MQTT_RC_PROTOCOL_ERROR);
    expect_rc(BYTES(0x30, 0x03, 0, 0, 0), &V5_C, -MQTT_RC_PROTOCOL_ERROR);
    struct mqtt_packet p;
    assert_int_equal(decode(&p, BYTES(0x30, 0x06, 0, 0, 3, 0x23, 0, 1), &V5_C), 0);
    assert_int_equal(p.u.publish.topic.len, 0);
    assert_int_equal(p.u.publish.props.topic_alias, 1);
    check_canonical(BYTES(0x30, 0x06, 0, 0, 3, 0x23, 0, 1), &V5_C);
    /* '$' topics are ordinary topic names. */
    expect_rc(BYTES(0x30, 0x08, 0, 6, '$', 'S', 'Y', 'S', '/', 'x'), &V311_S, 0);
    /* A 4-byte UTF-8 character (U+10FFFF). */
    expect_rc(BYTES(0x30, 0x06, 0, 4, 0xF4, 0x8F, 0xBF, 0xBF), &V311_C, 0);
}

static void publish_v5_properties(void **state)
{
    (void)state;
    struct mqtt_packet p;
    const uint8_t pkt[] = {0x32, 0x18, 0,    3, 'a', '/', 'b',  0, 7, 0x0E, 0x01, 0x01, 0x0B,
                           0x80, 0x01, 0x08, 0, 1,   'r', 0x23, 0, 2, 0x0B, 0x05, 'p',  0};
    /* From a server: two Subscription Identifiers. */
    assert_int_equal(decode(&p, pkt, sizeof pkt, &V5_S), 0);
    assert_int_equal(p.u.publish.props.payload_format_indicator, 1);
    assert_int_equal(p.u.publish.props.topic_alias, 2);
    assert_int_equal(p.u.publish.props.subscription_identifier, 128);
    assert_true(slice_eq(p.u.publish.payload, SLICE_LIT("p\0")));
    check_roundtrip(pkt, sizeof pkt, &V5_S);
    check_truncations(pkt, sizeof pkt, &V5_S);
    /* [MQTT-3.3.4-6]: from a client it is a protocol error. */
    expect_rc(pkt, sizeof pkt, &V5_C, -MQTT_RC_PROTOCOL_ERROR);
    /* [MQTT-3.3.2-8]: Topic Alias 0. */
    expect_rc(BYTES(0x30, 0x07, 0, 1, 't', 3, 0x23, 0, 0), &V5_C, -MQTT_RC_TOPIC_ALIAS_INVALID);
    /* v5 PUBLISH needs its property length [MQTT-2.2.2-1]. */
    expect_rc(BYTES(0x30, 0x03, 0, 1, 't'), &V5_C, -MQTT_RC_MALFORMED_PACKET);
    check_canonical(BYTES(0x30, 0x04, 0, 1, 't', 0), &V5_C);
}

static void publish_maximum_topic(void **state)
{
    (void)state;
    size_t tlen = 65535, rl = 2 + tlen + 3;
    uint8_t *pkt = malloc(5 + rl);
    assert_non_null(pkt);
    size_t h = mqtt_fixed_header_encode(pkt, MQTT_PUBLISH, 0, (uint32_t)rl);
    mqtt_wr_u16(pkt + h, (uint16_t)tlen);
    memset(pkt + h + 2, 'a', tlen);
    memcpy(pkt + h + 2 + tlen, "xyz", 3);
    struct mqtt_packet p;
    assert_int_equal(decode(&p, pkt, h + rl, &V311_C), 0);
    assert_int_equal(p.u.publish.topic.len, tlen);
    assert_int_equal(p.u.publish.payload.len, 3);
    check_canonical(pkt, h + rl, &V311_C);
    free(pkt);
}

static void publish_encode(void **state)
{
    (void)state;
    struct mqtt_publish pub;
    memset(&pub, 0, sizeof pub);
    pub.qos = 1;
    pub.retain = true;
    pub.packet_id = 0x1234;
    pub.topic = SLICE_LIT("a/b");
    pub.payload = SLICE_LIT("\x00\x01");
    uint8_t buf[32];
    const uint8_t v311[] = {0x33, 0x09, 0, 3, 'a', '/', 'b', 0x12, 0x34, 0, 1};
    const uint8_t v5[] = {0x33, 0x0A, 0, 3, 'a', '/', 'b', 0x12, 0x34, 0, 0, 1};
    assert_int_equal(mqtt_publish_encode(buf, sizeof buf, &pub, MQTT_V311), sizeof v311);
    assert_memory_equal(buf, v311, sizeof v311);
    assert_int_equal(mqtt_publish_encode(buf, sizeof buf, &pub, MQTT_V5), sizeof v5);
    assert_memory_equal(buf, v5, sizeof v5);
    /* Forwarded properties and per-subscriber identifiers. */
    const uint32_t ids[] = {3};
    pub.props.passthrough = SLICE_LIT("\x26\x00\x01k\x00\x00");
    pub.props.sub_ids = ids;
    pub.props.sub_id_count = 1;
    const uint8_t v5p[] = {0x33, 0x12, 0, 3,   'a', '/', 'b',  0x12, 0x34, 8,
                           0x26, 0,    1, 'k', 0,   0,   0x0B, 3,    0,    1};
    assert_int_equal(mqtt_publish_encode(buf, sizeof buf, &pub, MQTT_V5), sizeof v5p);
    assert_memory_equal(buf, v5p, sizeof v5p);
    /* Capacity one short: the size comes back, nothing is written. */
    memset(buf, 0xAA, sizeof buf);
    assert_int_equal(mqtt_publish_encode(buf, sizeof v5p - 1, &pub, MQTT_V5), sizeof v5p);
    for (size_t i = 0; i < sizeof buf; i++)
        assert_int_equal(buf[i], 0xAA);
    assert_int_equal(mqtt_publish_encode(NULL, 0, &pub, MQTT_V5), sizeof v5p);
}

/* The plain encoder writes what the general one writes for a PUBLISH whose
 * only properties are forwarded ones, in every QoS, flag and version. */
static void publish_encode_plain_matches(void **state)
{
    (void)state;
    static uint8_t big[300];
    const struct slice payloads[] = {SLICE_NULL, SLICE_LIT("x"), slice_make(big, sizeof big)};
    const struct slice props[] = {SLICE_NULL, SLICE_LIT("\x26\x00\x01k\x00\x00")};
    const uint8_t versions[] = {MQTT_V31, MQTT_V311, MQTT_V5};
    for (unsigned qos = 0; qos <= 2; qos++)
        for (unsigned fl = 0; fl < 4; fl++) /* dup, retain */
            for (size_t pl = 0; pl < 3; pl++)
                for (size_t pr = 0; pr < 2; pr++)
                    for (size_t v = 0; v < 3; v++) {
                        struct mqtt_publish pub;
                        memset(&pub, 0, sizeof pub);
                        pub.qos = (uint8_t)qos;
                        pub.dup = qos > 0 && (fl & 1);
                        pub.retain = (fl & 2) != 0;
                        pub.topic = SLICE_LIT("sensors/t");
                        pub.packet_id = qos ? 0xBEEF : 0;
                        pub.payload = payloads[pl];
                        pub.props.passthrough = props[pr];
                        uint8_t flags = (uint8_t)((pub.dup ? 8 : 0) | qos << 1 | (pub.retain ? 1 : 0));
                        uint8_t want[400], got[400];
                        size_t n = mqtt_publish_encode(want, sizeof want, &pub, versions[v]);
                        assert_true(n <= sizeof want);
                        assert_int_equal(mqtt_publish_encode_plain(NULL, 0, flags, pub.topic,
                                                                   pub.packet_id, props[pr],
                                                                   pub.payload, versions[v]),
                                         n);
                        memset(got, 0xAA, sizeof got);
                        assert_int_equal(mqtt_publish_encode_plain(got, n, flags, pub.topic,
                                                                   pub.packet_id, props[pr],
                                                                   pub.payload, versions[v]),
                                         n);
                        assert_memory_equal(got, want, n);
                        assert_int_equal(got[n], 0xAA);
                    }
}

/* A 2 MB payload: a 4-byte remaining length. */
static void publish_large_payload(void **state)
{
    (void)state;
    struct mqtt_publish pub;
    memset(&pub, 0, sizeof pub);
    size_t plen = 2097152;
    uint8_t *payload = calloc(1, plen);
    assert_non_null(payload);
    pub.topic = SLICE_LIT("t");
    pub.payload = slice_make(payload, plen);
    size_t n = mqtt_publish_encode(NULL, 0, &pub, MQTT_V311);
    assert_int_equal(n, 1 + 4 + 3 + plen);
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    assert_int_equal(mqtt_publish_encode(buf, n, &pub, MQTT_V311), n);
    struct mqtt_packet p;
    assert_int_equal(decode(&p, buf, n, &V311_C), 0);
    assert_int_equal(p.u.publish.payload.len, plen);
    free(buf);
    free(payload);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(publish_qos_levels),
        cmocka_unit_test(publish_flag_rules),
        cmocka_unit_test(publish_packet_id_mqtt_2_3_1_1),
        cmocka_unit_test(publish_topic_rules),
        cmocka_unit_test(publish_v5_properties),
        cmocka_unit_test(publish_maximum_topic),
        cmocka_unit_test(publish_encode),
        cmocka_unit_test(publish_encode_plain_matches),
        cmocka_unit_test(publish_large_payload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
