/*
 * test_packet.c - mqtt_packet_decode: the direction check of table 2-1,
 * and every packet type through the dispatcher (round trips, truncations).
 */
#include "codec_test.h"

struct pkt {
    uint8_t b[24];
    size_t n;
};

/* A minimal valid packet of each type for a version (3.x or 5). */
static struct pkt minimal(uint8_t type, bool v5)
{
    switch (type) {
    case MQTT_CONNECT:
        if (v5)
            return (struct pkt){{0x10, 0x0D, 0, 4, 'M', 'Q', 'T', 'T', 5, 2, 0, 0, 0, 0, 0}, 15};
        return (struct pkt){{0x10, 0x0C, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 0, 0, 0}, 14};
    case MQTT_CONNACK:
        return v5 ? (struct pkt){{0x20, 3, 0, 0, 0}, 5} : (struct pkt){{0x20, 2, 0, 0}, 4};
    case MQTT_PUBLISH:
        return v5 ? (struct pkt){{0x30, 4, 0, 1, 't', 0}, 6}
                  : (struct pkt){{0x30, 3, 0, 1, 't'}, 5};
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBCOMP:
        return (struct pkt){{(uint8_t)(type << 4), 2, 0, 1}, 4};
    case MQTT_PUBREL:
        return (struct pkt){{0x62, 2, 0, 1}, 4};
    case MQTT_SUBSCRIBE:
        return v5 ? (struct pkt){{0x82, 7, 0, 1, 0, 0, 1, 'a', 0}, 9}
                  : (struct pkt){{0x82, 6, 0, 1, 0, 1, 'a', 0}, 8};
    case MQTT_SUBACK:
        return v5 ? (struct pkt){{0x90, 4, 0, 1, 0, 0}, 6} : (struct pkt){{0x90, 3, 0, 1, 0}, 5};
    case MQTT_UNSUBSCRIBE:
        return v5 ? (struct pkt){{0xA2, 6, 0, 1, 0, 0, 1, 'a'}, 8}
                  : (struct pkt){{0xA2, 5, 0, 1, 0, 1, 'a'}, 7};
    case MQTT_UNSUBACK:
        return v5 ? (struct pkt){{0xB0, 4, 0, 1, 0, 0}, 6} : (struct pkt){{0xB0, 2, 0, 1}, 4};
    default: /* PINGREQ, PINGRESP, DISCONNECT, AUTH */
        return (struct pkt){{(uint8_t)(type << 4), 0}, 2};
    }
}

/* Table 2-1 (5.0) and table 2.1 (3.1.1), written out again. */
static int expected(uint8_t type, uint8_t version, enum mqtt_sender from)
{
    bool client = from == MQTT_FROM_CLIENT;
    switch (type) {
    case MQTT_CONNECT:
    case MQTT_SUBSCRIBE:
    case MQTT_UNSUBSCRIBE:
    case MQTT_PINGREQ:
        return client ? 0 : -MQTT_RC_PROTOCOL_ERROR;
    case MQTT_CONNACK:
    case MQTT_SUBACK:
    case MQTT_UNSUBACK:
    case MQTT_PINGRESP:
        return client ? -MQTT_RC_PROTOCOL_ERROR : 0;
    case MQTT_DISCONNECT:
        return client || version == MQTT_V5 ? 0 : -MQTT_RC_PROTOCOL_ERROR;
    case MQTT_AUTH:
        return version == MQTT_V5 ? 0 : -MQTT_RC_MALFORMED_PACKET;
    }
    return 0;
}

static void direction_matrix(void **state)
{
    (void)state;
    static const uint8_t versions[] = {MQTT_V31, MQTT_V311, MQTT_V5};
    for (uint8_t type = 1; type <= 15; type++) {
        for (size_t v = 0; v < 3; v++) {
            for (int s = MQTT_FROM_CLIENT; s <= MQTT_FROM_SERVER; s++) {
                struct mqtt_ctx cx = {versions[v], (enum mqtt_sender)s};
                struct pkt p = minimal(type, versions[v] == MQTT_V5);
                struct mqtt_packet out;
                int want = expected(type, versions[v], (enum mqtt_sender)s);
                int rc = decode(&out, p.b, p.n, &cx);
                if (rc != want)
                    print_error("type %u version %u sender %d: rc %d, want %d\n", type, versions[v],
                                s, rc, want);
                assert_int_equal(rc, want);
                assert_int_equal(out.type, type);
                if (want == 0) {
                    check_canonical(p.b, p.n, &cx);
                    check_truncations(p.b, p.n, &cx);
                }
            }
        }
    }
}

static void reserved_type_zero(void **state)
{
    (void)state;
    struct mqtt_frame f = {0, 0, NULL, 0, 2};
    struct mqtt_packet out;
    const char *why = NULL;
    assert_int_equal(mqtt_packet_decode(&out, &f, &V5_C, &why), -MQTT_RC_MALFORMED_PACKET);
    assert_non_null(why);
}

/* Several packets back to back in one buffer, as a connection reads them. */
static void stream_of_frames(void **state)
{
    (void)state;
    const uint8_t stream[] = {0x10, 0x0C, 0,    4,    'M',  'Q', 'T', 'T', 4, 2,    0,
                              60,   0,    0,    0x82, 0x06, 0,   1,   0,   1, 'a',  1,
                              0xC0, 0,    0x32, 0x05, 0,    1,   'a', 0,   2, 0xE0, 0};
    static const uint8_t types[] = {MQTT_CONNECT, MQTT_SUBSCRIBE, MQTT_PINGREQ, MQTT_PUBLISH,
                                    MQTT_DISCONNECT};
    size_t off = 0, i = 0;
    struct mqtt_frame f;
    struct mqtt_packet p;
    while (off < sizeof stream) {
        assert_int_equal(mqtt_frame_parse(&f, stream + off, sizeof stream - off, 0, NULL), 1);
        assert_int_equal(mqtt_packet_decode(&p, &f, &V311_C, NULL), 0);
        assert_int_equal(p.type, types[i++]);
        off += f.frame_len;
    }
    assert_int_equal(i, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(direction_matrix),
        cmocka_unit_test(reserved_type_zero),
        cmocka_unit_test(stream_of_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
