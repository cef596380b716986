/*
 * test_control.c - PINGREQ/PINGRESP, DISCONNECT, AUTH.
 */
#include "codec_test.h"

static void ping(void **state)
{
    (void)state;
    expect_rc(BYTES(0xC0, 0), &V311_C, 0);
    expect_rc(BYTES(0xD0, 0), &V5_S, 0);
    check_canonical(BYTES(0xC0, 0), &V5_C);
    check_canonical(BYTES(0xD0, 0), &V311_S);
    expect_rc(BYTES(0xC0, 1, 0), &V311_C, -MQTT_RC_MALFORMED_PACKET);
    expect_rc(BYTES(0xD0, 1, 0), &V5_S, -MQTT_RC_MALFORMED_PACKET);
    uint8_t buf[2] = {0xAA, 0xAA};
    assert_int_equal(mqtt_ping_encode(buf, 1, MQTT_PINGREQ), 2);
    assert_int_equal(buf[0], 0xAA);
    assert_int_equal(mqtt_ping_encode(buf, 2, MQTT_PINGRESP), 2);
    assert_memory_equal(buf, ((const uint8_t[]){0xD0, 0}), 2);
}

static void disconnect_v311(void **state)
{
    (void)state;
    check_canonical(BYTES(0xE0, 0), &V311_C);
    check_canonical(BYTES(0xE0, 0), &V31_C);
    expect_rc(BYTES(0xE0, 1, 0), &V311_C, -MQTT_RC_MALFORMED_PACKET);
    struct mqtt_disconnect d;
    memset(&d, 0, sizeof d);
    d.reason = MQTT_RC_SERVER_BUSY; /* not representable before 5.0 */
    uint8_t buf[4];
    assert_int_equal(mqtt_disconnect_encode(buf, sizeof buf, &d, MQTT_V311), 2);
    assert_memory_equal(buf, ((const uint8_t[]){0xE0, 0}), 2);
}

static bool disconnect_allowed(unsigned rc, enum mqtt_sender from)
{
    static const uint8_t both[] = {0x00, 0x80, 0x81, 0x82, 0x83, 0x90, 0x93,
                                   0x94, 0x95, 0x96, 0x97, 0x98, 0x99};
    static const uint8_t server[] = {0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x9A, 0x9B,
                                     0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2};
    if (memchr(both, (int)rc, sizeof both))
        return true;
    if (from == MQTT_FROM_CLIENT)
        return rc == 0x04;
    return memchr(server, (int)rc, sizeof server) != NULL;
}

/* Table 3-10 and [MQTT-3.14.2-1], with its "Sent by" column. */
static void disconnect_v5_reason_codes_mqtt_3_14_2_1(void **state)
{
    (void)state;
    for (unsigned rc = 0; rc < 256; rc++) {
        uint8_t one[] = {0xE0, 1, (uint8_t)rc};
        uint8_t two[] = {0xE0, 2, (uint8_t)rc, 0};
        int wc = disconnect_allowed(rc, MQTT_FROM_CLIENT) ? 0 : -MQTT_RC_PROTOCOL_ERROR;
        int ws = disconnect_allowed(rc, MQTT_FROM_SERVER) ? 0 : -MQTT_RC_PROTOCOL_ERROR;
        expect_rc(one, sizeof one, &V5_C, wc);
        expect_rc(two, sizeof two, &V5_C, wc);
        expect_rc(one, sizeof one, &V5_S, ws);
        if (ws == 0 && rc != 0)
            check_canonical(two, sizeof two, &V5_S);
    }
}

static void disconnect_v5_forms(void **state)
{
    (void)state;
    struct mqtt_packet p;
    /* Remaining length 0: Normal disconnection (3.14.2.1). */
    assert_int_equal(decode(&p, BYTES(0xE0, 0), &V5_C), 0);
    assert_int_equal(p.u.disconnect.reason, 0);
    check_canonical(BYTES(0xE0, 0), &V5_C);
    check_roundtrip(BYTES(0xE0, 1, 0x04), &V5_C);
    check_roundtrip(BYTES(0xE0, 2, 0, 0), &V5_C);
    const uint8_t full[] = {0xE0, 0x0E, 0x00, 0x0C, 0x11, 0, 0, 0, 60, 0x1C, 0, 0, 0x1F, 0, 1, 'x'};
    assert_int_equal(decode(&p, full, sizeof full, &V5_C), 0);
    assert_int_equal(p.u.disconnect.props.session_expiry_interval, 60);
    check_canonical(full, sizeof full, &V5_C);
    check_truncations(full, sizeof full, &V5_C);
    /* [MQTT-3.14.2-2] Session Expiry Interval from a server. */
    expect_rc(full, sizeof full, &V5_S, -MQTT_RC_PROTOCOL_ERROR);
    expect_rc(BYTES(0xE0, 3, 0, 0, 0), &V5_C, -MQTT_RC_MALFORMED_PACKET);
    expect_rc(BYTES(0xE0, 3, 0, 2, 0), &V5_C, -MQTT_RC_MALFORMED_PACKET);
}

