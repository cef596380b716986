/*
 * reason.h - MQTT 5 reason codes and their 3.1.1 equivalents.
 *
 * Decoders return 0 or a negative reason code from this table (STYLE.md
 * section 7); the handler turns that into a v5 DISCONNECT or CONNACK, or
 * the 3.1.1 behaviour (close, or CONNACK return code) through the mapping
 * functions below, so the version difference lives in one place.
 * Names follow the specification's table 2-6.
 */
#ifndef PETREL_MQTT_REASON_H
#define PETREL_MQTT_REASON_H

#include <stdbool.h>
#include <stdint.h>

enum mqtt_rc {
    MQTT_RC_SUCCESS = 0x00, /* also Normal disconnection, Granted QoS 0 */
    MQTT_RC_GRANTED_QOS1 = 0x01,
    MQTT_RC_GRANTED_QOS2 = 0x02,
    MQTT_RC_DISCONNECT_WITH_WILL = 0x04,
    MQTT_RC_NO_MATCHING_SUBSCRIBERS = 0x10,
    MQTT_RC_NO_SUBSCRIPTION_EXISTED = 0x11,
    MQTT_RC_CONTINUE_AUTHENTICATION = 0x18,
    MQTT_RC_REAUTHENTICATE = 0x19,
    MQTT_RC_UNSPECIFIED_ERROR = 0x80,
    MQTT_RC_MALFORMED_PACKET = 0x81,
    MQTT_RC_PROTOCOL_ERROR = 0x82,
    MQTT_RC_IMPLEMENTATION_SPECIFIC_ERROR = 0x83,
    MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION = 0x84,
    MQTT_RC_CLIENT_IDENTIFIER_NOT_VALID = 0x85,
    MQTT_RC_BAD_USER_NAME_OR_PASSWORD = 0x86,
    MQTT_RC_NOT_AUTHORIZED = 0x87,
    MQTT_RC_SERVER_UNAVAILABLE = 0x88,
    MQTT_RC_SERVER_BUSY = 0x89,
    MQTT_RC_BANNED = 0x8A,
    MQTT_RC_SERVER_SHUTTING_DOWN = 0x8B,
    MQTT_RC_BAD_AUTHENTICATION_METHOD = 0x8C,
    MQTT_RC_KEEP_ALIVE_TIMEOUT = 0x8D,
    MQTT_RC_SESSION_TAKEN_OVER = 0x8E,
    MQTT_RC_TOPIC_FILTER_INVALID = 0x8F,
    MQTT_RC_TOPIC_NAME_INVALID = 0x90,
    MQTT_RC_PACKET_IDENTIFIER_IN_USE = 0x91,
    MQTT_RC_PACKET_IDENTIFIER_NOT_FOUND = 0x92,
    MQTT_RC_RECEIVE_MAXIMUM_EXCEEDED = 0x93,
    MQTT_RC_TOPIC_ALIAS_INVALID = 0x94,
    MQTT_RC_PACKET_TOO_LARGE = 0x95,
    MQTT_RC_MESSAGE_RATE_TOO_HIGH = 0x96,
    MQTT_RC_QUOTA_EXCEEDED = 0x97,
    MQTT_RC_ADMINISTRATIVE_ACTION = 0x98,
    MQTT_RC_PAYLOAD_FORMAT_INVALID = 0x99,
    MQTT_RC_RETAIN_NOT_SUPPORTED = 0x9A,
    MQTT_RC_QOS_NOT_SUPPORTED = 0x9B,
    MQTT_RC_USE_ANOTHER_SERVER = 0x9C,
    MQTT_RC_SERVER_MOVED = 0x9D,
    MQTT_RC_SHARED_SUBSCRIPTIONS_NOT_SUPPORTED = 0x9E,
    MQTT_RC_CONNECTION_RATE_EXCEEDED = 0x9F,
    MQTT_RC_MAXIMUM_CONNECT_TIME = 0xA0,
    MQTT_RC_SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED = 0xA1,
    MQTT_RC_WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED = 0xA2,
};

/* MQTT 3.1 / 3.1.1 CONNACK return codes. */
enum mqtt_v3_connack_rc {
    MQTT_V3_CONNACK_ACCEPTED = 0,
    MQTT_V3_CONNACK_UNACCEPTABLE_PROTOCOL_VERSION = 1,
    MQTT_V3_CONNACK_IDENTIFIER_REJECTED = 2,
    MQTT_V3_CONNACK_SERVER_UNAVAILABLE = 3,
    MQTT_V3_CONNACK_BAD_USER_NAME_OR_PASSWORD = 4,
    MQTT_V3_CONNACK_NOT_AUTHORIZED = 5,
};

/* The 3.1.1 SUBACK failure return code [MQTT-3.9.3-2]. */
#define MQTT_V3_SUBACK_FAILURE 0x80

/* Maps a v5 CONNACK reason code to the 3.1.1 return code that means the
 * same (e.g. 0x86 -> 4, 0x87 -> 5, 0x84 -> 1, 0x85 -> 2, others -> 3;
 * also 0x8A Banned -> 5 and 0x8C Bad authentication method -> 4). */
uint8_t mqtt_rc_to_v3_connack(uint8_t rc);

/* Maps a v5 SUBACK reason code to 3.1.1: granted QoS stays, any failure -> 0x80. */
uint8_t mqtt_rc_to_v3_suback(uint8_t rc);

/* The specification's name for a reason code ("Malformed Packet"), or
 * "Unknown" (for logs and reason strings). */
const char *mqtt_rc_name(uint8_t rc);

#endif
