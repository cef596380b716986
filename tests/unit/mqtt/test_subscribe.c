/*
 * test_subscribe.c - SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK.
 */
#include "codec_test.h"

#define SUB_V311 0x82, 0x0C, 0, 10, 0, 3, 'a', '/', 'b', 1, 0, 1, '#', 2
#define SUB_V5 0x82, 0x09, 0, 10, 0, 0, 3, 'a', '/', 'b', 0x2D

static void subscribe_v311(void **state)
{
    (void)state;
    struct mqtt_packet p;
    struct mqtt_subscription e;
    size_t pos = 0;
    assert_int_equal(decode(&p, BYTES(SUB_V311), &V311_C), 0);
    const struct mqtt_subscribe *s = &p.u.subscribe;
    assert_int_equal(s->packet_id, 10);
    assert_int_equal(s->count, 2);
    assert_true(mqtt_subscribe_next(s, &pos, &e));
    assert_true(slice_eq_cstr(e.filter, "a/b"));
    assert_int_equal(e.qos, 1);
    assert_int_equal(e.status, 0);
    assert_true(mqtt_subscribe_next(s, &pos, &e));
    assert_true(slice_eq_cstr(e.filter, "#"));
    assert_int_equal(e.qos, 2);
    assert_false(e.no_local);
    assert_false(mqtt_subscribe_next(s, &pos, &e));
    check_canonical(BYTES(SUB_V311), &V311_C);
    check_canonical(BYTES(SUB_V311), &V31_C);
    check_truncations(BYTES(SUB_V311), &V311_C);
}

/* 3.1.1 [MQTT-3.8.3-4]: reserved option bits or QoS 3 make it malformed. */
static void subscribe_v311_options_mqtt_3_8_3_4(void **state)
{
    (void)state;
    for (unsigned opts = 0; opts < 256; opts++) {
        uint8_t pkt[] = {0x82, 6, 0, 1, 0, 1, 'a', (uint8_t)opts};
        expect_rc(pkt, sizeof pkt, &V311_C, opts <= 2 ? 0 : -MQTT_RC_MALFORMED_PACKET);
    }
}

static void subscribe_v5_options(void **state)
{
    (void)state;
    struct mqtt_packet p;
    struct mqtt_subscription e;
    size_t pos = 0;
    assert_int_equal(decode(&p, BYTES(SUB_V5), &V5_C), 0);
    assert_true(mqtt_subscribe_next(&p.u.subscribe, &pos, &e));
    assert_int_equal(e.qos, 1);
    assert_true(e.no_local);
    assert_true(e.retain_as_published);
    assert_int_equal(e.retain_handling, 2);
    check_canonical(BYTES(SUB_V5), &V5_C);
    for (unsigned opts = 0; opts < 256; opts++) {
        uint8_t pkt[] = {0x82, 7, 0, 1, 0, 0, 1, 'a', (uint8_t)opts};
        int want = 0;
        if (opts & 0xC0)
            want = -MQTT_RC_MALFORMED_PACKET; /* [MQTT-3.8.3-5] */
        else if ((opts & 3) == 3 || ((opts >> 4) & 3) == 3)
            want = -MQTT_RC_PROTOCOL_ERROR; /* 3.8.3.1 */
        expect_rc(pkt, sizeof pkt, &V5_C, want);
    }
}

