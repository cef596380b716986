/*
 * reason.c - reason code names, the per-packet sets of allowed codes, and
 * the mapping of v5 codes to 3.1.1 return codes.
 *
 * A v5 packet carrying a reason code its sender may not use is a Protocol
 * Error: the packet parses, but "contains data that is not allowed by the
 * protocol" (the definition in section 1.2), and each packet's section
 * binds the sender to its table ([MQTT-3.2.2-8], [MQTT-3.4.2-1],
 * [MQTT-3.5.2-1], [MQTT-3.6.2-1], [MQTT-3.7.2-1], [MQTT-3.9.3-2],
 * [MQTT-3.11.3-2], [MQTT-3.14.2-1], [MQTT-3.15.2-1]).
 */
#include "mqtt/codec_int.h"

/* A reason code table: a short list scanned with memchr (a dozen codes). */
struct rc_list {
    const uint8_t *codes;
    size_t n;
};

#define LIST(...)                                                                                  \
    {                                                                                              \
        (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})                     \
    }

/* Table 3-1. */
static const struct rc_list connack_rcs =
    LIST(0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95,
         0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F);
/* Tables 3-4 (PUBACK) and 3-5 (PUBREC). */
static const struct rc_list puback_rcs = LIST(0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99);
/* Tables 3-6 (PUBREL) and 3-7 (PUBCOMP). */
static const struct rc_list pubrel_rcs = LIST(0x00, 0x92);
/* Table 3-8. */
static const struct rc_list suback_rcs =
    LIST(0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2);
/* Table 3-9. */
static const struct rc_list unsuback_rcs = LIST(0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91);
/* Table 3-10, split by the "Sent by" column. */
static const struct rc_list disconnect_both_rcs =
    LIST(0x00, 0x80, 0x81, 0x82, 0x83, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99);
static const struct rc_list disconnect_client_rcs = LIST(0x04);
static const struct rc_list disconnect_server_rcs =
    LIST(0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2);
/* Table 3-11. */
static const struct rc_list auth_rcs = LIST(0x00, 0x18, 0x19);

static bool in_list(const struct rc_list *l, uint8_t rc)
{
    return memchr(l->codes, rc, l->n) != NULL;
}

bool mqtt_rc_allowed(uint8_t type, enum mqtt_sender sender, uint8_t rc)
{
    switch (type) {
    case MQTT_CONNACK:
        return in_list(&connack_rcs, rc);
    case MQTT_PUBACK:
    case MQTT_PUBREC:
        return in_list(&puback_rcs, rc);
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        return in_list(&pubrel_rcs, rc);
    case MQTT_SUBACK:
        return in_list(&suback_rcs, rc);
    case MQTT_UNSUBACK:
        return in_list(&unsuback_rcs, rc);
    case MQTT_DISCONNECT:
        if (in_list(&disconnect_both_rcs, rc))
            return true;
        return in_list(sender == MQTT_FROM_CLIENT ? &disconnect_client_rcs : &disconnect_server_rcs,
                       rc);
    case MQTT_AUTH:
        return in_list(&auth_rcs, rc);
    }
    return false;
}

uint8_t mqtt_rc_to_v3_connack(uint8_t rc)
{
    switch (rc) {
    case MQTT_RC_SUCCESS:
        return MQTT_V3_CONNACK_ACCEPTED;
    case MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION:
        return MQTT_V3_CONNACK_UNACCEPTABLE_PROTOCOL_VERSION;
    case MQTT_RC_CLIENT_IDENTIFIER_NOT_VALID:
        return MQTT_V3_CONNACK_IDENTIFIER_REJECTED;
    case MQTT_RC_BAD_USER_NAME_OR_PASSWORD:
    case MQTT_RC_BAD_AUTHENTICATION_METHOD:
        return MQTT_V3_CONNACK_BAD_USER_NAME_OR_PASSWORD;
    case MQTT_RC_NOT_AUTHORIZED:
    case MQTT_RC_BANNED:
        return MQTT_V3_CONNACK_NOT_AUTHORIZED;
    }
    return MQTT_V3_CONNACK_SERVER_UNAVAILABLE;
}

uint8_t mqtt_rc_to_v3_suback(uint8_t rc)
{
    return rc <= MQTT_RC_GRANTED_QOS2 ? rc : MQTT_V3_SUBACK_FAILURE;
}

static const char *const rc_names[256] = {
    [0x00] = "Success",
    [0x01] = "Granted QoS 1",
    [0x02] = "Granted QoS 2",
    [0x04] = "Disconnect with Will Message",
    [0x10] = "No matching subscribers",
    [0x11] = "No subscription existed",
    [0x18] = "Continue authentication",
    [0x19] = "Re-authenticate",
    [0x80] = "Unspecified error",
    [0x81] = "Malformed Packet",
    [0x82] = "Protocol Error",
    [0x83] = "Implementation specific error",
    [0x84] = "Unsupported Protocol Version",
    [0x85] = "Client Identifier not valid",
    [0x86] = "Bad User Name or Password",
    [0x87] = "Not authorized",
    [0x88] = "Server unavailable",
    [0x89] = "Server busy",
    [0x8A] = "Banned",
    [0x8B] = "Server shutting down",
    [0x8C] = "Bad authentication method",
    [0x8D] = "Keep Alive timeout",
    [0x8E] = "Session taken over",
    [0x8F] = "Topic Filter invalid",
    [0x90] = "Topic Name invalid",
    [0x91] = "Packet Identifier in use",
    [0x92] = "Packet Identifier not found",
    [0x93] = "Receive Maximum exceeded",
    [0x94] = "Topic Alias invalid",
    [0x95] = "Packet too large",
    [0x96] = "Message rate too high",
    [0x97] = "Quota exceeded",
    [0x98] = "Administrative action",
    [0x99] = "Payload format invalid",
    [0x9A] = "Retain not supported",
    [0x9B] = "QoS not supported",
    [0x9C] = "Use another server",
    [0x9D] = "Server moved",
    [0x9E] = "Shared Subscriptions not supported",
    [0x9F] = "Connection rate exceeded",
    [0xA0] = "Maximum connect time",
    [0xA1] = "Subscription Identifiers not supported",
    [0xA2] = "Wildcard Subscriptions not supported",
};

const char *mqtt_rc_name(uint8_t rc)
{
    return rc_names[rc] ? rc_names[rc] : "Unknown";
}
