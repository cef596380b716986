/*
 * test_connect.c - CONNECT and CONNACK for 3.1, 3.1.1 and 5.0.
 */
#include "codec_test.h"

/* The context a broker has before CONNECT: the version is not known yet. */
static const struct mqtt_ctx PRE = {0, MQTT_FROM_CLIENT};

#define V311_MIN 0x10, 0x0C, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60, 0, 0
#define V311_FULL                                                                                  \
    0x10, 0x1F, 0, 4, 'M', 'Q', 'T', 'T', 4, 0xEE, 0, 60, 0, 3, 'c', 'i', 'd', 0, 3, 'a', '/',     \
        'b', 0, 2, 'h', 'i', 0, 1, 'u', 0, 2, 'p', 0
#define V31_MIN 0x10, 0x11, 0, 6, 'M', 'Q', 'I', 's', 'd', 'p', 3, 0x02, 0, 60, 0, 3, 'c', 'i', 'd'
#define V5_MIN 0x10, 0x0E, 0, 4, 'M', 'Q', 'T', 'T', 5, 0x02, 0, 60, 0, 0, 1, 'c'
#define V5_WILL                                                                                    \
    0x10, 0x19, 0, 4, 'M', 'Q', 'T', 'T', 5, 0x06, 0, 60, 0, 0, 1, 'c', 5, 0x18, 0, 0, 0, 10, 0,   \
        1, 't', 0, 0

static void connect_v311_minimal(void **state)
{
    (void)state;
    struct mqtt_packet p;
    assert_int_equal(decode(&p, BYTES(V311_MIN), &PRE), 0);
    const struct mqtt_connect *c = &p.u.connect;
    assert_int_equal(p.type, MQTT_CONNECT);
    assert_int_equal(c->version, MQTT_V311);
    assert_true(slice_eq_cstr(c->protocol_name, "MQTT"));
    assert_true(c->clean_start);
    assert_int_equal(c->keep_alive, 60);
    assert_int_equal(c->client_id.len, 0); /* the broker decides [MQTT-3.1.3-7] */
    assert_false(c->has_will);
    assert_false(c->has_username);
    assert_false(c->has_password);
    check_canonical(BYTES(V311_MIN), &V311_C);
    check_truncations(BYTES(V311_MIN), &V311_C);
}

static void connect_v311_everything(void **state)
{
    (void)state;
    struct mqtt_packet p;
    assert_int_equal(decode(&p, BYTES(V311_FULL), &PRE), 0);
    const struct mqtt_connect *c = &p.u.connect;
    assert_true(slice_eq_cstr(c->client_id, "cid"));
    assert_true(c->has_will);
    assert_true(slice_eq_cstr(c->will.topic, "a/b"));
    assert_true(slice_eq_cstr(c->will.payload, "hi"));
    assert_int_equal(c->will.qos, 1);
    assert_true(c->will.retain);
    assert_true(c->has_username);
    assert_true(slice_eq_cstr(c->username, "u"));
    assert_true(c->has_password);
    assert_true(slice_eq(c->password, SLICE_LIT("p\0")));
    assert_int_equal(c->will.props.present, 0);
    check_canonical(BYTES(V311_FULL), &V311_C);
    check_truncations(BYTES(V311_FULL), &V311_C);
}

static void connect_v31_mqisdp(void **state)
{
    (void)state;
    struct mqtt_packet p;
    assert_int_equal(decode(&p, BYTES(V31_MIN), &PRE), 0);
    assert_int_equal(p.u.connect.version, MQTT_V31);
    assert_true(slice_eq_cstr(p.u.connect.protocol_name, "MQIsdp"));
    check_canonical(BYTES(V31_MIN), &V31_C);
    check_truncations(BYTES(V31_MIN), &V31_C);
}

static void connect_v5(void **state)
{
    (void)state;
    struct mqtt_packet p;
    assert_int_equal(decode(&p, BYTES(V5_MIN), &PRE), 0);
    assert_int_equal(p.u.connect.version, MQTT_V5);
    check_canonical(BYTES(V5_MIN), &V5_C);
    assert_int_equal(decode(&p, BYTES(V5_WILL), &PRE), 0);
    assert_true(p.u.connect.has_will);
    assert_int_equal(p.u.connect.will.props.will_delay_interval, 10);
    assert_int_equal(p.u.connect.will.qos, 0);
    check_canonical(BYTES(V5_WILL), &V5_C);
    check_truncations(BYTES(V5_WILL), &V5_C);
}

