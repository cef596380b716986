/*
 * fuzz_scram.c - libFuzzer target for the SCRAM server exchange and the
 * parsers of the client's two messages (src/auth/scram*.c).
 *
 * The first input byte picks the mechanism (bit 0: SHA-256 or SHA-512) and
 * what the rest is fed to (bit 1):
 *   0  an exchange: "CLIENT-FIRST" NUL "CLIENT-FINAL" (the part after the
 *      first NUL, if any, is the final) against a fixed user table
 *   1  the parsers and the saslname decoder directly, with their invariants
 * The server nonce is RFC 7677's, so the RFC's messages (a corpus seed)
 * reach the success path. Everything is in memory; no files.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RFC 7677's user "user" / "pencil" (both digests), a user whose name
 * needs escapes, and a user with a $7$ hash (no SCRAM secret). */
static const char users_text[] =
    "user:$scram$4096$W22ZaJ0SNY7soEsUEjb6gQ==$sha256=WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=$sha512=6AAub3065EYRmyFpM2RNwqK+eGnrkYuEWbXn19LsE"
    "mBqzu8QaCXNc1FwpnX9NhH2hK/60dzj9DoO5DvVkOHbvg==:jZHbYjC1aHh0/hKbxyBuGFjDrgjgKTT1esA7awWiKcRZ0o"
    "/0b1yWEebBeSVkkCFewf91nLDfKF24mvD5nmE6rA==\n"
    "a,b=c:$scram$10$AAAA$sha256=WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=\n"
    "seven:$7$101$w5fvsB6jcXtfC408$"
    "Ky5H96Si84njWMdPBek3hqvckGLRk5PBOvuXsqaJc5GRinuBjgqQxma9sESzFd68Z"
    "hDTCgkCNt0tkZnW92TRUg==\n";

static struct auth_users users;
static struct auth_scram_db db;

static void setup(void)
{
    static bool done;
    char err[256];
    if (done)
        return;
    if (auth_users_parse(&users, AUTH_FMT_MOSQUITTO, "fuzz", (const uint8_t *)users_text,
                         strlen(users_text), err, sizeof err) != 0)
        abort();
    auth_scram_db_init(&db, &users);
    done = true;
}

static bool is_error_reply(struct slice r)
{
    return r.len > 2 && r.ptr[0] == 'e' && r.ptr[1] == '=';
}

static void fuzz_exchange(enum auth_scram_mech mech, const uint8_t *p, size_t n)
{
    const uint8_t *nul = memchr(p, '\0', n);
    struct slice first = slice_make(p, nul ? (size_t)(nul - p) : n);
    struct slice final = nul ? slice_make(nul + 1, n - (size_t)(nul - p) - 1) : SLICE_NULL;
    struct auth_scram *s;
    struct slice r;
    enum auth_scram_status st = auth_scram_start_with(
        &s, &db, mech, first, SLICE_LIT("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"), &r);
    if (st != AUTH_SCRAM_CONTINUE) {
        if (st != AUTH_SCRAM_MALFORMED || s != NULL || !is_error_reply(r))
            abort();
        return;
    }
    if (r.len < 2 || memcmp(r.ptr, "r=", 2) != 0 || auth_scram_user(s).len != 0)
        abort();
    st = auth_scram_finish(s, final, &r);
    if ((st == AUTH_SCRAM_SUCCESS) != (auth_scram_user(s).len > 0))
        abort(); /* a user name exactly when authenticated */
    if (st == AUTH_SCRAM_SUCCESS ? !(r.len > 2 && r.ptr[0] == 'v') : !is_error_reply(r))
        abort();
    if (auth_scram_finish(s, final, &r) != AUTH_SCRAM_MALFORMED)
        abort(); /* one final per exchange */
    auth_scram_free(s);
}

static void fuzz_parsers(const uint8_t *p, size_t n)
{
    struct slice msg = slice_make(p, n);
    struct auth_scram_first f;
    struct auth_scram_final g;
    const char *err = NULL;
    char name[SCRAM_MSG_MAX];
    if (auth_scram_parse_first(msg, &f, &err) == 0) {
        /* The pieces lie inside the message, in order, and decode. */
        if (f.gs2.len < 3 || f.gs2.ptr != msg.ptr || f.bare.ptr != msg.ptr + f.gs2.len ||
            f.gs2.len + f.bare.len != msg.len || f.nonce.len == 0 ||
            auth_scram_name_decode(f.user, name, sizeof name) <= 0)
            abort();
    } else if (err == NULL || err[0] != 'e') {
        abort();
    }
    err = NULL;
    if (auth_scram_parse_final(msg, &g, &err) == 0) {
        if (g.proof.len == 0 || g.without_proof.len + 3 + g.proof.len != msg.len ||
            g.without_proof.ptr != msg.ptr)
            abort();
    } else if (err == NULL || err[0] != 'e') {
        abort();
    }
    long d = auth_scram_name_decode(msg, name, sizeof name);
    if (d > (long)n)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    setup();
    enum auth_scram_mech mech = data[0] & 1 ? AUTH_SCRAM_SHA512 : AUTH_SCRAM_SHA256;
    if (data[0] & 2)
        fuzz_parsers(data + 1, size - 1);
    else
        fuzz_exchange(mech, data + 1, size - 1);
    return 0;
}
