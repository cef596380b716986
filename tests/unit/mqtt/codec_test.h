/*
 * codec_test.h - helpers for the codec's unit tests: byte tables in,
 * decoded packets or reason codes out, round trips and truncation sweeps.
 */
#ifndef PETREL_TESTS_UNIT_MQTT_CODEC_TEST_H
#define PETREL_TESTS_UNIT_MQTT_CODEC_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/mqtt_roundtrip.h"
#include "mqtt/mqtt.h"

/* A byte table argument pair: pointer, length. */
#define BYTES(...) ((const uint8_t[]){__VA_ARGS__}), sizeof((const uint8_t[]){__VA_ARGS__})

static const struct mqtt_ctx V311_C = {MQTT_V311, MQTT_FROM_CLIENT};
static const struct mqtt_ctx V311_S = {MQTT_V311, MQTT_FROM_SERVER};
static const struct mqtt_ctx V31_C = {MQTT_V31, MQTT_FROM_CLIENT};
static const struct mqtt_ctx V31_S = {MQTT_V31, MQTT_FROM_SERVER};
static const struct mqtt_ctx V5_C = {MQTT_V5, MQTT_FROM_CLIENT};
static const struct mqtt_ctx V5_S = {MQTT_V5, MQTT_FROM_SERVER};

/* Frames and decodes exactly one packet; framing must succeed. */
static inline int decode(struct mqtt_packet *out, const uint8_t *b, size_t n,
                         const struct mqtt_ctx *cx)
{
    struct mqtt_frame f;
    const char *why = NULL;
    assert_int_equal(mqtt_frame_parse(&f, b, n, 0, &why), 1);
    assert_int_equal(f.frame_len, n);
    int rc = mqtt_packet_decode(out, &f, cx, &why);
    if (rc != 0)
        assert_non_null(why); /* every error names its rule */
    return rc;
}

/* Decodes, expecting rc (0 or a negative reason code). */
static inline void expect_rc(const uint8_t *b, size_t n, const struct mqtt_ctx *cx, int rc)
{
    struct mqtt_packet p;
    assert_int_equal(decode(&p, b, n, cx), rc);
}

/* Decode, re-encode, decode: the two decodes must agree. */
static inline void check_roundtrip(const uint8_t *b, size_t n, const struct mqtt_ctx *cx)
{
    struct mqtt_packet a, c;
    uint8_t *enc = NULL;
    size_t len = 0;
    assert_int_equal(decode(&a, b, n, cx), 0);
    assert_true(rt_encode(&a, cx->version, &enc, &len));
    assert_int_equal(decode(&c, enc, len, cx), 0);
    assert_true(rt_packet_equal(&a, &c));
    free(enc);
}

/* As check_roundtrip, and the encoder must reproduce b exactly (b is in
 * the encoder's canonical form: properties in id order, shortest forms). */
static inline void check_canonical(const uint8_t *b, size_t n, const struct mqtt_ctx *cx)
{
    struct mqtt_packet a;
    uint8_t *enc = NULL;
    size_t len = 0;
    check_roundtrip(b, n, cx);
    assert_int_equal(decode(&a, b, n, cx), 0);
    assert_true(rt_encode(&a, cx->version, &enc, &len));
    assert_int_equal(len, n);
    assert_memory_equal(enc, b, n);
    free(enc);
}

/* Every prefix of a whole packet is "need more" to the framer; every
 * truncated body (in a buffer of exactly that size, so ASan sees an
 * over-read) decodes to an error or to a packet that round-trips. */
static inline void check_truncations(const uint8_t *b, size_t n, const struct mqtt_ctx *cx)
{
    struct mqtt_frame f, t;
    struct mqtt_packet p;
    for (size_t k = 0; k < n; k++)
        assert_int_equal(mqtt_frame_parse(&f, b, k, 0, NULL), 0);
    assert_int_equal(mqtt_frame_parse(&f, b, n, 0, NULL), 1);
    for (uint32_t len = 0; len < f.body_len; len++) {
        uint8_t *body = malloc(len ? len : 1);
        assert_non_null(body);
        memcpy(body, f.body, len);
        t = f;
        t.body = len ? body : NULL;
        t.body_len = len;
        const char *why = NULL;
        int rc = mqtt_packet_decode(&p, &t, cx, &why);
        if (rc == 0) {
            uint8_t *enc = NULL;
            size_t elen = 0;
            struct mqtt_packet q;
            assert_true(rt_encode(&p, cx->version, &enc, &elen));
            assert_int_equal(rt_decode(&q, enc, elen, cx), 0);
            assert_true(rt_packet_equal(&p, &q));
            free(enc);
        } else {
            assert_true(rc < 0);
            assert_non_null(why);
        }
        free(body);
    }
}

#endif
