/*
 * scram.c - the server side of SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802,
 * RFC 7677) as an MQTT 5 enhanced authentication method: two pure steps
 * that take a client message and return the reply, with no I/O. The
 * grammar is in scram_parse.c, the stored secrets in scram_secret.c.
 *
 * How the broker carries it (MQTT 5 section 4.12):
 *
 *   CONNECT  Authentication Method "SCRAM-SHA-256", Authentication Data =
 *            client-first-message. A method auth_scram_method() does not
 *            know gets CONNACK 0x8C Bad authentication method, and the
 *            connection is closed [MQTT-4.12.0-1]. Until its CONNACK the
 *            client sends only AUTH or DISCONNECT [MQTT-3.1.2-30].
 *   AUTH     0x18 Continue authentication, same Authentication Method,
 *            Data = server-first-message (auth_scram_start's reply)
 *            [MQTT-4.12.0-2] [MQTT-4.12.0-5].
 *   AUTH     from the client: 0x18, Data = client-final-message
 *            [MQTT-4.12.0-3]; anything else is a Protocol Error, as is a
 *            different Authentication Method [MQTT-4.12.0-5].
 *   CONNACK  0x00 with the same Authentication Method and Data =
 *            server-final-message "v=..." (auth_scram_finish's reply)
 *            [MQTT-4.12.0-5]; or, on failure, CONNACK with the reason code
 *            of auth_scram_reason() (0x86 or 0x87; it may carry the "e=..."
 *            reply as Authentication Data) and close [MQTT-4.12.0-4].
 *
 * Re-authentication (section 4.12.1): after a CONNACK that followed a
 * CONNECT with an Authentication Method, the client may send AUTH 0x19
 * Re-authenticate with the same method [MQTT-4.12.1-1] and Data =
 * client-first-message; the broker answers AUTH 0x18 with the
 * server-first-message, the client AUTH 0x18 with the client-final, and
 * the broker AUTH 0x00 Success with Data = server-final-message. On
 * failure the broker sends DISCONNECT 0x87 Not authorized and closes
 * [MQTT-4.12.1-2]. Other packets keep flowing under the previous
 * authentication meanwhile. A new exchange (auth_scram_start) is made for
 * each re-authentication; the broker should also check that
 * auth_scram_user() is the connection's user, since ACLs are keyed by it.
 * Every AUTH uses one of the Authenticate Reason Codes 0x00, 0x18, 0x19
 * [MQTT-3.15.2-1]. A client that sends the CONNECT User Name as well
 * should name the same user; the SCRAM name is the one authenticated.
 *
 * Cost: a few HMACs and hashes per step; PBKDF2 is the client's work, as
 * the server stores StoredKey and ServerKey. So both steps run on the loop
 * thread (unlike auth_check_password). Plain CONNECT passwords checked
 * against a SCRAM secret do run one PBKDF2 (scram_secret.c), off the loop.
 *
 * Names that are not users, and users without a SCRAM secret for the
 * mechanism, get a salt made up from the name (HMAC with a key derived from
 * the user table, see auth_int.h) and the usual iteration count, and fail
 * only at the proof, with the same reply as a wrong password (RFC 5802
 * section 5.1), so an exchange tells nobody which names exist.
 */
#include "auth/auth_int.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt/reason.h"
#include "util/alloc.h"
#include "util/clock.h"

#define SERVER_NONCE_RAW 18 /* 24 base64 characters */

struct auth_scram {
    enum auth_scram_mech mech;
    bool finished; /* auth_scram_finish was called */
    bool fake;     /* no usable secret: the proof step fails */
    bool success;
    uint8_t stored_key[SCRAM_DIGEST_MAX];
    uint8_t server_key[SCRAM_DIGEST_MAX];
    char *user; /* owned, decoded */
    size_t user_len;
    char *gs2; /* owned: the gs2-header the channel binding must repeat */
    size_t gs2_len;
    /* Owned: client-first-bare "," server-first-message ",", the start of
     * the AuthMessage; the server-first-message is the reply of step 1. */
    char *msgs;
    size_t msgs_len, sf_off, sf_len;
    size_t nonce_off, nonce_len;                          /* the combined nonce, inside msgs */
    char final[2 + 4 * ((SCRAM_DIGEST_MAX + 2) / 3) + 1]; /* "v=..." */
};

