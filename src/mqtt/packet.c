/*
 * packet.c - decode any packet: the direction check, then the decoder of
 * its family.
 *
 * Table 2-1 gives each type's direction of flow. A packet that its sender
 * may never send is a Protocol Error (it parses, but the protocol does not
 * allow it from that side), except AUTH before 5.0, where type 15 is
 * reserved and so malformed (mqtt_auth_decode's rule). What must come
 * first (CONNECT) or not twice is connection state: the broker's check.
 */
#include "mqtt/codec_int.h"

/* Bit per type that only a client sends, and that only a server sends. */
#define T(t) (1u << MQTT_##t)
static const unsigned client_only = T(CONNECT) | T(SUBSCRIBE) | T(UNSUBSCRIBE) | T(PINGREQ);
static const unsigned server_only = T(CONNACK) | T(SUBACK) | T(UNSUBACK) | T(PINGRESP);

static int direction_check(uint8_t type, const struct mqtt_ctx *cx, const char **why)
{
    if (type == MQTT_AUTH && cx->version < MQTT_V5)
        return MALFORMED(why, "AUTH before MQTT 5 (packet type 15 is reserved)");
    if (cx->sender == MQTT_FROM_CLIENT && (server_only & (1u << type)))
        return PROTOCOL(why, "a client sent a packet only a server sends (table 2-1)");
    if (cx->sender == MQTT_FROM_SERVER && (client_only & (1u << type)))
        return PROTOCOL(why, "a server sent a packet only a client sends (table 2-1)");
    if (type == MQTT_DISCONNECT && cx->sender == MQTT_FROM_SERVER && cx->version < MQTT_V5)
        return PROTOCOL(why, "a server sent DISCONNECT before MQTT 5 (3.1.1 table 2.1)");
    return 0;
}

int mqtt_packet_decode(struct mqtt_packet *out, const struct mqtt_frame *f,
                       const struct mqtt_ctx *cx, const char **why)
{
    out->type = f->type;
    if (f->type == 0 || f->type > MQTT_AUTH)
        return MALFORMED(why, "packet type 0 is reserved");
    int rc = direction_check(f->type, cx, why);
    if (rc)
        return rc;
    switch (f->type) {
    case MQTT_CONNECT:
        return mqtt_connect_decode(&out->u.connect, f, cx, why);
    case MQTT_CONNACK:
        return mqtt_connack_decode(&out->u.connack, f, cx, why);
    case MQTT_PUBLISH:
        return mqtt_publish_decode(&out->u.publish, f, cx, why);
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        return mqtt_ack_decode(&out->u.ack, f, cx, why);
    case MQTT_SUBSCRIBE:
        return mqtt_subscribe_decode(&out->u.subscribe, f, cx, why);
    case MQTT_SUBACK:
    case MQTT_UNSUBACK:
        return mqtt_suback_decode(&out->u.suback, f, cx, why);
    case MQTT_UNSUBSCRIBE:
        return mqtt_unsubscribe_decode(&out->u.unsubscribe, f, cx, why);
    case MQTT_PINGREQ:
    case MQTT_PINGRESP:
        return mqtt_ping_decode(f, cx, why);
    case MQTT_DISCONNECT:
        return mqtt_disconnect_decode(&out->u.disconnect, f, cx, why);
    default:
        return mqtt_auth_decode(&out->u.auth, f, cx, why);
    }
}
