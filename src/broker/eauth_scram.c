/*
 * eauth_scram.c - SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) as
 * enhanced-authentication methods (eauth.h), over the server exchange in
 * src/auth/scram.c.
 *
 * Two rounds: the client-first message (CONNECT or AUTH 0x19) gets the
 * server-first message in AUTH 0x18; the client-final message gets the
 * server-final message (v=ServerSignature) with CONNACK 0x00 or AUTH 0x00.
 * Failures map through auth_scram_reason(): 0x86 at CONNECT for a wrong
 * proof, 0x87 for a malformed message or during re-authentication. A
 * CONNECT that also names a User Name must name the SCRAM user.
 */
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "broker/eauth.h"
#include "util/alloc.h"

struct scram_state {
    enum auth_scram_mech mech;
    bool reauth;
    struct auth *auth;       /* reference: the users the exchange started with */
    struct auth_scram *x;    /* the exchange, after the first round */
    char *username;          /* the CONNECT's User Name, or NULL */
    size_t username_len;
};

static void *scram_start(const struct eauth_request *req, enum auth_scram_mech mech)
{
    struct scram_state *s = xcalloc(1, sizeof *s);
    s->mech = mech;
    s->reauth = req->reauth;
    s->auth = auth_ref(req->auth);
    if (req->username) {
        s->username = xmemdup(req->username->ptr, req->username->len);
        s->username_len = req->username->len;
    }
    return s;
}

static void *start_sha256(const struct eauth_request *req)
{
    return scram_start(req, AUTH_SCRAM_SHA256);
}

static void *start_sha512(const struct eauth_request *req)
{
    return scram_start(req, AUTH_SCRAM_SHA512);
}

static enum eauth_status fail(struct scram_state *s, enum auth_scram_status st,
                              struct eauth_reply *reply)
{
    reply->rc = auth_scram_reason(st, s->reauth);
    reply->why = st == AUTH_SCRAM_MALFORMED ? "malformed SCRAM message"
                                            : "SCRAM authentication failed";
    return EAUTH_FAIL;
}

static enum eauth_status scram_step(void *state, struct slice data, struct eauth_reply *reply)
{
    struct scram_state *s = state;
    struct slice out = SLICE_NULL;
    if (s->x == NULL) {
        enum auth_scram_status st = auth_scram_start(&s->x, s->auth, s->mech, data, &out);
        if (st != AUTH_SCRAM_CONTINUE)
            return fail(s, st, reply);
        buf_append(&reply->data, out.ptr, out.len);
        return EAUTH_CONTINUE;
    }
    enum auth_scram_status st = auth_scram_finish(s->x, data, &out);
    if (st != AUTH_SCRAM_SUCCESS)
        return fail(s, st, reply);
    struct slice user = auth_scram_user(s->x);
    if (s->username && !slice_eq(user, slice_make(s->username, s->username_len))) {
        reply->rc = auth_scram_reason(AUTH_SCRAM_FAILED, s->reauth);
        reply->why = "the CONNECT's User Name is not the SCRAM user";
        return EAUTH_FAIL;
    }
    buf_append(&reply->data, out.ptr, out.len);
    reply->username = xmemdup(user.ptr, user.len);
    reply->username_len = user.len;
    return EAUTH_SUCCESS;
}

static void scram_free(void *state)
{
    struct scram_state *s = state;
    if (s == NULL)
        return;
    auth_scram_free(s->x);
    auth_unref(s->auth);
    free(s->username);
    free(s);
}

const struct eauth_method eauth_scram_sha256 = {
    .name = "SCRAM-SHA-256",
    .start = start_sha256,
    .step = scram_step,
    .free = scram_free,
};

const struct eauth_method eauth_scram_sha512 = {
    .name = "SCRAM-SHA-512",
    .start = start_sha512,
    .step = scram_step,
    .free = scram_free,
};