/* 5.0 lets a password come without a user name (3.1.2.9); 3.1.1 does not [MQTT-3.1.2-22]. */
static void password_without_user_name_mqtt_3_1_2_22(void **state)
{
    (void)state;
    expect_rc(
        BYTES(0x10, 0x12, 0, 4, 'M', 'Q', 'T', 'T', 5, 0x42, 0, 60, 0, 0, 1, 'c', 0, 2, 'p', 'w'),
        &PRE, 0);
    check_canonical(
        BYTES(0x10, 0x12, 0, 4, 'M', 'Q', 'T', 'T', 5, 0x42, 0, 60, 0, 0, 1, 'c', 0, 2, 'p', 'w'),
        &V5_C);
    expect_rc(
        BYTES(0x10, 0x11, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x42, 0, 60, 0, 1, 'c', 0, 2, 'p', 'w'),
        &PRE, -MQTT_RC_MALFORMED_PACKET);
    expect_rc(BYTES(0x10, 0x13, 0, 6, 'M', 'Q', 'I', 's', 'd', 'p', 3, 0x42, 0, 60, 0, 1, 'c', 0, 2,
                    'p', 'w'),
              &PRE, -MQTT_RC_MALFORMED_PACKET);
}

/* [MQTT-3.1.2-1] [MQTT-3.1.2-2]: the version is reported even when refused. */
static void protocol_name_and_level(void **state)
{
    (void)state;
    static const struct {
        uint8_t bytes[16];
        size_t len;
        int rc;
        uint8_t version;
    } cases[] = {
        {{0x10, 0x0A, 0, 4, 'M', 'Q', 'T', 'T', 3, 2, 0, 0},
         12,
         -MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION,
         3},
        {{0x10, 0x0A, 0, 4, 'M', 'Q', 'T', 'T', 6, 2, 0, 0},
         12,
         -MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION,
         6},
        {{0x10, 0x0A, 0, 4, 'M', 'Q', 'T', 'T', 0x84, 2, 0, 0},
         12,
         -MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION,
         0x84},
        {{0x10, 0x0C, 0, 6, 'M', 'Q', 'I', 's', 'd', 'p', 4, 2, 0, 0},
         14,
         -MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION,
         4},
        {{0x10, 0x0A, 0, 4, 'M', 'Q', 'T', 'X', 4, 2, 0, 0}, 12, -MQTT_RC_MALFORMED_PACKET, 4},
        {{0x10, 0x0A, 0, 4, 'm', 'q', 't', 't', 4, 2, 0, 0}, 12, -MQTT_RC_MALFORMED_PACKET, 4},
        {{0x10, 0x06, 0, 4, 'M', 'Q', 'T', 'T'}, 8, -MQTT_RC_MALFORMED_PACKET, 0},
        {{0x10, 0x02, 0, 4}, 4, -MQTT_RC_MALFORMED_PACKET, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mqtt_packet p;
        assert_int_equal(decode(&p, cases[i].bytes, cases[i].len, &PRE), cases[i].rc);
        assert_int_equal(p.u.connect.version, cases[i].version);
    }
}

static void connect_flag_rules(void **state)
{
    (void)state;
    static const struct {
        uint8_t flags;
        int rc;
        const char *rule;
    } cases[] = {
        {0x03, -MQTT_RC_MALFORMED_PACKET, "[MQTT-3.1.2-3] reserved flag"},
        {0x1E, -MQTT_RC_MALFORMED_PACKET, "[MQTT-3.1.2-14] Will QoS 3"},
        {0x0A, -MQTT_RC_MALFORMED_PACKET, "[MQTT-3.1.2-13] Will QoS without Will Flag"},
        {0x12, -MQTT_RC_MALFORMED_PACKET, "[MQTT-3.1.2-13] Will QoS 2 without Will Flag"},
        {0x22, -MQTT_RC_MALFORMED_PACKET, "[MQTT-3.1.2-15] Will Retain without Will Flag"},
        {0x00, 0, "clean session 0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t pkt[] = {0x10, 0x0C, 0, 4, 'M', 'Q', 'T', 'T', 4, cases[i].flags, 0, 60, 0, 0};
        struct mqtt_packet p;
        int rc = decode(&p, pkt, sizeof pkt, &PRE);
        if (rc != cases[i].rc)
            print_error("%s\n", cases[i].rule);
        assert_int_equal(rc, cases[i].rc);
    }
}

static void connect_payload_rules(void **state)
{
    (void)state;
    /* Client id ill-formed UTF-8 [MQTT-3.1.3-4] [MQTT-1.5.4-1]. */
    expect_rc(BYTES(0x10, 0x0E, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 2, 0xC3, 0x28), &PRE,
              -MQTT_RC_MALFORMED_PACKET);
    /* Will topic with a wildcard, empty, ill-formed. */
    expect_rc(
        BYTES(0x10, 0x13, 0, 4, 'M', 'Q', 'T', 'T', 4, 6, 0, 60, 0, 1, 'c', 0, 2, 'a', '#', 0, 0),
        &PRE, -MQTT_RC_TOPIC_NAME_INVALID);
    expect_rc(BYTES(0x10, 0x11, 0, 4, 'M', 'Q', 'T', 'T', 4, 6, 0, 60, 0, 1, 'c', 0, 0, 0, 0), &PRE,
              -MQTT_RC_TOPIC_NAME_INVALID);
    expect_rc(BYTES(0x10, 0x12, 0, 4, 'M', 'Q', 'T', 'T', 4, 6, 0, 60, 0, 1, 'c', 0, 1, 0xFF, 0, 0),
              &PRE, -MQTT_RC_MALFORMED_PACKET);
    /* User name ill-formed UTF-8; user name flag without a user name. */
    expect_rc(BYTES(0x10, 0x10, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x82, 0, 60, 0, 1, 'c', 0, 1, 0x80),
              &PRE, -MQTT_RC_MALFORMED_PACKET);
    expect_rc(BYTES(0x10, 0x0D, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x82, 0, 60, 0, 1, 'c'), &PRE,
              -MQTT_RC_MALFORMED_PACKET);
    /* Password flag without a password; bytes after the payload. */
    expect_rc(BYTES(0x10, 0x10, 0, 4, 'M', 'Q', 'T', 'T', 4, 0xC2, 0, 60, 0, 1, 'c', 0, 1, 'u'),
              &PRE, -MQTT_RC_MALFORMED_PACKET);
    expect_rc(BYTES(0x10, 0x0E, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 1, 'c', 0), &PRE,
              -MQTT_RC_MALFORMED_PACKET);
    /* v5: a property CONNECT may not carry, in CONNECT and in the will (2.2.2.2). */
    expect_rc(BYTES(0x10, 0x11, 0, 4, 'M', 'Q', 'T', 'T', 5, 2, 0, 60, 3, 0x23, 0, 1, 0, 1, 'c'),
              &PRE, -MQTT_RC_MALFORMED_PACKET);
    expect_rc(BYTES(0x10, 0x16, 0, 4, 'M', 'Q', 'T', 'T', 5, 6, 0, 60, 0, 0, 1, 'c', 2, 0x17, 1, 0,
                    1, 't', 0, 0),
              &PRE, -MQTT_RC_MALFORMED_PACKET);
    /* Keep alive extremes. */
    struct mqtt_packet p;
    assert_int_equal(
        decode(&p, BYTES(0x10, 0x0C, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0xFF, 0xFF, 0, 0), &PRE), 0);
    assert_int_equal(p.u.connect.keep_alive, 65535);
}

static void connect_encode_protocol_name(void **state)
{
    (void)state;
    struct mqtt_connect c;
    memset(&c, 0, sizeof c);
    c.version = MQTT_V31;
    c.clean_start = true;
    c.keep_alive = 60;
    c.client_id = SLICE_LIT("cid");
    c.protocol_name = SLICE_LIT("ignored");
    uint8_t buf[64];
    size_t n = mqtt_connect_encode(buf, sizeof buf, &c);
    assert_int_equal(n, 19);
    assert_memory_equal(buf, ((const uint8_t[]){V31_MIN}), n);
    c.version = MQTT_V311;
    c.client_id = SLICE_NULL;
    n = mqtt_connect_encode(buf, sizeof buf, &c);
    assert_int_equal(n, 14);
    assert_memory_equal(buf, ((const uint8_t[]){V311_MIN}), n);
    /* Too small: the size comes back and nothing is written. */
    memset(buf, 0xAA, sizeof buf);
    assert_int_equal(mqtt_connect_encode(buf, 13, &c), 14);
    assert_int_equal(buf[0], 0xAA);
}

/* ---- CONNACK ------------------------------------------------------------ */

static void connack_v311(void **state)
{
    (void)state;
    struct mqtt_packet p;
    assert_int_equal(decode(&p, BYTES(0x20, 0x02, 0x01, 0x00), &V311_S), 0);
    assert_true(p.u.connack.session_present);
    assert_int_equal(p.u.connack.reason, 0);
    check_canonical(BYTES(0x20, 0x02, 0x01, 0x00), &V311_S);
    check_canonical(BYTES(0x20, 0x02, 0x00, 0x05), &V311_S);
    check_truncations(BYTES(0x20, 0x02, 0x00, 0x05), &V311_S);
    /* [MQTT-3.2.2-1] reserved flags; return codes 6-255 reserved. */
    expect_rc(BYTES(0x20, 0x02, 0x02, 0x00), &V311_S, -MQTT_RC_MALFORMED_PACKET);
    expect_rc(BYTES(0x20, 0x02, 0x00, 0x06), &V311_S, -MQTT_RC_PROTOCOL_ERROR);
    /* [MQTT-3.2.2-4] Session Present with a failure. */
    expect_rc(BYTES(0x20, 0x02, 0x01, 0x05), &V311_S, -MQTT_RC_PROTOCOL_ERROR);
    expect_rc(BYTES(0x20, 0x03, 0x00, 0x00, 0x00), &V311_S, -MQTT_RC_MALFORMED_PACKET);
    expect_rc(BYTES(0x20, 0x01, 0x00), &V311_S, -MQTT_RC_MALFORMED_PACKET);
}

/* 3.1's first CONNACK byte is unused: read as no session, written as 0. */
static void connack_v31(void **state)
{
    (void)state;
    struct mqtt_packet p;
    assert_int_equal(decode(&p, BYTES(0x20, 0x02, 0xFF, 0x02), &V31_S), 0);
    assert_false(p.u.connack.session_present);
    assert_int_equal(p.u.connack.reason, 2);
    struct mqtt_connack c = {true, 0, {0}};
    uint8_t buf[4];
    assert_int_equal(mqtt_connack_encode(buf, sizeof buf, &c, MQTT_V31), 4);
    assert_memory_equal(buf, ((const uint8_t[]){0x20, 2, 0, 0}), 4);
}

static void connack_v5(void **state)
{
    (void)state;
    const uint8_t ok_codes[] = {0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
                                0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F};
    for (unsigned rc = 0; rc < 256; rc++) {
        uint8_t pkt[] = {0x20, 0x03, 0x00, (uint8_t)rc, 0x00};
        bool ok = memchr(ok_codes, (int)rc, sizeof ok_codes) != NULL;
        /* [MQTT-3.2.2-8]: a code outside table 3-1 is a protocol error. */
        expect_rc(pkt, sizeof pkt, &V5_S, ok ? 0 : -MQTT_RC_PROTOCOL_ERROR);
        if (ok)
            check_canonical(pkt, sizeof pkt, &V5_S);
    }
    /* [MQTT-2.2.2-1]: the property length is not optional in CONNACK. */
    expect_rc(BYTES(0x20, 0x02, 0x00, 0x00), &V5_S, -MQTT_RC_MALFORMED_PACKET);
    /* [MQTT-3.2.2-6] Session Present with a failure. */
    expect_rc(BYTES(0x20, 0x03, 0x01, 0x80, 0x00), &V5_S, -MQTT_RC_PROTOCOL_ERROR);
    const uint8_t full[] = {0x20, 0x13, 0x01, 0x00, 0x10, 0x11, 0, 0, 0, 5, 0x12,
                            0,    1,    'x',  0x24, 0x01, 0x26, 0, 0, 0, 0};
    check_roundtrip(full, sizeof full, &V5_S);
    check_truncations(full, sizeof full, &V5_S);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(connect_v311_minimal),
        cmocka_unit_test(connect_v311_everything),
        cmocka_unit_test(connect_v31_mqisdp),
        cmocka_unit_test(connect_v5),
        cmocka_unit_test(password_without_user_name_mqtt_3_1_2_22),
        cmocka_unit_test(protocol_name_and_level),
        cmocka_unit_test(connect_flag_rules),
        cmocka_unit_test(connect_payload_rules),
        cmocka_unit_test(connect_encode_protocol_name),
        cmocka_unit_test(connack_v311),
        cmocka_unit_test(connack_v31),
        cmocka_unit_test(connack_v5),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
