/*
 * test_ack.c - PUBACK, PUBREC, PUBREL, PUBCOMP.
 */
#include "codec_test.h"

static const uint8_t types[] = {MQTT_PUBACK, MQTT_PUBREC, MQTT_PUBREL, MQTT_PUBCOMP};

static uint8_t first_byte(uint8_t type)
{
    return (uint8_t)(type << 4 | (type == MQTT_PUBREL ? 2 : 0));
}

static void ack_v311(void **state)
{
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        uint8_t b0 = first_byte(types[i]);
        struct mqtt_packet p;
        uint8_t ok[] = {b0, 2, 0x12, 0x34};
        assert_int_equal(decode(&p, ok, sizeof ok, &V311_C), 0);
        assert_int_equal(p.u.ack.type, types[i]);
        assert_int_equal(p.u.ack.packet_id, 0x1234);
        assert_int_equal(p.u.ack.reason, 0);
        check_canonical(ok, sizeof ok, &V311_C);
        check_canonical(ok, sizeof ok, &V31_S);
        check_truncations(ok, sizeof ok, &V311_S);
        /* 3.1.1: exactly two bytes. */
        uint8_t longer[] = {b0, 3, 0x12, 0x34, 0};
        expect_rc(longer, sizeof longer, &V311_C, -MQTT_RC_MALFORMED_PACKET);
        uint8_t shorter[] = {b0, 1, 0x12};
        expect_rc(shorter, sizeof shorter, &V311_C, -MQTT_RC_MALFORMED_PACKET);
        uint8_t zero[] = {b0, 2, 0, 0};
        expect_rc(zero, sizeof zero, &V311_C, -MQTT_RC_PROTOCOL_ERROR);
    }
}

static bool allowed(uint8_t type, unsigned rc)
{
    static const uint8_t puback[] = {0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99};
    static const uint8_t pubrel[] = {0x00, 0x92};
    if (type == MQTT_PUBACK || type == MQTT_PUBREC)
        return memchr(puback, (int)rc, sizeof puback) != NULL;
    return memchr(pubrel, (int)rc, sizeof pubrel) != NULL;
}

/* [MQTT-3.4.2-1] [MQTT-3.5.2-1] [MQTT-3.6.2-1] [MQTT-3.7.2-1]: any other
 * code is data the protocol does not allow: a Protocol Error (1.2). */
static void ack_v5_reason_codes(void **state)
{
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        uint8_t b0 = first_byte(types[i]);
        for (unsigned rc = 0; rc < 256; rc++) {
            uint8_t three[] = {b0, 3, 0, 9, (uint8_t)rc};
            uint8_t four[] = {b0, 4, 0, 9, (uint8_t)rc, 0};
            int want = allowed(types[i], rc) ? 0 : -MQTT_RC_PROTOCOL_ERROR;
            expect_rc(three, sizeof three, &V5_C, want);
            expect_rc(four, sizeof four, &V5_S, want);
            if (want == 0 && rc != 0) {
                struct mqtt_packet p;
                assert_int_equal(decode(&p, three, sizeof three, &V5_C), 0);
                assert_int_equal(p.u.ack.reason, rc);
                check_canonical(four, sizeof four, &V5_C);
                check_roundtrip(three, sizeof three, &V5_C);
            }
        }
    }
}