enum auth_scram_mech auth_scram_method(struct slice name)
{
    if (slice_eq_cstr(name, "SCRAM-SHA-256"))
        return AUTH_SCRAM_SHA256;
    if (slice_eq_cstr(name, "SCRAM-SHA-512"))
        return AUTH_SCRAM_SHA512;
    return AUTH_SCRAM_NONE;
}

const char *auth_scram_method_name(enum auth_scram_mech mech)
{
    switch (mech) {
    case AUTH_SCRAM_SHA256:
        return "SCRAM-SHA-256";
    case AUTH_SCRAM_SHA512:
        return "SCRAM-SHA-512";
    case AUTH_SCRAM_NONE:
        break;
    }
    return NULL;
}

uint8_t auth_scram_reason(enum auth_scram_status st, bool reauth)
{
    switch (st) {
    case AUTH_SCRAM_CONTINUE:
        return MQTT_RC_CONTINUE_AUTHENTICATION;
    case AUTH_SCRAM_SUCCESS:
        return MQTT_RC_SUCCESS;
    case AUTH_SCRAM_FAILED:
        /* 0x86 is what a wrong CONNECT password gets, but it is not a
         * DISCONNECT reason code. */
        return reauth ? MQTT_RC_NOT_AUTHORIZED : MQTT_RC_BAD_USER_NAME_OR_PASSWORD;
    case AUTH_SCRAM_MALFORMED:
        break;
    }
    return MQTT_RC_NOT_AUTHORIZED;
}

static enum auth_scram_status refuse(struct slice *reply, const char *err)
{
    *reply = slice_cstr(err);
    return AUTH_SCRAM_MALFORMED;
}

/* ---- The user's keys, or made-up ones ----------------------------------- */

/* Fills the salt, iteration count and keys of s for user `name`. Both the
 * real and the made-up values are computed every time, so the time taken
 * says little about which were used. */
static void keys_lookup(struct auth_scram *s, const struct auth_scram_db *db, struct slice name,
                        uint8_t *salt, size_t *salt_len, unsigned long *iterations)
{
    uint8_t mac[64];
    uint8_t tag = (uint8_t)s->mech;
    size_t n = name.len;
    uint8_t *in = xmalloc(n + 1);
    in[0] = tag;
    memcpy(in + 1, name.ptr, n);
    auth_scram_hmac(AUTH_SCRAM_SHA512, db->fake_key, sizeof db->fake_key, in, n + 1, mac);
    free(in);
    memcpy(salt, mac, SCRAM_SALT_LEN);
    *salt_len = SCRAM_SALT_LEN;
    *iterations = db->fake_iterations;
    memcpy(s->stored_key, mac + SCRAM_SALT_LEN, sizeof mac - SCRAM_SALT_LEN);
    memcpy(s->server_key, mac, sizeof mac);
    s->fake = true;

    const struct auth_user *u = db->users ? auth_users_find(db->users, name) : NULL;
    struct auth_scram_secret sec;
    const char *why;
    if (u == NULL || u->kind != AUTH_HASH_SCRAM ||
        !auth_scram_secret_parse(u->stored, &sec, &why) || !(sec.mechs & (unsigned)s->mech))
        return;
    int i = scram_index(s->mech);
    memcpy(salt, sec.salt, sec.salt_len);
    *salt_len = sec.salt_len;
    *iterations = sec.iterations;
    memcpy(s->stored_key, sec.stored_key[i], SCRAM_DIGEST_MAX);
    memcpy(s->server_key, sec.server_key[i], SCRAM_DIGEST_MAX);
    s->fake = false;
    OPENSSL_cleanse(&sec, sizeof sec);
}

/* ---- Step 1 ------------------------------------------------------------- */

static void append(char *buf, size_t *o, const void *p, size_t n)
{
    memcpy(buf + *o, p, n);
    *o += n;
}

/* Builds msgs = bare "," "r=CNONCE SNONCE,s=SALT,i=ITER" ",". */
static void first_reply(struct auth_scram *s, const struct auth_scram_first *f, struct slice snonce,
                        const uint8_t *salt, size_t salt_len, unsigned long iterations)
{
    char salt64[4 * ((SCRAM_SALT_MAX + 2) / 3) + 1], iter[24];
    long sl = auth_b64_encode(salt, salt_len, salt64, sizeof salt64);
    int il = snprintf(iter, sizeof iter, ",i=%lu,", iterations);
    s->msgs = xmalloc(f->bare.len + f->nonce.len + snonce.len + (size_t)sl + (size_t)il + 8);
    size_t o = 0;
    append(s->msgs, &o, f->bare.ptr, f->bare.len);
    append(s->msgs, &o, ",r=", 3);
    s->sf_off = f->bare.len + 1;
    s->nonce_off = o;
    append(s->msgs, &o, f->nonce.ptr, f->nonce.len);
    append(s->msgs, &o, snonce.ptr, snonce.len);
    s->nonce_len = o - s->nonce_off;
    append(s->msgs, &o, ",s=", 3);
    append(s->msgs, &o, salt64, (size_t)sl);
    append(s->msgs, &o, iter, (size_t)il);
    s->msgs_len = o;
    s->sf_len = o - s->sf_off - 1;
}

