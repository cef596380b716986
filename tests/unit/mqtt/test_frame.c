/*
 * test_frame.c - variable byte integers, fixed headers, mqtt_frame_parse.
 */
#include "codec_test.h"

static void varint_boundaries(void **state)
{
    (void)state;
    static const struct {
        uint32_t v;
        size_t size;
        uint8_t bytes[4];
    } cases[] = {
        {0, 1, {0x00}},
        {127, 1, {0x7F}},
        {128, 2, {0x80, 0x01}},
        {16383, 2, {0xFF, 0x7F}},
        {16384, 3, {0x80, 0x80, 0x01}},
        {2097151, 3, {0xFF, 0xFF, 0x7F}},
        {2097152, 4, {0x80, 0x80, 0x80, 0x01}},
        {268435455, 4, {0xFF, 0xFF, 0xFF, 0x7F}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t buf[4] = {0};
        uint32_t v = 0xDEADBEEF;
        assert_int_equal(mqtt_varint_size(cases[i].v), cases[i].size);
        assert_int_equal(mqtt_varint_encode(buf, cases[i].v), cases[i].size);
        assert_memory_equal(buf, cases[i].bytes, cases[i].size);
        assert_int_equal(mqtt_varint_decode(cases[i].bytes, cases[i].size, &v), (int)cases[i].size);
        assert_int_equal(v, cases[i].v);
        /* Every shorter prefix needs more. */
        for (size_t k = 0; k < cases[i].size; k++)
            assert_int_equal(mqtt_varint_decode(cases[i].bytes, k, &v), 0);
    }
}

/* [MQTT-1.5.5-1]: at most 4 bytes; a 4th byte with its continuation bit set is malformed. */
static void varint_five_bytes_malformed_mqtt_1_5_5_1(void **state)
{
    (void)state;
    uint32_t v;
    const uint8_t five[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x01};
    assert_int_equal(mqtt_varint_decode(five, 5, &v), -1);
    assert_int_equal(mqtt_varint_decode(five, 4, &v), -1);
    const uint8_t zero5[] = {0x80, 0x80, 0x80, 0x80, 0x00};
    assert_int_equal(mqtt_varint_decode(zero5, 5, &v), -1);
}

static void varint_non_minimal_accepted(void **state)
{
    (void)state;
    uint32_t v = 99;
    assert_int_equal(mqtt_varint_decode(BYTES(0x80, 0x00), &v), 2);
    assert_int_equal(v, 0);
    assert_int_equal(mqtt_varint_decode(BYTES(0x81, 0x80, 0x80, 0x00), &v), 4);
    assert_int_equal(v, 1);
}

static void fixed_header_encode_sizes(void **state)
{
    (void)state;
    uint8_t buf[5];
    assert_int_equal(mqtt_fixed_header_encode(buf, MQTT_PUBLISH, 0x0B, 0), 2);
    assert_int_equal(buf[0], 0x3B);
    assert_int_equal(buf[1], 0);
    assert_int_equal(mqtt_fixed_header_encode(buf, MQTT_PUBREL, 2, 268435455), 5);
    assert_int_equal(buf[0], 0x62);
    assert_int_equal(mqtt_fixed_header_size(0), 2);
    assert_int_equal(mqtt_fixed_header_size(127), 2);
    assert_int_equal(mqtt_fixed_header_size(128), 3);
    assert_int_equal(mqtt_fixed_header_size(16384), 4);
    assert_int_equal(mqtt_fixed_header_size(268435455), 5);
}

static void frame_need_more(void **state)
{
    (void)state;
    struct mqtt_frame f;
    const uint8_t pkt[] = {0x30, 0x05, 0x00, 0x01, 'a', 'h', 'i', 0xC0};
    assert_int_equal(mqtt_frame_parse(&f, pkt, 0, 0, NULL), 0);
    for (size_t k = 1; k < 7; k++)
        assert_int_equal(mqtt_frame_parse(&f, pkt, k, 0, NULL), 0);
    /* A whole frame followed by the next one's first byte. */
    assert_int_equal(mqtt_frame_parse(&f, pkt, sizeof pkt, 0, NULL), 1);
    assert_int_equal(f.type, MQTT_PUBLISH);
    assert_int_equal(f.flags, 0);
    assert_int_equal(f.body_len, 5);
    assert_int_equal(f.frame_len, 7);
    assert_ptr_equal(f.body, pkt + 2);
}

static void frame_type_zero_malformed(void **state)
{
    (void)state;
    struct mqtt_frame f;
    const char *why = NULL;
    assert_int_equal(mqtt_frame_parse(&f, BYTES(0x00), 0, &why), -MQTT_RC_MALFORMED_PACKET);
    assert_non_null(why);
}

/* [MQTT-2.1.3-1]: reserved flags, checked from the first byte alone. */
static void frame_reserved_flags_mqtt_2_1_3_1(void **state)
{
    (void)state;
    struct mqtt_frame f;
    for (unsigned type = 1; type <= 15; type++) {
        unsigned required =
            (type == MQTT_PUBREL || type == MQTT_SUBSCRIBE || type == MQTT_UNSUBSCRIBE) ? 2 : 0;
        for (unsigned flags = 0; flags < 16; flags++) {
            uint8_t b = (uint8_t)(type << 4 | flags);
            int rc = mqtt_frame_parse(&f, &b, 1, 0, NULL);
            if (type == MQTT_PUBLISH || flags == required)
                assert_int_equal(rc, 0);
            else
                assert_int_equal(rc, -MQTT_RC_MALFORMED_PACKET);
        }
    }
}

/* [MQTT-1.5.5-1], reported as soon as the length bytes show it. */
static void frame_remaining_length_too_long_mqtt_1_5_5_1(void **state)
{
    (void)state;
    struct mqtt_frame f;
    assert_int_equal(mqtt_frame_parse(&f, BYTES(0x30, 0xFF, 0xFF, 0xFF), 0, NULL), 0);
    assert_int_equal(mqtt_frame_parse(&f, BYTES(0x30, 0xFF, 0xFF, 0xFF, 0xFF), 0, NULL),
                     -MQTT_RC_MALFORMED_PACKET);
    assert_int_equal(mqtt_frame_parse(&f, BYTES(0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01), 0, NULL),
                     -MQTT_RC_MALFORMED_PACKET);
}

static void frame_too_large_before_body(void **state)
{
    (void)state;
    struct mqtt_frame f;
    const char *why = NULL;
    /* 2 + 126 = 128 bytes: fits a 128 limit, not a 127 one. */
    assert_int_equal(mqtt_frame_parse(&f, BYTES(0x30, 0x7E), 128, &why), 0);
    assert_int_equal(mqtt_frame_parse(&f, BYTES(0x30, 0x7E), 127, &why), -MQTT_RC_PACKET_TOO_LARGE);
    assert_non_null(why);
    /* 0 = the protocol maximum: the largest length is allowed... */
    assert_int_equal(mqtt_frame_parse(&f, BYTES(0x30, 0xFF, 0xFF, 0xFF, 0x7F), 0, NULL), 0);
    /* ...and is too large for any smaller limit, before its body exists. */
    assert_int_equal(mqtt_frame_parse(&f, BYTES(0x30, 0xFF, 0xFF, 0xFF, 0x7F), 1u << 20, NULL),
                     -MQTT_RC_PACKET_TOO_LARGE);
}

static void frame_length_boundaries(void **state)
{
    (void)state;
    static const uint32_t lens[] = {0, 127, 128, 16383, 16384, 70000};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        size_t hdr = mqtt_fixed_header_size(lens[i]);
        uint8_t *buf = calloc(1, hdr + lens[i]);
        struct mqtt_frame f;
        assert_non_null(buf);
        assert_int_equal(mqtt_fixed_header_encode(buf, MQTT_PUBLISH, 0, lens[i]), hdr);
        assert_int_equal(mqtt_frame_parse(&f, buf, hdr + lens[i] - 1, 0, NULL), 0);
        assert_int_equal(mqtt_frame_parse(&f, buf, hdr + lens[i], 0, NULL), 1);
        assert_int_equal(f.body_len, lens[i]);
        assert_int_equal(f.frame_len, hdr + lens[i]);
        free(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(varint_boundaries),
        cmocka_unit_test(varint_five_bytes_malformed_mqtt_1_5_5_1),
        cmocka_unit_test(varint_non_minimal_accepted),
        cmocka_unit_test(fixed_header_encode_sizes),
        cmocka_unit_test(frame_need_more),
        cmocka_unit_test(frame_type_zero_malformed),
        cmocka_unit_test(frame_reserved_flags_mqtt_2_1_3_1),
        cmocka_unit_test(frame_remaining_length_too_long_mqtt_1_5_5_1),
        cmocka_unit_test(frame_too_large_before_body),
        cmocka_unit_test(frame_length_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
