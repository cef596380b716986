/*
 * fuzz_mqtt_decode.c - libFuzzer target over framing and decoding.
 *
 * Input: one selector byte, then a byte stream as a connection would read
 * it. The selector picks the protocol version (low two bits, modulo 3:
 * 3.1, 3.1.1, 5.0), the sender (bit 7: server) and, with bit 6, a small
 * maximum packet size (64..1072 bytes) so the size limit is exercised.
 * Each frame's body is copied into a buffer of exactly its size, so a
 * decoder reading past its body is caught by ASan even mid-stream.
 *
 * For every packet that decodes, the lists are walked (user properties,
 * SUBSCRIBE entries, UNSUBSCRIBE filters), properties are filtered, topic
 * names are matched against the filters seen so far, and the packet is
 * re-encoded and decoded again: that must succeed and give the same packet.
 * Any failure aborts, which libFuzzer reports as a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/mqtt_roundtrip.h"
#include "mqtt/mqtt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The last valid topic filter and topic name seen, for mqtt_topic_matches
 * across packets; each keeps the body buffer it points into alive. */
struct seen {
    struct slice filter;
    struct slice topic;
    uint8_t *filter_buf;
    uint8_t *topic_buf;
    bool new_filter, new_topic; /* set by the last walk() */
};

static void walk_props(const struct mqtt_props *p)
{
    size_t pos = 0, count = 0;
    struct slice k, v;
    while (mqtt_props_user_next(p, &pos, &k, &v)) {
        CHECK(mqtt_utf8_valid(k) && mqtt_utf8_valid(v));
        count++;
    }
    CHECK(count == p->user_property_count);
    uint8_t out[256];
    uint64_t drop = MQTT_PROP_BIT(MQTT_PROP_TOPIC_ALIAS) |
                    MQTT_PROP_BIT(MQTT_PROP_SUBSCRIPTION_IDENTIFIER) |
                    MQTT_PROP_BIT(MQTT_PROP_MESSAGE_EXPIRY_INTERVAL);
    size_t n = mqtt_props_filter(p->raw, drop, out, sizeof out);
    CHECK(n <= p->raw.len);
    CHECK(mqtt_props_filter(p->raw, 0, NULL, 0) == p->raw.len);
}

static void walk_subscribe(const struct mqtt_subscribe *s, struct seen *seen)
{
    size_t pos = 0;
    uint32_t count = 0;
    struct mqtt_subscription e;
    while (mqtt_subscribe_next(s, &pos, &e)) {
        CHECK(e.qos <= 2 && e.retain_handling <= 2);
        struct slice group, real;
        if (e.status == 0 && !mqtt_topic_shared_split(e.filter, &group, &real)) {
            seen->filter = e.filter;
            seen->new_filter = true;
        }
        count++;
    }
    CHECK(count == s->count);
}

static void walk_unsubscribe(const struct mqtt_unsubscribe *u)
{
    size_t pos = 0;
    uint32_t count = 0;
    struct slice f;
    uint8_t status;
    while (mqtt_unsubscribe_next(u, &pos, &f, &status)) {
        CHECK(status == 0 || status == MQTT_RC_TOPIC_FILTER_INVALID);
        count++;
    }
    CHECK(count == u->count);
}

static void walk(const struct mqtt_packet *p, struct seen *seen)
{
    seen->new_filter = seen->new_topic = false;
    switch (p->type) {
    case MQTT_CONNECT:
        walk_props(&p->u.connect.props);
        walk_props(&p->u.connect.will.props);
        break;
    case MQTT_PUBLISH:
        walk_props(&p->u.publish.props);
        if (p->u.publish.topic.len) {
            CHECK(mqtt_topic_name_valid(p->u.publish.topic));
            seen->topic = p->u.publish.topic;
            seen->new_topic = true;
        }
        break;
    case MQTT_SUBSCRIBE:
        walk_props(&p->u.subscribe.props);
        walk_subscribe(&p->u.subscribe, seen);
        break;
    case MQTT_UNSUBSCRIBE:
        walk_props(&p->u.unsubscribe.props);
        walk_unsubscribe(&p->u.unsubscribe);
        break;
    default:
        /* connack, ack, suback, disconnect and auth props sit at different offsets */
        if (p->type == MQTT_CONNACK)
            walk_props(&p->u.connack.props);
        else if (p->type >= MQTT_PUBACK && p->type <= MQTT_PUBCOMP)
            walk_props(&p->u.ack.props);
        else if (p->type == MQTT_SUBACK || p->type == MQTT_UNSUBACK)
            walk_props(&p->u.suback.props);
        else if (p->type == MQTT_DISCONNECT)
            walk_props(&p->u.disconnect.props);
        else if (p->type == MQTT_AUTH)
            walk_props(&p->u.auth.props);
    }
    if (seen->filter.len && seen->topic.len)
        (void)mqtt_topic_matches(seen->filter, seen->topic);
}

static void roundtrip(const struct mqtt_packet *p, const struct mqtt_ctx *cx)
{
    uint8_t *enc = NULL;
    size_t len = 0;
    struct mqtt_packet q;
    CHECK(rt_encode(p, cx->version, &enc, &len));
    int rc = rt_decode(&q, enc, len, cx);
    if (rc != 0)
        fprintf(stderr, "re-decode of type %u failed: %d\n", p->type, rc);
    CHECK(rc == 0);
    CHECK(rt_packet_equal(p, &q));
    free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t versions[] = {MQTT_V31, MQTT_V311, MQTT_V5};
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    struct mqtt_ctx cx = {versions[(sel & 3) % 3],
                          (sel & 0x80) ? MQTT_FROM_SERVER : MQTT_FROM_CLIENT};
    uint32_t max = (sel & 0x40) ? 64u + (sel & 0x3Fu) * 16u : 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    struct seen seen = {SLICE_NULL, SLICE_NULL, NULL, NULL, false, false};
    while (n) {
        struct mqtt_frame f;
        const char *why = NULL;
        int rc = mqtt_frame_parse(&f, p, n, max, &why);
        CHECK(rc <= 1);
        if (rc < 0)
            CHECK(why != NULL);
        if (rc <= 0)
            break;
        CHECK(f.frame_len <= n && f.body + f.body_len == p + f.frame_len);
        CHECK(max == 0 || f.frame_len <= max);
        uint8_t *body = malloc(f.body_len ? f.body_len : 1);
        CHECK(body != NULL);
        memcpy(body, f.body, f.body_len);
        f.body = body;
        struct mqtt_packet pkt;
        why = NULL;
        rc = mqtt_packet_decode(&pkt, &f, &cx, &why);
        if (rc == 0) {
            walk(&pkt, &seen);
            roundtrip(&pkt, &cx);
            /* A packet gives a filter or a topic, never both: keep its body. */
            if (seen.new_filter) {
                free(seen.filter_buf);
                seen.filter_buf = body;
                body = NULL;
            } else if (seen.new_topic) {
                free(seen.topic_buf);
                seen.topic_buf = body;
                body = NULL;
            }
        } else {
            CHECK(rc < 0 && rc >= -0xFF && why != NULL);
        }
        free(body);
        p += f.frame_len;
        n -= f.frame_len;
    }
    free(seen.filter_buf);
    free(seen.topic_buf);
    return 0;
}
