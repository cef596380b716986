/*
 * test_props.c - src/cli/common_props.c: -D properties: names, the packets
 * each may go in, value ranges, and what the codec makes of the result
 * (encoded with the codec, decoded back, compared).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli/common.h"

static char err[256];

static int add(struct cli_props *props, enum cli_tool tool, const char *cmd, const char *name,
               const char *value, const char *value2)
{
    err[0] = '\0';
    return cli_props_add(props, tool, cmd, name, value, value2, err, sizeof err);
}

static void expect_refused(enum cli_tool tool, const char *cmd, const char *name, const char *value,
                           const char *want)
{
    struct cli_props props[CLI_CMD_COUNT];
    memset(props, 0, sizeof props);
    assert_int_equal(add(props, tool, cmd, name, value, NULL), -1);
    assert_string_equal(err, want);
    cli_props_fini(props);
}

/* Encodes a PUBLISH carrying the set's properties and decodes it again. */
static void publish_round_trip(const struct cli_props *set, uint8_t *buf, size_t cap,
                               struct mqtt_publish *out)
{
    struct mqtt_publish p;
    memset(&p, 0, sizeof p);
    p.topic = SLICE_LIT("t");
    p.payload = SLICE_LIT("x");
    p.qos = 1;
    p.packet_id = 1;
    p.props = set->p;
    size_t n = mqtt_publish_encode(buf, cap, &p, MQTT_V5);
    assert_true(n <= cap);
    struct mqtt_frame f;
    const char *why = NULL;
    assert_int_equal(mqtt_frame_parse(&f, buf, n, 0, &why), 1);
    const struct mqtt_ctx cx = {MQTT_V5, MQTT_FROM_CLIENT};
    assert_int_equal(mqtt_publish_decode(out, &f, &cx, &why), 0);
}

static void test_publish_properties_round_trip(void **state)
{
    struct cli_props props[CLI_CMD_COUNT];
    memset(props, 0, sizeof props);
    assert_int_equal(add(props, CLI_PUB, "publish", "user-property", "k", "1"), 0);
    assert_int_equal(add(props, CLI_PUB, "PUBLISH", "content-type", "text/plain", NULL), 0);
    assert_int_equal(add(props, CLI_PUB, "publish", "response-topic", "r/t", NULL), 0);
    assert_int_equal(add(props, CLI_PUB, "publish", "correlation-data", "id-9", NULL), 0);
    assert_int_equal(add(props, CLI_PUB, "publish", "message-expiry-interval", "4294967295", NULL),
                     0);
    assert_int_equal(add(props, CLI_PUB, "publish", "payload-format-indicator", "1", NULL), 0);
    assert_int_equal(add(props, CLI_PUB, "publish", "user-property", "k", "2"), 0);
    cli_props_finish(props);

    uint8_t buf[512];
    struct mqtt_publish m;
    publish_round_trip(&props[CLI_CMD_PUBLISH], buf, sizeof buf, &m);
    assert_true(slice_eq(m.props.content_type, SLICE_LIT("text/plain")));
    assert_true(slice_eq(m.props.response_topic, SLICE_LIT("r/t")));
    assert_true(slice_eq(m.props.correlation_data, SLICE_LIT("id-9")));
    assert_int_equal(m.props.message_expiry_interval, UINT32_MAX);
    assert_int_equal(m.props.payload_format_indicator, 1);
    /* User properties keep their order and duplicates [MQTT-3.3.2-18]. */
    size_t pos = 0;
    struct slice k, v;
    assert_true(mqtt_props_user_next(&m.props, &pos, &k, &v));
    assert_true(slice_eq(k, SLICE_LIT("k")) && slice_eq(v, SLICE_LIT("1")));
    assert_true(mqtt_props_user_next(&m.props, &pos, &k, &v));
    assert_true(slice_eq(k, SLICE_LIT("k")) && slice_eq(v, SLICE_LIT("2")));
    assert_false(mqtt_props_user_next(&m.props, &pos, &k, &v));
    cli_props_fini(props);
}

static void test_connect_and_subscribe_values(void **state)
{
    struct cli_props props[CLI_CMD_COUNT];
    memset(props, 0, sizeof props);
    assert_int_equal(add(props, CLI_SUB, "connect", "receive-maximum", "65535", NULL), 0);
    assert_int_equal(add(props, CLI_SUB, "connect", "maximum-packet-size", "1024", NULL), 0);
    assert_int_equal(add(props, CLI_SUB, "connect", "request-problem-information", "0", NULL), 0);
    assert_int_equal(add(props, CLI_SUB, "connect", "request-response-information", "1", NULL), 0);
    assert_int_equal(add(props, CLI_SUB, "subscribe", "subscription-identifier", "268435455", NULL),
                     0);
    assert_int_equal(add(props, CLI_SUB, "will", "will-delay-interval", "10", NULL), 0);
    const struct mqtt_props *c = &props[CLI_CMD_CONNECT].p;
    assert_int_equal(c->receive_maximum, 65535);
    assert_int_equal(c->maximum_packet_size, 1024);
    assert_int_equal(c->request_problem_information, 0);
    assert_int_equal(c->request_response_information, 1);
    assert_true(MQTT_PROP_HAS(c, MQTT_PROP_REQUEST_PROBLEM_INFORMATION));
    assert_int_equal(props[CLI_CMD_SUBSCRIBE].p.subscription_identifier, 268435455);
    assert_int_equal(props[CLI_CMD_WILL].p.will_delay_interval, 10);
    cli_props_fini(props);
}

