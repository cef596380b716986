/*
 * handle.c - dispatch of framed packets by type and client state, and the
 * small packets (PINGREQ, DISCONNECT; AUTH goes to eauth.c).
 */
#include <string.h>

#include "broker/broker.h"
#include "broker/durable.h"
#include "broker/eauth.h"
#include "broker/msg.h"
#include "broker/session.h"
#include "util/alloc.h"
#include "util/log.h"

static void handle_ping(struct client *c, const struct mqtt_frame *f)
{
    struct mqtt_ctx cx = {.version = c->version, .sender = MQTT_FROM_CLIENT};
    const char *why = NULL;
    int rc = mqtt_ping_decode(f, &cx, &why);
    if (rc < 0) {
        client_protocol_error(c, (uint8_t)-rc, why);
        return;
    }
    if (durable_must_hold(c)) {
        /* Behind acknowledgements that wait for the store: answers keep
         * the order of the requests (durable.h). */
        uint8_t *bytes = xmalloc(2);
        mqtt_ping_encode(bytes, 2, MQTT_PINGRESP);
        durable_hold_packet(c->w, c->sess, bytes, 2);
        return;
    }
    uint8_t *p = client_out_reserve(c, 2);
    if (p == NULL)
        return;
    mqtt_ping_encode(p, 2, MQTT_PINGRESP);
    client_out_commit(c, 2);
}

static void handle_disconnect(struct client *c, const struct mqtt_frame *f)
{
    struct mqtt_disconnect d;
    memset(&d, 0, sizeof d);
    struct mqtt_ctx cx = {.version = c->version, .sender = MQTT_FROM_CLIENT};
    const char *why = NULL;
    int rc = mqtt_disconnect_decode(&d, f, &cx, &why);
    if (rc < 0) {
        client_protocol_error(c, (uint8_t)-rc, why);
        return;
    }
    struct session *s = c->sess;
    if (s && MQTT_PROP_HAS(&d.props, MQTT_PROP_SESSION_EXPIRY_INTERVAL)) {
        /* A session that was to end with the connection cannot be made to
         * outlive it at DISCONNECT: not a valid DISCONNECT, answered with
         * 0x82, and so the will goes out (MQTT 5.0 section 3.14.2.2.2). */
        if (s->expiry_interval == 0 && d.props.session_expiry_interval != 0) {
            client_protocol_error(c, MQTT_RC_PROTOCOL_ERROR,
                                  "DISCONNECT sets a Session Expiry Interval after CONNECT had 0 "
                                  "(section 3.14.2.2.2)");
            return;
        }
        /* Otherwise the session now lasts this long, and a will's delay is
         * capped by it (will.c). */
        s->expiry_interval = d.props.session_expiry_interval;
    }
    /* Only a Normal disconnection (0x00) discards the will [MQTT-3.1.2-10]
     * [MQTT-3.14.4-3]; any other reason code, 0x04 Disconnect with Will
     * Message among them, leaves a connection closed "without first
     * sending a DISCONNECT packet with Reason Code 0x00", so the will is
     * published, after its delay [MQTT-3.1.2-8]. A 3.1.1 DISCONNECT has no
     * reason code and always discards it. */
    bool will = c->version == MQTT_V5 && d.reason != MQTT_RC_SUCCESS;
    client_close(c, 0, false, will, "DISCONNECT");
}

void broker_handle_packet(struct client *c, const struct mqtt_frame *f)
{
    if (c->state == CLIENT_NEW) {
        /* client_process_input has checked this is a CONNECT [MQTT-3.1.0-1]. */
        broker_handle_connect(c, f);
        return;
    }
    if (c->state == CLIENT_CHALLENGE) {
        /* Enhanced authentication under way: AUTH or DISCONNECT only
         * [MQTT-3.1.2-30]; anything else is refused in CONNACK. */
        if (f->type == MQTT_AUTH)
            eauth_handle_auth(c, f);
        else if (f->type == MQTT_DISCONNECT)
            client_close(c, 0, false, false, "DISCONNECT during authentication");
        else
            broker_connect_refuse(c, MQTT_RC_PROTOCOL_ERROR,
                                  "packet other than AUTH before CONNACK [MQTT-3.1.2-30]");
        return;
    }
    switch (f->type) {
    case MQTT_PUBLISH:
        broker_handle_publish(c, f);
        break;
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        broker_handle_ack(c, f);
        break;
    case MQTT_SUBSCRIBE:
        broker_handle_subscribe(c, f);
        break;
    case MQTT_UNSUBSCRIBE:
        broker_handle_unsubscribe(c, f);
        break;
    case MQTT_PINGREQ:
        handle_ping(c, f);
        break;
    case MQTT_DISCONNECT:
        handle_disconnect(c, f);
        break;
    case MQTT_CONNECT:
        /* A second CONNECT is a protocol error [MQTT-3.1.0-2]. */
        client_protocol_error(c, MQTT_RC_PROTOCOL_ERROR, "second CONNECT");
        break;
    case MQTT_AUTH:
        eauth_handle_auth(c, f); /* re-authentication, or a protocol error */
        break;
    default:
        client_protocol_error(c, MQTT_RC_PROTOCOL_ERROR, "packet type a client may not send");
        break;
    }
}
