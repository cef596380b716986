/*
 * eauth_test_method.c - a tiny enhanced-authentication method for the
 * integration tests of the broker's seam (src/broker/eauth.h). Linked into
 * petrel only when it is built with -DPETREL_TEST_AUTH=ON; a release
 * binary does not have it (eauth.c refers to it weakly).
 *
 * Method "PETREL-TEST-CHALLENGE". The client's first Authentication Data:
 *   "fail"       -> refused, 0x87 Not authorized
 *   "bad-user"   -> refused, 0x86 Bad User Name or Password
 *   "quick"      -> accepted at once, CONNACK data "ok"
 *   "quick-as:U" -> accepted at once as user U
 *   anything else (or none) -> AUTH 0x18 with data "challenge"; then the
 *                  client's AUTH data "response" is accepted (data
 *                  "welcome"), anything else refused (0x87).
 * Not a security mechanism: it checks the broker's protocol work only.
 */
#include <stdlib.h>
#include <string.h>

#include "broker/eauth.h"
#include "util/alloc.h"

struct test_state {
    int round;
};

static void *test_start(const struct eauth_request *req)
{
    (void)req;
    return xcalloc(1, sizeof(struct test_state));
}

static bool is(struct slice s, const char *word)
{
    return slice_eq_cstr(s, word);
}

static enum eauth_status first_round(struct slice data, struct eauth_reply *reply)
{
    if (is(data, "fail")) {
        reply->why = "refused by the test method";
        return EAUTH_FAIL;
    }
    if (is(data, "bad-user")) {
        reply->rc = 0x86;
        reply->why = "bad user by the test method";
        return EAUTH_FAIL;
    }
    if (is(data, "quick")) {
        buf_append(&reply->data, "ok", 2);
        return EAUTH_SUCCESS;
    }
    if (slice_starts_with(data, SLICE_LIT("quick-as:"))) {
        size_t n = data.len - 9;
        reply->username = xmemdup(data.ptr + 9, n);
        reply->username_len = n;
        return EAUTH_SUCCESS;
    }
    buf_append(&reply->data, "challenge", 9);
    return EAUTH_CONTINUE;
}

static enum eauth_status test_step(void *state, struct slice data, struct eauth_reply *reply)
{
    struct test_state *st = state;
    if (st->round++ == 0)
        return first_round(data, reply);
    if (is(data, "response")) {
        buf_append(&reply->data, "welcome", 7);
        return EAUTH_SUCCESS;
    }
    reply->why = "wrong response to the test challenge";
    return EAUTH_FAIL;
}

static void test_free(void *state)
{
    free(state);
}

const struct eauth_method eauth_test_method = {
    .name = "PETREL-TEST-CHALLENGE",
    .start = test_start,
    .step = test_step,
    .free = test_free,
};
