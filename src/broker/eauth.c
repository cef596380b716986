/*
 * eauth.c - MQTT 5 enhanced authentication: the method table, the CONNECT
 * exchange and re-authentication (see eauth.h for the flow and the
 * method's contract).
 *
 * The broker's side of every rule is here: a method it does not know is
 * 0x8C [MQTT-4.12.0-1]; every AUTH it sends carries the CONNECT's method
 * [MQTT-4.12.0-5], 0x18 while the exchange goes on [MQTT-4.12.0-2]; the
 * client's AUTH must carry the same method [MQTT-4.12.0-5]
 * [MQTT-4.12.1-1] and 0x18 in answer [MQTT-4.12.0-3]; an AUTH from a
 * connection that did not start with a method is a Protocol Error
 * [MQTT-4.12.0-7] (section 3.15). Before CONNACK an error is told in
 * CONNACK, after it in DISCONNECT [MQTT-4.12.1-2].
 */
#include "broker/eauth.h"

#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "broker/broker.h"
#include "broker/session.h"
#include "util/alloc.h"
#include "util/log.h"

/* The test-only method (tests/support/eauth_test_method.c), linked into
 * petrel only when it is built with -DPETREL_TEST_AUTH=ON (the ASan build
 * the integration tests use). The reference is weak, so a release binary
 * has no such method and finds nothing by its name. */
extern const struct eauth_method eauth_test_method __attribute__((weak));

/* The methods offered. SCRAM (src/auth) is added here. */
static const struct eauth_method *const methods[] = {
    &eauth_scram_sha256,
    &eauth_scram_sha512,
};

const struct eauth_method *eauth_method_find(struct slice name)
{
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        if (methods[i] && slice_eq_cstr(name, methods[i]->name))
            return methods[i];
    }
    const struct eauth_method *test = &eauth_test_method;
    if (test != NULL && slice_eq_cstr(name, test->name))
        return test;
    return NULL;
}

static void reply_fini(struct eauth_reply *r)
{
    buf_fini(&r->data);
    free(r->username);
}

static void end_exchange(struct client *c)
{
    if (c->eauth_state)
        c->eauth->free(c->eauth_state);
    c->eauth_state = NULL;
}

/* Sends AUTH rc with the connection's method and the reply's data.
 * Returns false when it would exceed the client's Maximum Packet Size
 * [MQTT-3.1.2-24] (nothing sent) or the client is closing. */
static bool send_auth(struct client *c, uint8_t rc, const struct eauth_reply *r)
{
    struct mqtt_auth a;
    memset(&a, 0, sizeof a);
    a.reason = rc;
    a.props.present = MQTT_PROP_BIT(MQTT_PROP_AUTHENTICATION_METHOD);
    a.props.authentication_method = slice_cstr(c->eauth->name);
    if (buf_used(&r->data)) {
        a.props.present |= MQTT_PROP_BIT(MQTT_PROP_AUTHENTICATION_DATA);
        a.props.authentication_data = slice_make(buf_head(&r->data), buf_used(&r->data));
    }
    size_t n = mqtt_auth_encode(NULL, 0, &a);
    if (!client_packet_fits(c, n))
        return false;
    uint8_t *p = client_out_reserve(c, n);
    if (p == NULL)
        return false;
    mqtt_auth_encode(p, n, &a);
    client_out_commit(c, n);
    return true;
}

static uint8_t fail_rc(const struct eauth_reply *r)
{
    return r->rc >= 0x80 ? r->rc : MQTT_RC_NOT_AUTHORIZED;
}

/* One step of the CONNECT exchange. */
static void connect_step(struct client *c, struct slice data)
{
    struct connect_req *r = c->req;
    struct eauth_reply rep;
    memset(&rep, 0, sizeof rep);
    enum eauth_status st = c->eauth->step(c->eauth_state, data, &rep);
    if (st == EAUTH_CONTINUE) {
        c->state = CLIENT_CHALLENGE;
        if (!send_auth(c, MQTT_RC_CONTINUE_AUTHENTICATION, &rep))
            broker_connect_refuse(c, MQTT_RC_UNSPECIFIED_ERROR,
                                  "AUTH larger than the client's Maximum Packet Size");
    } else if (st == EAUTH_SUCCESS) {
        end_exchange(c);
        if (rep.username) {
            free(r->username);
            r->username = rep.username;
            r->username_len = rep.username_len;
            rep.username = NULL;
        }
        if (buf_used(&rep.data)) {
            r->auth_data_len = buf_used(&rep.data);
            r->auth_data = (uint8_t *)xmemdup(buf_head(&rep.data), r->auth_data_len);
        }
        r->auth_result = AUTH_OK;
        c->state = CLIENT_AUTH; /* as after a password check: CONNACK comes next */
        broker_connect_authenticated(c);
    } else {
        end_exchange(c);
        broker_connect_refuse(c, fail_rc(&rep), rep.why ? rep.why : "authentication failed");
    }
    reply_fini(&rep);
}