enum auth_scram_status auth_scram_start_with(struct auth_scram **sp, const struct auth_scram_db *db,
                                             enum auth_scram_mech mech, struct slice client_first,
                                             struct slice server_nonce, struct slice *reply)
{
    struct auth_scram_first f;
    const char *err;
    char name[SCRAM_MSG_MAX], authzid[SCRAM_MSG_MAX];
    *sp = NULL;
    if (auth_scram_method_name(mech) == NULL || server_nonce.len == 0 ||
        memchr(server_nonce.ptr, ',', server_nonce.len))
        return refuse(reply, "e=other-error");
    if (auth_scram_parse_first(client_first, &f, &err) < 0)
        return refuse(reply, err);
    long nl = auth_scram_name_decode(f.user, name, sizeof name);
    if (f.authzid.len > 0) {
        /* We authorise as nobody else: an authzid must name the user. */
        long al = auth_scram_name_decode(f.authzid, authzid, sizeof authzid);
        if (al != nl || memcmp(authzid, name, (size_t)nl) != 0)
            return refuse(reply, "e=other-error");
    }
    struct auth_scram *s = xcalloc(1, sizeof *s);
    s->mech = mech;
    s->user = xmemdup(name, (size_t)nl);
    s->user_len = (size_t)nl;
    s->gs2 = xmemdup(f.gs2.ptr, f.gs2.len);
    s->gs2_len = f.gs2.len;
    uint8_t salt[SCRAM_SALT_MAX];
    size_t salt_len;
    unsigned long iterations;
    keys_lookup(s, db, slice_make(name, (size_t)nl), salt, &salt_len, &iterations);
    first_reply(s, &f, server_nonce, salt, salt_len, iterations);
    *reply = slice_make(s->msgs + s->sf_off, s->sf_len);
    *sp = s;
    return AUTH_SCRAM_CONTINUE;
}

enum auth_scram_status auth_scram_start(struct auth_scram **sp, const struct auth *a,
                                        enum auth_scram_mech mech, struct slice client_first,
                                        struct slice *reply)
{
    uint8_t raw[SERVER_NONCE_RAW];
    char nonce[4 * SERVER_NONCE_RAW / 3 + 1];
    rand_bytes(raw, sizeof raw);
    long n = auth_b64_encode(raw, sizeof raw, nonce, sizeof nonce);
    return auth_scram_start_with(sp, auth_scram_db_of(a), mech, client_first,
                                 slice_make(nonce, (size_t)n), reply);
}

/* ---- Step 2 ------------------------------------------------------------- */

/* Checks the channel binding and the nonce; returns the error or NULL. */
static const char *final_check(const struct auth_scram *s, const struct auth_scram_final *f)
{
    uint8_t cb[SCRAM_MSG_MAX];
    long n = auth_b64_decode((const char *)f->cbind.ptr, f->cbind.len, cb, sizeof cb);
    if (n < 0)
        return "e=invalid-encoding";
    /* No channel binding: c= is the base64 of the gs2-header alone ("biws"
     * for "n,,"). */
    if ((size_t)n != s->gs2_len || memcmp(cb, s->gs2, s->gs2_len) != 0)
        return "e=channel-bindings-dont-match";
    if (!slice_eq(f->nonce, slice_make(s->msgs + s->nonce_off, s->nonce_len)))
        return "e=other-error";
    return NULL;
}

/* Verifies the proof over AuthMessage; on success writes "v=..." to
 * s->final. Returns whether the proof is right. */
