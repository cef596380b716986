/*
 * eauth.h - MQTT 5 enhanced authentication (section 4.12): the seam where
 * an authentication method (SCRAM next, in src/auth) plugs into CONNECT
 * and AUTH.
 *
 * A method is an ops table (struct eauth_method) listed in eauth.c. The
 * broker does the protocol: matching the Authentication Method, sending
 * AUTH 0x18 / CONNACK / AUTH 0x00 / DISCONNECT with the method's name and
 * data, checking what the client sends back; the method only turns the
 * client's Authentication Data into a verdict and its own data:
 *
 *   CONNECT (Authentication Method M, Data d0)
 *       M unknown            -> CONNACK 0x8C [MQTT-4.12.0-1]
 *       state = M->start(request); M->step(state, d0, &reply)
 *   step returned CONTINUE   -> AUTH 0x18 (M, reply.data) [MQTT-4.12.0-2];
 *                               the client's AUTH 0x18 (M, d1) [MQTT-4.12.0-3]
 *                               -> M->step(state, d1, &reply), and so on
 *   step returned SUCCESS    -> the CONNECT goes on as if a password had
 *                               been accepted; CONNACK 0x00 carries (M,
 *                               reply.data) [MQTT-4.12.0-5]
 *   step returned FAIL       -> CONNACK reply.rc, close [MQTT-4.12.0-4]
 *
 * Re-authentication [MQTT-4.12.1-1]: after CONNACK the client sends AUTH
 * 0x19 with the same M (another method: DISCONNECT 0x82); a new state is
 * started with request.reauth set and stepped the same way; CONTINUE ->
 * AUTH 0x18, SUCCESS -> AUTH 0x00, FAIL -> DISCONNECT reply.rc and close
 * [MQTT-4.12.1-2]. Other packets keep flowing meanwhile. A re-authentication
 * that names another user than the connection's fails with 0x87: the
 * identity of a connection does not change under its sessions and ACLs.
 *
 * The whole CONNECT exchange must finish within connect_timeout.
 *
 * Threads: every call runs on the loop thread that owns the connection,
 * so a step must be quick (SCRAM's are a few HMACs over stored keys; a
 * method that needs a slow hash must precompute it). The state belongs to
 * one connection and may move with it to another loop thread between
 * calls (never during one).
 */
#ifndef PETREL_BROKER_EAUTH_H
#define PETREL_BROKER_EAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/slice.h"

struct auth;
struct client;
struct mqtt_connect;
struct mqtt_frame;

enum eauth_status {
    EAUTH_CONTINUE = 1, /* send reply.data in AUTH 0x18 and wait for the client's AUTH */
    EAUTH_SUCCESS,      /* authenticated; reply.data (if any) goes with CONNACK / AUTH 0x00 */
    EAUTH_FAIL,         /* refused with reply.rc */
};

/* What a method is told when an exchange starts. Borrowed for the start()
 * call only (auth_ref() the users/ACL to keep them). */
struct eauth_request {
    struct auth *auth;            /* the worker's users and ACL */
    struct slice client_id;       /* may be one the broker assigned */
    const struct slice *username; /* CONNECT User Name (re-auth: the connection's), or NULL */
    const struct slice *password; /* CONNECT Password, or NULL (re-auth: NULL) */
    bool reauth;                  /* AUTH 0x19 on an established connection */
};

/* What a step returns besides its status. The broker zeroes it before the
 * call and frees `data` and `username` after it. */
struct eauth_reply {
    struct buf data;     /* Authentication Data to send; empty = none */
    uint8_t rc;          /* EAUTH_FAIL: 0x86, 0x87 or 0x8C...; 0 = 0x87 (Not authorized) */
    const char *why;     /* EAUTH_FAIL: static text for the log and the Reason String */
    char *username;      /* EAUTH_SUCCESS: the authenticated user (malloc'ed), or NULL to */
    size_t username_len; /* keep the CONNECT's User Name (the method vouches for it) */
};

struct eauth_method {
    const char *name; /* the Authentication Method as on the wire, e.g. "SCRAM-SHA-256" */
    /* A new exchange's state; never NULL (allocation failure aborts). */
    void *(*start)(const struct eauth_request *req);
    /* One round: `data` is the client's Authentication Data (empty when
     * absent), valid for the call only. */
    enum eauth_status (*step)(void *state, struct slice data, struct eauth_reply *reply);
    void (*free)(void *state);
};

/* The methods the broker offers (eauth_scram.c). */
extern const struct eauth_method eauth_scram_sha256;
extern const struct eauth_method eauth_scram_sha512;

/* The method named `name`, or NULL when the broker offers none by that
 * name. Any thread. */
const struct eauth_method *eauth_method_find(struct slice name);

/* connect.c hands over a decoded CONNECT that carries an Authentication
 * Method; the client's connect_req is filled. Ends in a refusal, in
 * CLIENT_CHALLENGE, or in broker_connect_authenticated(). Owner thread. */
void eauth_connect(struct client *c, const struct mqtt_connect *p);

/* An AUTH packet, in CLIENT_CHALLENGE (the CONNECT exchange) or
 * CLIENT_ACTIVE (re-authentication, or a protocol error when the
 * connection did not authenticate with a method [MQTT-4.12.0-7]). */
void eauth_handle_auth(struct client *c, const struct mqtt_frame *f);

#endif