static void disconnect_v5_encode(void **state)
{
    (void)state;
    uint8_t buf[16];
    struct mqtt_disconnect d;
    memset(&d, 0, sizeof d);
    assert_int_equal(mqtt_disconnect_encode(buf, sizeof buf, &d, MQTT_V5), 2);
    assert_memory_equal(buf, ((const uint8_t[]){0xE0, 0}), 2);
    d.reason = MQTT_RC_SESSION_TAKEN_OVER;
    assert_int_equal(mqtt_disconnect_encode(buf, sizeof buf, &d, MQTT_V5), 4);
    assert_memory_equal(buf, ((const uint8_t[]){0xE0, 2, 0x8E, 0}), 4);
    d.reason = 0;
    d.props.present = MQTT_PROP_BIT(MQTT_PROP_REASON_STRING);
    d.props.reason_string = SLICE_LIT("x");
    assert_int_equal(mqtt_disconnect_encode(buf, sizeof buf, &d, MQTT_V5), 8);
    assert_memory_equal(buf, ((const uint8_t[]){0xE0, 6, 0, 4, 0x1F, 0, 1, 'x'}), 8);
}

static void auth(void **state)
{
    (void)state;
    struct mqtt_packet p;
    const uint8_t cont[] = {0xF0, 0x0B, 0x18, 0x09, 0x15, 0, 1, 'm', 0x16, 0, 2, 0, 1};
    assert_int_equal(decode(&p, cont, sizeof cont, &V5_C), 0);
    assert_int_equal(p.u.auth.reason, MQTT_RC_CONTINUE_AUTHENTICATION);
    assert_true(slice_eq_cstr(p.u.auth.props.authentication_method, "m"));
    check_canonical(cont, sizeof cont, &V5_C);
    check_canonical(cont, sizeof cont, &V5_S);
    check_truncations(cont, sizeof cont, &V5_C);
    /* The short form of 3.15.2.1: Success without properties. */
    assert_int_equal(decode(&p, BYTES(0xF0, 0), &V5_S), 0);
    assert_int_equal(p.u.auth.reason, 0);
    check_canonical(BYTES(0xF0, 0), &V5_S);
    /* [MQTT-3.15.2-1] reason codes. */
    for (unsigned rc = 0; rc < 256; rc++) {
        uint8_t pkt[] = {0xF0, 6, (uint8_t)rc, 4, 0x15, 0, 1, 'm'};
        bool ok = rc == 0 || rc == 0x18 || rc == 0x19;
        expect_rc(pkt, sizeof pkt, &V5_C, ok ? 0 : -MQTT_RC_PROTOCOL_ERROR);
    }
    /* 3.15.2.2.2: the method may not be omitted once there is a reason code. */
    expect_rc(BYTES(0xF0, 2, 0x18, 0), &V5_C, -MQTT_RC_PROTOCOL_ERROR);
    expect_rc(BYTES(0xF0, 1, 0x19), &V5_C, -MQTT_RC_PROTOCOL_ERROR);
    expect_rc(BYTES(0xF0, 6, 0x18, 4, 0x16, 0, 1, 'd'), &V5_C, -MQTT_RC_PROTOCOL_ERROR);
    /* Twice (3.15.2.2.2), and a property AUTH may not carry (2.2.2.2). */
    expect_rc(BYTES(0xF0, 10, 0x18, 8, 0x15, 0, 1, 'm', 0x15, 0, 1, 'm'), &V5_C,
              -MQTT_RC_PROTOCOL_ERROR);
    expect_rc(BYTES(0xF0, 8, 0x18, 6, 0x15, 0, 1, 'm', 0x17, 1), &V5_C, -MQTT_RC_MALFORMED_PACKET);
    /* Type 15 is reserved before 5.0. */
    expect_rc(BYTES(0xF0, 0), &V311_C, -MQTT_RC_MALFORMED_PACKET);
    expect_rc(BYTES(0xF0, 0), &V311_S, -MQTT_RC_MALFORMED_PACKET);
    /* ...also when mqtt_auth_decode is called directly. */
    struct mqtt_frame f = {MQTT_AUTH, 0, NULL, 0, 2};
    struct mqtt_auth a;
    const char *why = NULL;
    assert_int_equal(mqtt_auth_decode(&a, &f, &V311_C, &why), -MQTT_RC_MALFORMED_PACKET);
    assert_non_null(why);
    memset(&a, 0, sizeof a);
    uint8_t buf[4];
    assert_int_equal(mqtt_auth_encode(buf, sizeof buf, &a), 2);
    assert_memory_equal(buf, ((const uint8_t[]){0xF0, 0}), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ping),
        cmocka_unit_test(disconnect_v311),
        cmocka_unit_test(disconnect_v5_reason_codes_mqtt_3_14_2_1),
        cmocka_unit_test(disconnect_v5_forms),
        cmocka_unit_test(disconnect_v5_encode),
        cmocka_unit_test(auth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