static void ack_v5_forms(void **state)
{
    (void)state;
    struct mqtt_packet p;
    /* Remaining length 2: Success, no properties (3.4.2.1). */
    assert_int_equal(decode(&p, BYTES(0x40, 2, 0, 1), &V5_C), 0);
    assert_int_equal(p.u.ack.reason, 0);
    check_canonical(BYTES(0x40, 2, 0, 1), &V5_C);
    /* Reason 0 spelled out: decodes the same, re-encodes to the short form. */
    check_roundtrip(BYTES(0x40, 4, 0, 1, 0, 0), &V5_C);
    uint8_t buf[8];
    assert_int_equal(decode(&p, BYTES(0x40, 4, 0, 1, 0, 0), &V5_C), 0);
    assert_int_equal(mqtt_ack_encode(buf, sizeof buf, &p.u.ack, MQTT_V5), 4);
    /* With properties. */
    const uint8_t props[] = {0x62, 0x0E, 0, 5, 0x92, 0x0A, 0x1F, 0, 1, 'x', 0x26, 0, 1, 'k', 0, 0};
    assert_int_equal(decode(&p, props, sizeof props, &V5_S), 0);
    assert_int_equal(p.u.ack.type, MQTT_PUBREL);
    assert_int_equal(p.u.ack.reason, MQTT_RC_PACKET_IDENTIFIER_NOT_FOUND);
    assert_true(slice_eq_cstr(p.u.ack.props.reason_string, "x"));
    check_canonical(props, sizeof props, &V5_S);
    check_truncations(props, sizeof props, &V5_S);
    /* Bytes after the properties; a property length past the end. */
    expect_rc(BYTES(0x40, 5, 0, 1, 0, 0, 0), &V5_C, -MQTT_RC_MALFORMED_PACKET);
    expect_rc(BYTES(0x40, 4, 0, 1, 0, 1), &V5_C, -MQTT_RC_MALFORMED_PACKET);
    expect_rc(BYTES(0x40, 1, 0), &V5_C, -MQTT_RC_MALFORMED_PACKET);
    expect_rc(BYTES(0x40, 2, 0, 0), &V5_C, -MQTT_RC_PROTOCOL_ERROR);
}

static void ack_encode_shortest(void **state)
{
    (void)state;
    uint8_t buf[16];
    struct mqtt_ack a;
    memset(&a, 0, sizeof a);
    a.type = MQTT_PUBREL;
    a.packet_id = 7;
    assert_int_equal(mqtt_ack_encode(buf, sizeof buf, &a, MQTT_V5), 4);
    assert_memory_equal(buf, ((const uint8_t[]){0x62, 2, 0, 7}), 4);
    assert_int_equal(mqtt_ack_encode(buf, sizeof buf, &a, MQTT_V311), 4);
    assert_memory_equal(buf, ((const uint8_t[]){0x62, 2, 0, 7}), 4);
    a.type = MQTT_PUBACK;
    a.reason = MQTT_RC_NO_MATCHING_SUBSCRIBERS;
    assert_int_equal(mqtt_ack_encode(buf, sizeof buf, &a, MQTT_V5), 6);
    assert_memory_equal(buf, ((const uint8_t[]){0x40, 4, 0, 7, 0x10, 0}), 6);
    /* 3.1.1 has no reason code: the 2-byte form whatever the struct says. */
    assert_int_equal(mqtt_ack_encode(buf, sizeof buf, &a, MQTT_V311), 4);
    assert_memory_equal(buf, ((const uint8_t[]){0x40, 2, 0, 7}), 4);
    memset(buf, 0xAA, sizeof buf);
    assert_int_equal(mqtt_ack_encode(buf, 5, &a, MQTT_V5), 6);
    assert_int_equal(buf[0], 0xAA);
}

/* The plain encoder writes what the general one writes without properties. */
static void ack_encode_plain_matches(void **state)
{
    (void)state;
    const uint8_t reasons[] = {0x00, 0x10, 0x92};
    const uint8_t versions[] = {MQTT_V31, MQTT_V311, MQTT_V5};
    for (size_t t = 0; t < 4; t++)
        for (size_t r = 0; r < 3; r++)
            for (size_t v = 0; v < 3; v++) {
                struct mqtt_ack a;
                memset(&a, 0, sizeof a);
                a.type = types[t];
                a.packet_id = 0xA55A;
                a.reason = versions[v] == MQTT_V5 ? reasons[r] : 0;
                uint8_t want[16], got[MQTT_ACK_PLAIN_MAX + 1];
                size_t n = mqtt_ack_encode(want, sizeof want, &a, versions[v]);
                memset(got, 0xEE, sizeof got);
                assert_int_equal(
                    mqtt_ack_encode_plain(got, a.type, a.packet_id, a.reason, versions[v]), n);
                assert_true(n <= MQTT_ACK_PLAIN_MAX);
                assert_memory_equal(got, want, n);
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ack_v311),
        cmocka_unit_test(ack_v5_reason_codes),
        cmocka_unit_test(ack_v5_forms),
        cmocka_unit_test(ack_encode_shortest),
        cmocka_unit_test(ack_encode_plain_matches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
