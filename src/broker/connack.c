/*
 * connack.c - the CONNACK the broker sends: success with the properties
 * that tell an MQTT 5 client what this broker offers and what it decided
 * for this connection (section 3.2.2.3), or a refusal with its reason.
 *
 * Every CONNACK property is set in one function, connack_props(), so a
 * feature that announces something adds its line there and nowhere else.
 * Properties whose absence means what we do are still sent when a client
 * could not otherwise tell (the three "... Available" flags: we support
 * them; Retain Available either way), so a client need not remember the
 * defaults.
 *
 * What 3.1.1 gets: the session present flag and a return code
 * (client_send_connack maps the reason code); no properties.
 */
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "broker/eauth.h"
#include "util/alloc.h"

static void set_flag(struct mqtt_props *p, enum mqtt_prop_id id, uint8_t *field, uint8_t value)
{
    p->present |= MQTT_PROP_BIT(id);
    *field = value;
}

/* Response Information: the configured prefix and the client id, for a
 * client that asked (Request Response Information 1) and only then
 * [MQTT-3.1.2-28]. Returns an owned string, or NULL for none. */
static char *response_information(const struct client *c, const struct connect_req *r, size_t *len)
{
    const char *prefix = c->w->srv->cfg->response_information;
    if (!r->request_response_info || prefix == NULL)
        return NULL;
    size_t pn = strlen(prefix);
    if (pn + r->client_id_len > 65535)
        return NULL; /* not a UTF-8 string any more (section 1.5.4) */
    char *s = xmalloc(pn + r->client_id_len + 1);
    memcpy(s, prefix, pn);
    memcpy(s + pn, r->client_id, r->client_id_len);
    *len = pn + r->client_id_len;
    return s;
}

/* The success CONNACK's properties. resp_info is the string from
 * response_information() (or NULL); props borrows it and r's strings. */
static void connack_props(const struct client *c, const struct connect_req *r,
                          const char *resp_info, size_t resp_len, struct mqtt_props *p)
{
    const struct config *cfg = c->w->srv->cfg;
    memset(p, 0, sizeof *p);
    if (r->assigned_id) {
        /* [MQTT-3.1.3-7] [MQTT-3.2.2-16] */
        p->present |= MQTT_PROP_BIT(MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER);
        p->assigned_client_identifier = slice_make(r->client_id, r->client_id_len);
    }
    if (c->keepalive != r->keepalive_asked) {
        /* max_keepalive applied; the client must use it [MQTT-3.2.2-21]. */
        p->present |= MQTT_PROP_BIT(MQTT_PROP_SERVER_KEEP_ALIVE);
        p->server_keep_alive = c->keepalive;
    }
    if (cfg->max_packet_size) {
        /* The client must not send more [MQTT-3.2.2-15]. */
        p->present |= MQTT_PROP_BIT(MQTT_PROP_MAXIMUM_PACKET_SIZE);
        p->maximum_packet_size = cfg->max_packet_size;
    }
    if (cfg->max_qos < 2) /* [MQTT-3.2.2-9]; the property holds 0 or 1 only */
        set_flag(p, MQTT_PROP_MAXIMUM_QOS, &p->maximum_qos, (uint8_t)cfg->max_qos);
    set_flag(p, MQTT_PROP_RETAIN_AVAILABLE, &p->retain_available, cfg->retain_available);
    set_flag(p, MQTT_PROP_WILDCARD_SUBSCRIPTION_AVAILABLE, &p->wildcard_subscription_available, 1);
    set_flag(p, MQTT_PROP_SUBSCRIPTION_IDENTIFIER_AVAILABLE, &p->subscription_identifier_available,
             1);
    set_flag(p, MQTT_PROP_SHARED_SUBSCRIPTION_AVAILABLE, &p->shared_subscription_available, 1);
    /* Topic aliases the client may use [MQTT-3.2.2-17]; absent means none
     * [MQTT-3.2.2-18]. */
    if (c->aliases && c->aliases->in.max) {
        p->present |= MQTT_PROP_BIT(MQTT_PROP_TOPIC_ALIAS_MAXIMUM);
        p->topic_alias_maximum = c->aliases->in.max;
    }
    /* Absent means 65535 (3.2.2.3.3). */
    if (c->receive_max < 65535) {
        p->present |= MQTT_PROP_BIT(MQTT_PROP_RECEIVE_MAXIMUM);
        p->receive_maximum = c->receive_max;
    }
    if (resp_info) {
        p->present |= MQTT_PROP_BIT(MQTT_PROP_RESPONSE_INFORMATION);
        p->response_information = slice_make(resp_info, resp_len);
    }
    if (c->eauth) {
        /* The method of the CONNECT, and the method's final data [MQTT-4.12.0-5]. */
        p->present |= MQTT_PROP_BIT(MQTT_PROP_AUTHENTICATION_METHOD);
        p->authentication_method = slice_cstr(c->eauth->name);
        if (r->auth_data_len) {
            p->present |= MQTT_PROP_BIT(MQTT_PROP_AUTHENTICATION_DATA);
            p->authentication_data = slice_make(r->auth_data, r->auth_data_len);
        }
    }
}

void broker_connack_success(struct client *c, bool session_present)
{
    struct connect_req *r = c->req;
    if (c->version != MQTT_V5) {
        client_send_connack(c, session_present, MQTT_RC_SUCCESS, NULL);
        return;
    }
    size_t resp_len = 0;
    char *resp = response_information(c, r, &resp_len);
    struct mqtt_props props;
    connack_props(c, r, resp, resp_len, &props);
    client_send_connack(c, session_present, MQTT_RC_SUCCESS, &props);
    free(resp);
}

void broker_connack_refusal(struct client *c, uint8_t rc, const char *why)
{
    struct mqtt_props props;
    memset(&props, 0, sizeof props);
    if (c->version == MQTT_V5) {
        struct slice rs = client_reason_string(c, MQTT_CONNACK, why);
        if (rs.len) {
            props.present |= MQTT_PROP_BIT(MQTT_PROP_REASON_STRING);
            props.reason_string = rs;
        }
        const char *ref = c->w->srv->cfg->server_reference;
        if (ref && (rc == MQTT_RC_USE_ANOTHER_SERVER || rc == MQTT_RC_SERVER_MOVED)) {
            /* Where to go (section 4.11). */
            props.present |= MQTT_PROP_BIT(MQTT_PROP_SERVER_REFERENCE);
            props.server_reference = slice_cstr(ref);
        }
    }
    /* Session Present is 0 with a failure code [MQTT-3.2.2-6]. */
    client_send_connack(c, false, rc, &props);
}