static void test_ranges(void **state)
{
    expect_refused(CLI_PUB, "publish", "payload-format-indicator", "2",
                   "-D payload-format-indicator: '2' is not a number from 0 to 1");
    expect_refused(CLI_PUB, "connect", "receive-maximum", "0",
                   "-D receive-maximum: '0' is not a number from 1 to 65535");
    expect_refused(CLI_PUB, "connect", "receive-maximum", "65536",
                   "-D receive-maximum: '65536' is not a number from 1 to 65535");
    expect_refused(CLI_PUB, "connect", "maximum-packet-size", "0",
                   "-D maximum-packet-size: '0' is not a number from 1 to 4294967295");
    expect_refused(CLI_SUB, "subscribe", "subscription-identifier", "0",
                   "-D subscription-identifier: '0' is not a number from 1 to 268435455");
    expect_refused(CLI_SUB, "subscribe", "subscription-identifier", "268435456",
                   "-D subscription-identifier: '268435456' is not a number from 1 to 268435455");
    expect_refused(CLI_PUB, "publish", "message-expiry-interval", "4294967296",
                   "-D message-expiry-interval: '4294967296' is not a number from 0 to "
                   "4294967295");
    expect_refused(CLI_PUB, "publish", "message-expiry-interval", "soon",
                   "-D message-expiry-interval: 'soon' is not a number from 0 to 4294967295");
}

static void test_strings(void **state)
{
    expect_refused(CLI_PUB, "publish", "response-topic", "a/#",
                   "-D response-topic: 'a/#' is not a valid topic name");
    expect_refused(CLI_PUB, "publish", "content-type", "\xc3\x28",
                   "-D content-type: '\xc3\x28' is not a valid UTF-8 string of up to 65535 "
                   "bytes");
    struct cli_props props[CLI_CMD_COUNT];
    memset(props, 0, sizeof props);
    assert_int_equal(add(props, CLI_PUB, "publish", "user-property", "\xff", "v"), -1);
    assert_string_equal(err, "-D user-property: name and value must be UTF-8, up to 65535 bytes");
    assert_int_equal(add(props, CLI_PUB, "publish", "user-property", "k", NULL), -1);
    assert_string_equal(err, "-D user-property needs a name and a value");
    /* An empty name or value is a valid UTF-8 string. */
    assert_int_equal(add(props, CLI_PUB, "publish", "user-property", "", ""), 0);
    cli_props_fini(props);
}

static void test_packets_and_names(void **state)
{
    expect_refused(CLI_PUB, "connect", "content-type", "x",
                   "-D: property 'content-type' is not allowed in connect");
    expect_refused(CLI_PUB, "publish", "session-expiry-interval", "1",
                   "-D: property 'session-expiry-interval' is not allowed in publish");
    expect_refused(CLI_SUB, "subscribe", "content-type", "x",
                   "-D: property 'content-type' is not allowed in subscribe");
    expect_refused(CLI_PUB, "will", "message-expiry", "1", "-D: unknown property 'message-expiry'");
    expect_refused(CLI_PUB, "publish", "topic-alias", "1",
                   "-D: property 'topic-alias' is not supported by this tool");
    expect_refused(CLI_SUB, "connect", "authentication-method", "x",
                   "-D: property 'authentication-method' is not supported by this tool");
    expect_refused(CLI_PUB, "pubrel", "user-property", "k",
                   "-D: unknown packet 'pubrel' (use connect, publish, subscribe, unsubscribe, "
                   "disconnect or will)");
    expect_refused(CLI_PUB, "subscribe", "user-property", "k",
                   "-D subscribe: this tool sends no subscribe packet");
    expect_refused(CLI_SUB, "Publish", "user-property", "k",
                   "-D Publish: this tool sends no publish packet");
    assert_true(cli_prop_is_pair("user-property"));
    assert_false(cli_prop_is_pair("content-type"));
    assert_false(cli_prop_is_pair(NULL));
}

static void test_duplicates(void **state)
{
    struct cli_props props[CLI_CMD_COUNT];
    memset(props, 0, sizeof props);
    assert_int_equal(add(props, CLI_PUB, "publish", "content-type", "a", NULL), 0);
    assert_int_equal(add(props, CLI_PUB, "publish", "content-type", "b", NULL), -1);
    assert_string_equal(err, "-D: property 'content-type' given twice for publish");
    /* The same property for another packet is another set. */
    assert_int_equal(add(props, CLI_PUB, "will", "content-type", "b", NULL), 0);
    cli_props_fini(props);
}

static void test_finish_and_fini(void **state)
{
    struct cli_props props[CLI_CMD_COUNT];
    memset(props, 0, sizeof props);
    cli_props_finish(props);
    for (int i = 0; i < CLI_CMD_COUNT; i++)
        assert_int_equal(props[i].p.passthrough.len, 0);
    assert_int_equal(mqtt_props_size(&props[CLI_CMD_PUBLISH].p, MQTT_V5), 1);
    cli_props_fini(props);
    cli_props_fini(props); /* twice is harmless */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_publish_properties_round_trip),
        cmocka_unit_test(test_connect_and_subscribe_values),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_packets_and_names),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_finish_and_fini),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