/* 5.0 [MQTT-3.8.3-4]: No Local on a shared subscription. */
static void subscribe_no_local_shared_mqtt_3_8_3_4(void **state)
{
    (void)state;
    expect_rc(
        BYTES(0x82, 0x10, 0, 1, 0, 0, 10, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', 't', 0x04),
        &V5_C, -MQTT_RC_PROTOCOL_ERROR);
    struct mqtt_packet p;
    struct mqtt_subscription e;
    size_t pos = 0;
    assert_int_equal(decode(&p,
                            BYTES(0x82, 0x10, 0, 1, 0, 0, 10, '$', 's', 'h', 'a', 'r', 'e', '/',
                                  'g', '/', 't', 0x01),
                            &V5_C),
                     0);
    assert_true(mqtt_subscribe_next(&p.u.subscribe, &pos, &e));
    assert_int_equal(e.status, 0);
}

static void subscribe_filter_status(void **state)
{
    (void)state;
    struct mqtt_packet p;
    struct mqtt_subscription e;
    size_t pos = 0;
    /* "a#", "", "$share/g" (no filter), "+/x": the bytes are fine; per-entry status. */
    const uint8_t pkt[] = {0x82, 0x1B, 0,   1,   0,   2,   'a', '#', 0, 0, 0,   0,   0,   8, '$',
                           's',  'h',  'a', 'r', 'e', '/', 'g', 0,   0, 3, '+', '/', 'x', 1};
    assert_int_equal(decode(&p, pkt, sizeof pkt, &V311_C), 0);
    assert_int_equal(p.u.subscribe.count, 4);
    static const uint8_t want[] = {MQTT_RC_TOPIC_FILTER_INVALID, MQTT_RC_TOPIC_FILTER_INVALID,
                                   MQTT_RC_TOPIC_FILTER_INVALID, 0};
    for (size_t i = 0; i < 4; i++) {
        assert_true(mqtt_subscribe_next(&p.u.subscribe, &pos, &e));
        assert_int_equal(e.status, want[i]);
    }
    assert_false(mqtt_subscribe_next(&p.u.subscribe, &pos, &e));
    check_canonical(pkt, sizeof pkt, &V311_C);
    check_truncations(pkt, sizeof pkt, &V311_C);
}

static void subscribe_malformed(void **state)
{
    (void)state;
    /* [MQTT-3.8.3-3] (3.1.1) / [MQTT-3.8.3-2] (5.0): at least one entry. */
    expect_rc(BYTES(0x82, 2, 0, 1), &V311_C, -MQTT_RC_PROTOCOL_ERROR);
    expect_rc(BYTES(0x82, 3, 0, 1, 0), &V5_C, -MQTT_RC_PROTOCOL_ERROR);
    /* [MQTT-2.3.1-1] packet identifier 0. */
    expect_rc(BYTES(0x82, 6, 0, 0, 0, 1, 'a', 0), &V311_C, -MQTT_RC_PROTOCOL_ERROR);
    /* [MQTT-3.8.3-1] ill-formed UTF-8 filter. */
    expect_rc(BYTES(0x82, 6, 0, 1, 0, 1, 0x80, 0), &V311_C, -MQTT_RC_MALFORMED_PACKET);
    /* An entry without its options byte, a filter past the end. */
    expect_rc(BYTES(0x82, 5, 0, 1, 0, 1, 'a'), &V311_C, -MQTT_RC_MALFORMED_PACKET);
    expect_rc(BYTES(0x82, 5, 0, 1, 0, 9, 'a'), &V311_C, -MQTT_RC_MALFORMED_PACKET);
    expect_rc(BYTES(0x82, 1, 0), &V311_C, -MQTT_RC_MALFORMED_PACKET);
}

/* The iterators stop, without reading past the slice, on bytes that were
 * not decoded (a caller's mistake, not a client's). */
static void iterators_on_undecoded_bytes(void **state)
{
    (void)state;
    struct mqtt_subscribe s;
    struct mqtt_unsubscribe u;
    struct mqtt_subscription e;
    struct slice f;
    uint8_t status;
    size_t pos = 0;
    memset(&s, 0, sizeof s);
    memset(&u, 0, sizeof u);
    s.entries = SLICE_LIT("\x00\x01"
                          "a"); /* no options byte */
    assert_false(mqtt_subscribe_next(&s, &pos, &e));
    assert_int_equal(pos, s.entries.len);
    pos = 0;
    u.entries = SLICE_LIT("\x00\x05"
                          "ab");
    assert_false(mqtt_unsubscribe_next(&u, &pos, &f, &status));
    assert_int_equal(pos, u.entries.len);
    pos = 0;
    assert_false(mqtt_unsubscribe_next(&(struct mqtt_unsubscribe){0}, &pos, &f, &status));
}

static void subscribe_encode(void **state)
{
    (void)state;
    struct mqtt_subscription subs[2] = {
        {SLICE_LIT("a/b"), 1, true, true, 2, 0},
        {SLICE_LIT("#"), 2, false, false, 0, 0},
    };
    struct mqtt_subscribe s;
    memset(&s, 0, sizeof s);
    s.packet_id = 10;
    s.count = 2;
    s.subs = subs;
    uint8_t buf[32];
    /* 3.1.1 writes only the QoS bits. */
    assert_int_equal(mqtt_subscribe_encode(buf, sizeof buf, &s, MQTT_V311), 14);
    assert_memory_equal(buf, ((const uint8_t[]){SUB_V311}), 14);
    s.count = 1;
    assert_int_equal(mqtt_subscribe_encode(buf, sizeof buf, &s, MQTT_V5), 11);
    assert_memory_equal(buf, ((const uint8_t[]){SUB_V5}), 11);
    memset(buf, 0xAA, sizeof buf);
    assert_int_equal(mqtt_subscribe_encode(buf, 10, &s, MQTT_V5), 11);
    assert_int_equal(buf[0], 0xAA);
}

/* ---- UNSUBSCRIBE -------------------------------------------------------- */

static void unsubscribe(void **state)
{
    (void)state;
    struct mqtt_packet p;
    struct slice f;
    uint8_t status;
    size_t pos = 0;
    const uint8_t v311[] = {0xA2, 0x0A, 0, 11, 0, 3, 'a', '/', 'b', 0, 1, '#'};
    assert_int_equal(decode(&p, v311, sizeof v311, &V311_C), 0);
    assert_int_equal(p.u.unsubscribe.packet_id, 11);
    assert_int_equal(p.u.unsubscribe.count, 2);
    assert_true(mqtt_unsubscribe_next(&p.u.unsubscribe, &pos, &f, &status));
    assert_true(slice_eq_cstr(f, "a/b"));
    assert_int_equal(status, 0);
    assert_true(mqtt_unsubscribe_next(&p.u.unsubscribe, &pos, &f, &status));
    assert_true(slice_eq_cstr(f, "#"));
    assert_false(mqtt_unsubscribe_next(&p.u.unsubscribe, &pos, &f, &status));
    check_canonical(v311, sizeof v311, &V311_C);
    check_truncations(v311, sizeof v311, &V311_C);
    const uint8_t v5[] = {0xA2, 0x0D, 0, 11, 6, 0x26, 0, 1, 'k', 0, 0, 0, 2, 'a', '+'};
    assert_int_equal(decode(&p, v5, sizeof v5, &V5_C), 0);
    pos = 0;
    assert_true(mqtt_unsubscribe_next(&p.u.unsubscribe, &pos, &f, &status));
    assert_int_equal(status, MQTT_RC_TOPIC_FILTER_INVALID);
    check_canonical(v5, sizeof v5, &V5_C);
    check_truncations(v5, sizeof v5, &V5_C);
    /* [MQTT-3.10.3-2] at least one filter; [MQTT-3.10.3-1] UTF-8. */
    expect_rc(BYTES(0xA2, 2, 0, 1), &V311_C, -MQTT_RC_PROTOCOL_ERROR);
    expect_rc(BYTES(0xA2, 3, 0, 1, 0), &V5_C, -MQTT_RC_PROTOCOL_ERROR);
    expect_rc(BYTES(0xA2, 5, 0, 1, 0, 1, 0xFE), &V311_C, -MQTT_RC_MALFORMED_PACKET);
    expect_rc(BYTES(0xA2, 5, 0, 1, 0, 2, 'a'), &V311_C, -MQTT_RC_MALFORMED_PACKET);
    expect_rc(BYTES(0xA2, 5, 0, 0, 0, 1, 'a'), &V311_C, -MQTT_RC_PROTOCOL_ERROR);
    /* SUBSCRIBE-only property (Subscription Identifier) in UNSUBSCRIBE (2.2.2.2). */
    expect_rc(BYTES(0xA2, 8, 0, 1, 2, 0x0B, 1, 0, 1, 'a'), &V5_C, -MQTT_RC_MALFORMED_PACKET);
}

/* ---- SUBACK / UNSUBACK -------------------------------------------------- */

static void suback_v311(void **state)
{
    (void)state;
    for (unsigned rc = 0; rc < 256; rc++) {
        uint8_t pkt[] = {0x90, 3, 0, 10, (uint8_t)rc};
        bool ok = rc <= 2 || rc == 0x80; /* [MQTT-3.9.3-2] */
        expect_rc(pkt, sizeof pkt, &V311_S, ok ? 0 : -MQTT_RC_PROTOCOL_ERROR);
    }
    check_canonical(BYTES(0x90, 5, 0, 10, 0, 1, 0x80), &V311_S);
    check_truncations(BYTES(0x90, 5, 0, 10, 0, 1, 0x80), &V311_S);
    expect_rc(BYTES(0x90, 2, 0, 10), &V311_S, -MQTT_RC_PROTOCOL_ERROR);
    /* 3.1.1 UNSUBACK: exactly the packet identifier. */
    check_canonical(BYTES(0xB0, 2, 0, 10), &V311_S);
    expect_rc(BYTES(0xB0, 3, 0, 10, 0), &V311_S, -MQTT_RC_MALFORMED_PACKET);
    expect_rc(BYTES(0xB0, 2, 0, 0), &V311_S, -MQTT_RC_PROTOCOL_ERROR);
}

static void suback_v5(void **state)
{
    (void)state;
    static const uint8_t sub_ok[] = {0x00, 0x01, 0x02, 0x80, 0x83, 0x87,
                                     0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2};
    static const uint8_t unsub_ok[] = {0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91};
    for (unsigned rc = 0; rc < 256; rc++) {
        uint8_t sub[] = {0x90, 4, 0, 10, 0, (uint8_t)rc};
        uint8_t unsub[] = {0xB0, 4, 0, 10, 0, (uint8_t)rc};
        bool sok = memchr(sub_ok, (int)rc, sizeof sub_ok) != NULL;
        bool uok = memchr(unsub_ok, (int)rc, sizeof unsub_ok) != NULL;
        /* [MQTT-3.9.3-2] [MQTT-3.11.3-2] */
        expect_rc(sub, sizeof sub, &V5_S, sok ? 0 : -MQTT_RC_PROTOCOL_ERROR);
        expect_rc(unsub, sizeof unsub, &V5_S, uok ? 0 : -MQTT_RC_PROTOCOL_ERROR);
    }
    const uint8_t full[] = {0x90, 0x0A, 0, 10, 4, 0x1F, 0, 1, 'r', 0x00, 0x01, 0x8F};
    check_canonical(full, sizeof full, &V5_S);
    check_truncations(full, sizeof full, &V5_S);
    check_canonical(BYTES(0xB0, 5, 0, 10, 0, 0x11, 0x00), &V5_S);
    expect_rc(BYTES(0xB0, 3, 0, 10, 0), &V5_S, -MQTT_RC_PROTOCOL_ERROR);
}

static void suback_encode(void **state)
{
    (void)state;
    uint8_t buf[16];
    struct mqtt_suback s;
    memset(&s, 0, sizeof s);
    s.type = MQTT_UNSUBACK;
    s.packet_id = 3;
    s.reasons = SLICE_LIT("\x00\x11");
    assert_int_equal(mqtt_suback_encode(buf, sizeof buf, &s, MQTT_V311), 4);
    assert_memory_equal(buf, ((const uint8_t[]){0xB0, 2, 0, 3}), 4);
    assert_int_equal(mqtt_suback_encode(buf, sizeof buf, &s, MQTT_V5), 7);
    assert_memory_equal(buf, ((const uint8_t[]){0xB0, 5, 0, 3, 0, 0, 0x11}), 7);
    s.type = MQTT_SUBACK;
    s.reasons = SLICE_LIT("\x02\x80");
    assert_int_equal(mqtt_suback_encode(buf, sizeof buf, &s, MQTT_V311), 6);
    assert_memory_equal(buf, ((const uint8_t[]){0x90, 4, 0, 3, 2, 0x80}), 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(subscribe_v311),
        cmocka_unit_test(subscribe_v311_options_mqtt_3_8_3_4),
        cmocka_unit_test(subscribe_v5_options),
        cmocka_unit_test(subscribe_no_local_shared_mqtt_3_8_3_4),
        cmocka_unit_test(subscribe_filter_status),
        cmocka_unit_test(subscribe_malformed),
        cmocka_unit_test(iterators_on_undecoded_bytes),
        cmocka_unit_test(subscribe_encode),
        cmocka_unit_test(unsubscribe),
        cmocka_unit_test(suback_v311),
        cmocka_unit_test(suback_v5),
        cmocka_unit_test(suback_encode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