static bool proof_verify(struct auth_scram *s, const struct auth_scram_final *f,
                         const uint8_t *proof)
{
    size_t dl = auth_scram_digest_len(s->mech);
    size_t len = s->msgs_len + f->without_proof.len;
    uint8_t *auth_msg = xmalloc(len);
    memcpy(auth_msg, s->msgs, s->msgs_len);
    memcpy(auth_msg + s->msgs_len, f->without_proof.ptr, f->without_proof.len);
    uint8_t sig[SCRAM_DIGEST_MAX], key[SCRAM_DIGEST_MAX], stored[SCRAM_DIGEST_MAX];
    auth_scram_hmac(s->mech, s->stored_key, dl, auth_msg, len, sig);
    for (size_t i = 0; i < dl; i++)
        key[i] = proof[i] ^ sig[i];
    auth_scram_hash(s->mech, key, dl, stored);
    bool ok = CRYPTO_memcmp(stored, s->stored_key, dl) == 0 && !s->fake;
    auth_scram_hmac(s->mech, s->server_key, dl, auth_msg, len, sig);
    memcpy(s->final, "v=", 2);
    auth_b64_encode(sig, dl, s->final + 2, sizeof s->final - 2);
    OPENSSL_cleanse(key, sizeof key);
    free(auth_msg);
    return ok;
}

enum auth_scram_status auth_scram_finish(struct auth_scram *s, struct slice client_final,
                                         struct slice *reply)
{
    struct auth_scram_final f;
    const char *err;
    uint8_t proof[SCRAM_DIGEST_MAX + 1];
    if (s->finished)
        return refuse(reply, "e=other-error");
    s->finished = true;
    if (auth_scram_parse_final(client_final, &f, &err) < 0)
        return refuse(reply, err);
    if ((err = final_check(s, &f)) != NULL)
        return refuse(reply, err);
    long n = auth_b64_decode((const char *)f.proof.ptr, f.proof.len, proof, sizeof proof);
    if (n != (long)auth_scram_digest_len(s->mech))
        return refuse(reply, "e=invalid-encoding");
    if (!proof_verify(s, &f, proof)) {
        *reply = SLICE_LIT("e=invalid-proof");
        return AUTH_SCRAM_FAILED;
    }
    s->success = true;
    *reply = slice_cstr(s->final);
    return AUTH_SCRAM_SUCCESS;
}

struct slice auth_scram_user(const struct auth_scram *s)
{
    return s->success ? slice_make(s->user, s->user_len) : SLICE_NULL;
}

void auth_scram_free(struct auth_scram *s)
{
    if (s == NULL)
        return;
    OPENSSL_cleanse(s->stored_key, sizeof s->stored_key);
    OPENSSL_cleanse(s->server_key, sizeof s->server_key);
    free(s->user);
    free(s->gs2);
    free(s->msgs);
    free(s);
}

/* ---- Lookup data -------------------------------------------------------- */

static int ulong_cmp(const void *pa, const void *pb)
{
    unsigned long a = *(const unsigned long *)pa, b = *(const unsigned long *)pb;
    return a < b ? -1 : a > b;
}

/* The iteration count most SCRAM secrets use (smallest on ties). */
static unsigned long common_iterations(const struct auth_users *users)
{
    unsigned long *v = xmalloc((users->n + 1) * sizeof *v), best = SCRAM_DEFAULT_ITERATIONS;
    size_t n = 0, best_run = 0;
    for (size_t i = 0; i < users->n; i++) {
        struct auth_scram_secret sec;
        const char *why;
        if (users->v[i].kind == AUTH_HASH_SCRAM &&
            auth_scram_secret_parse(users->v[i].stored, &sec, &why))
            v[n++] = sec.iterations;
    }
    qsort(v, n, sizeof *v, ulong_cmp);
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i; j < n && v[j] == v[i]; j++)
            ;
        if (j - i > best_run) {
            best_run = j - i;
            best = v[i];
        }
    }
    free(v);
    return best;
}

void auth_scram_db_init(struct auth_scram_db *db, const struct auth_users *users)
{
    static const char label[] = "petrel SCRAM made-up salt key";
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(ctx, label, sizeof label) != 1)
        abort();
    for (size_t i = 0; i < users->n; i++) {
        const struct auth_user *u = &users->v[i];
        uint64_t lens[2] = {u->name_len, strlen(u->stored)};
        if (EVP_DigestUpdate(ctx, lens, sizeof lens) != 1 ||
            EVP_DigestUpdate(ctx, u->name, u->name_len) != 1 ||
            EVP_DigestUpdate(ctx, u->stored, lens[1]) != 1)
            abort();
    }
    if (EVP_DigestFinal_ex(ctx, db->fake_key, NULL) != 1)
        abort();
    EVP_MD_CTX_free(ctx);
    db->users = users;
    db->fake_iterations = common_iterations(users);
}
