/*
 * test_reason.c - reason code names and the 3.1.1 mappings.
 */
#include "codec_test.h"

static void names(void **state)
{
    (void)state;
    assert_string_equal(mqtt_rc_name(0x00), "Success");
    assert_string_equal(mqtt_rc_name(0x81), "Malformed Packet");
    assert_string_equal(mqtt_rc_name(0x82), "Protocol Error");
    assert_string_equal(mqtt_rc_name(0x95), "Packet too large");
    assert_string_equal(mqtt_rc_name(0xA2), "Wildcard Subscriptions not supported");
    assert_string_equal(mqtt_rc_name(0x03), "Unknown");
    assert_string_equal(mqtt_rc_name(0xFF), "Unknown");
    /* Every code of the enum has a name. */
    static const uint8_t all[] = {0x00, 0x01, 0x02, 0x04, 0x10, 0x11, 0x18, 0x19, 0x80, 0x81, 0x82,
                                  0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8B, 0x8C, 0x8D,
                                  0x8E, 0x8F, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98,
                                  0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2};
    for (size_t i = 0; i < sizeof all; i++)
        assert_string_not_equal(mqtt_rc_name(all[i]), "Unknown");
}

static void v3_connack(void **state)
{
    (void)state;
    assert_int_equal(mqtt_rc_to_v3_connack(MQTT_RC_SUCCESS), 0);
    assert_int_equal(mqtt_rc_to_v3_connack(MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION), 1);
    assert_int_equal(mqtt_rc_to_v3_connack(MQTT_RC_CLIENT_IDENTIFIER_NOT_VALID), 2);
    assert_int_equal(mqtt_rc_to_v3_connack(MQTT_RC_SERVER_UNAVAILABLE), 3);
    assert_int_equal(mqtt_rc_to_v3_connack(MQTT_RC_SERVER_BUSY), 3);
    assert_int_equal(mqtt_rc_to_v3_connack(MQTT_RC_BAD_USER_NAME_OR_PASSWORD), 4);
    assert_int_equal(mqtt_rc_to_v3_connack(MQTT_RC_BAD_AUTHENTICATION_METHOD), 4);
    assert_int_equal(mqtt_rc_to_v3_connack(MQTT_RC_NOT_AUTHORIZED), 5);
    assert_int_equal(mqtt_rc_to_v3_connack(MQTT_RC_BANNED), 5);
    assert_int_equal(mqtt_rc_to_v3_connack(MQTT_RC_MALFORMED_PACKET), 3);
    assert_int_equal(mqtt_rc_to_v3_connack(MQTT_RC_QUOTA_EXCEEDED), 3);
}

static void v3_suback(void **state)
{
    (void)state;
    assert_int_equal(mqtt_rc_to_v3_suback(0), 0);
    assert_int_equal(mqtt_rc_to_v3_suback(1), 1);
    assert_int_equal(mqtt_rc_to_v3_suback(2), 2);
    assert_int_equal(mqtt_rc_to_v3_suback(MQTT_RC_TOPIC_FILTER_INVALID), 0x80);
    assert_int_equal(mqtt_rc_to_v3_suback(MQTT_RC_NOT_AUTHORIZED), 0x80);
    assert_int_equal(mqtt_rc_to_v3_suback(MQTT_RC_UNSPECIFIED_ERROR), 0x80);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names),
        cmocka_unit_test(v3_connack),
        cmocka_unit_test(v3_suback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