void eauth_connect(struct client *c, const struct mqtt_connect *p)
{
    const struct eauth_method *m = eauth_method_find(p->props.authentication_method);
    if (m == NULL) {
        broker_connect_refuse(c, MQTT_RC_BAD_AUTHENTICATION_METHOD,
                              "authentication method not supported [MQTT-4.12.0-1]");
        return;
    }
    struct connect_req *r = c->req;
    struct slice user = slice_make(r->username, r->username_len);
    struct slice pass = slice_make(r->password, r->password_len);
    struct eauth_request req = {
        .auth = c->w->auth,
        .client_id = slice_make(r->client_id, r->client_id_len),
        .username = r->username ? &user : NULL,
        .password = r->password ? &pass : NULL,
        .reauth = false,
    };
    c->eauth = m;
    c->eauth_state = m->start(&req);
    connect_step(c, p->props.authentication_data);
}

/* True when the method user is the connection's user (NULL: unchanged). */
static bool same_user(const struct client *c, const struct eauth_reply *r)
{
    if (r->username == NULL)
        return true;
    return c->username && slice_eq(slice_make(r->username, r->username_len),
                                   slice_make(c->username, c->username_len));
}

/* One step of a re-authentication (client ACTIVE). */
static void reauth_step(struct client *c, struct slice data)
{
    struct eauth_reply rep;
    memset(&rep, 0, sizeof rep);
    enum eauth_status st = c->eauth->step(c->eauth_state, data, &rep);
    if (st == EAUTH_CONTINUE) {
        if (!send_auth(c, MQTT_RC_CONTINUE_AUTHENTICATION, &rep))
            client_close(c, MQTT_RC_UNSPECIFIED_ERROR, true, true,
                         "AUTH larger than the client's Maximum Packet Size");
    } else if (st == EAUTH_SUCCESS && same_user(c, &rep)) {
        end_exchange(c);
        /* Re-authentication complete: AUTH 0x00 (section 4.12.1). */
        if (!send_auth(c, MQTT_RC_SUCCESS, &rep))
            client_close(c, MQTT_RC_UNSPECIFIED_ERROR, true, true,
                         "AUTH larger than the client's Maximum Packet Size");
    } else {
        end_exchange(c);
        const char *why = st == EAUTH_SUCCESS ? "re-authentication as another user"
                          : rep.why           ? rep.why
                                              : "re-authentication failed";
        uint8_t rc = st == EAUTH_SUCCESS ? MQTT_RC_NOT_AUTHORIZED : fail_rc(&rep);
        char id[96];
        log_notice("re-authentication failed: id=%s addr=%s: %s", client_log_id(c, id, sizeof id),
                   c->conn.peer, why);
        client_close(c, rc, true, true, why); /* [MQTT-4.12.1-2] */
    }
    reply_fini(&rep);
}

/* Starts a re-authentication (AUTH 0x19). */
static void reauth_start(struct client *c, struct slice data)
{
    struct slice user = slice_make(c->username, c->username_len);
    struct eauth_request req = {
        .auth = c->w->auth,
        .client_id = c->sess->client_id,
        .username = c->username ? &user : NULL,
        .password = NULL,
        .reauth = true,
    };
    c->eauth_state = c->eauth->start(&req);
    reauth_step(c, data);
}

/* A protocol error in an AUTH: before CONNACK in CONNACK, after it in
 * DISCONNECT (section 4.13.1). */
static void auth_error(struct client *c, uint8_t rc, const char *why)
{
    if (c->state == CLIENT_CHALLENGE)
        broker_connect_refuse(c, rc, why);
    else
        client_protocol_error(c, rc, why);
}

void eauth_handle_auth(struct client *c, const struct mqtt_frame *f)
{
    struct mqtt_auth a;
    struct mqtt_ctx cx = {.version = c->version, .sender = MQTT_FROM_CLIENT};
    const char *why = NULL;
    int rc = mqtt_auth_decode(&a, f, &cx, &why);
    if (rc < 0) {
        auth_error(c, (uint8_t)-rc, why);
        return;
    }
    if (c->eauth == NULL) {
        auth_error(c, MQTT_RC_PROTOCOL_ERROR,
                   "AUTH on a connection without an Authentication Method [MQTT-4.12.0-7]");
        return;
    }
    if (!slice_eq_cstr(a.props.authentication_method, c->eauth->name)) {
        auth_error(c, MQTT_RC_PROTOCOL_ERROR,
                   "AUTH with another Authentication Method [MQTT-4.12.0-5] [MQTT-4.12.1-1]");
        return;
    }
    struct slice data = a.props.authentication_data;
    if (c->state == CLIENT_CHALLENGE) {
        if (a.reason != MQTT_RC_CONTINUE_AUTHENTICATION)
            auth_error(c, MQTT_RC_PROTOCOL_ERROR,
                       "client AUTH during authentication without 0x18 [MQTT-4.12.0-3]");
        else
            connect_step(c, data);
        return;
    }
    if (a.reason == MQTT_RC_REAUTHENTICATE && c->eauth_state == NULL)
        reauth_start(c, data);
    else if (a.reason == MQTT_RC_CONTINUE_AUTHENTICATION && c->eauth_state != NULL)
        reauth_step(c, data);
    else
        auth_error(c, MQTT_RC_PROTOCOL_ERROR,
                   a.reason == MQTT_RC_REAUTHENTICATE
                       ? "AUTH 0x19 while a re-authentication is under way"
                       : "AUTH that starts or continues no authentication (table 3-11)");
}
