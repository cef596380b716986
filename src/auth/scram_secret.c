/*
 * scram_secret.c - stored SCRAM secrets: the `$scram$` form (described in
 * auth.h), making one from a password, checking a plain password against
 * one, and the digest primitives the exchange (scram.c) shares.
 *
 * The secret keeps StoredKey and ServerKey, never SaltedPassword or
 * ClientKey: whoever reads the file can impersonate the server to a client
 * but cannot log in as the user (RFC 5802 section 9). Checking a plain
 * CONNECT password against it recomputes StoredKey with one PBKDF2, so it
 * costs what a `$7$` check costs and stays off the loop threads.
 */
#include "auth/auth_int.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"

static const char scram_prefix[] = "$scram$";

static const EVP_MD *mech_md(enum auth_scram_mech mech)
{
    return mech == AUTH_SCRAM_SHA512 ? EVP_sha512() : EVP_sha256();
}

static const char *mech_field(enum auth_scram_mech mech)
{
    return mech == AUTH_SCRAM_SHA512 ? "sha512=" : "sha256=";
}

size_t auth_scram_digest_len(enum auth_scram_mech mech)
{
    return mech == AUTH_SCRAM_SHA512 ? 64 : 32;
}

void auth_scram_hash(enum auth_scram_mech mech, const uint8_t *in, size_t n, uint8_t *out)
{
    if (EVP_Digest(n ? in : (const uint8_t *)"", n, out, NULL, mech_md(mech), NULL) != 1)
        abort();
}

void auth_scram_hmac(enum auth_scram_mech mech, const uint8_t *key, size_t keylen, const void *in,
                     size_t n, uint8_t *out)
{
    if (keylen > INT_MAX ||
        HMAC(mech_md(mech), key, (int)keylen, n ? in : (const void *)"", n, out, NULL) == NULL)
        abort();
}

/* StoredKey and ServerKey from a password (RFC 5802 section 3). */
static bool derive_keys(enum auth_scram_mech mech, struct slice pw, const uint8_t *salt,
                        size_t salt_len, unsigned long iterations, uint8_t *stored, uint8_t *server)
{
    uint8_t salted[SCRAM_DIGEST_MAX], client_key[SCRAM_DIGEST_MAX];
    size_t dl = auth_scram_digest_len(mech);
    if (pw.len > INT_MAX || iterations == 0 || iterations > INT_MAX)
        return false;
    if (PKCS5_PBKDF2_HMAC(pw.len ? (const char *)pw.ptr : "", (int)pw.len, salt, (int)salt_len,
                          (int)iterations, mech_md(mech), (int)dl, salted) != 1)
        return false;
    auth_scram_hmac(mech, salted, dl, "Client Key", 10, client_key);
    auth_scram_hash(mech, client_key, dl, stored);
    if (server)
        auth_scram_hmac(mech, salted, dl, "Server Key", 10, server);
    OPENSSL_cleanse(salted, sizeof salted);
    OPENSSL_cleanse(client_key, sizeof client_key);
    return true;
}

/* Decodes base64 in[0..n) that must hold exactly want bytes into out. */
static bool decode_exact(const char *in, size_t n, uint8_t *out, size_t want)
{
    uint8_t tmp[SCRAM_DIGEST_MAX + 1];
    if (auth_b64_decode(in, n, tmp, sizeof tmp) != (long)want)
        return false;
    memcpy(out, tmp, want);
    return true;
}

static bool fail_why(const char **why, const char *msg)
{
    *why = msg;
    return false;
}

/* Reads "sha256=" or "sha512=" then "STORED:SERVER" up to '$' or the end. */
static bool parse_keys(const char **s, struct auth_scram_secret *out, const char **why)
{
    enum auth_scram_mech mech;
    if (strncmp(*s, "sha256=", 7) == 0)
        mech = AUTH_SCRAM_SHA256;
    else if (strncmp(*s, "sha512=", 7) == 0)
        mech = AUTH_SCRAM_SHA512;
    else
        return fail_why(why, "SCRAM keys must start with sha256= or sha512=");
    if (out->mechs & (unsigned)mech)
        return fail_why(why, "SCRAM secret names a digest twice");
    const char *p = *s + 7, *colon = strchr(p, ':');
    const char *end = colon ? strchr(colon, '$') : NULL;
    if (colon && end == NULL)
        end = colon + strlen(colon);
    int i = scram_index(mech);
    size_t dl = auth_scram_digest_len(mech);
    if (colon == NULL || !decode_exact(p, (size_t)(colon - p), out->stored_key[i], dl) ||
        !decode_exact(colon + 1, (size_t)(end - colon - 1), out->server_key[i], dl))
        return fail_why(why, "SCRAM StoredKey:ServerKey is not base64 of the digest's size");
    out->mechs |= (unsigned)mech;
    *s = end;
    return true;
}

/* Reads the decimal iteration count ending at '$'. */
static bool parse_iterations(const char **s, unsigned long *out)
{
    const char *p = *s;
    unsigned long v = 0;
    size_t digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 10) {
        v = v * 10 + (unsigned long)(*p - '0');
        p++;
        digits++;
    }
    if (digits == 0 || *p != '$' || v == 0 || v > INT_MAX)
        return false;
    *out = v;
    *s = p + 1;
    return true;
}

bool auth_scram_secret_parse(const char *stored, struct auth_scram_secret *out, const char **why)
{
    memset(out, 0, sizeof *out);
    if (strncmp(stored, scram_prefix, sizeof scram_prefix - 1) != 0)
        return fail_why(why, "not a $scram$ secret");
    const char *p = stored + sizeof scram_prefix - 1;
    if (!parse_iterations(&p, &out->iterations))
        return fail_why(why, "iteration count is not a number from 1 to 2147483647");
    const char *dollar = strchr(p, '$');
    long n = dollar ? auth_b64_decode(p, (size_t)(dollar - p), out->salt, sizeof out->salt) : -1;
    if (n <= 0)
        return fail_why(why, "SCRAM salt is not base64 of 1 to 64 bytes");
    out->salt_len = (size_t)n;
    p = dollar;
    while (*p == '$') {
        p++;
        if (!parse_keys(&p, out, why))
            return false;
    }
    if (*p != '\0' || out->mechs == 0)
        return fail_why(why, "SCRAM secret needs sha256= and/or sha512= keys");
    return true;
}

/* Appends "$NAME=STORED:SERVER" for mech at out[*o]. */
static bool append_keys(enum auth_scram_mech mech, const uint8_t *stored, const uint8_t *server,
                        char *out, size_t cap, size_t *o)
{
    size_t dl = auth_scram_digest_len(mech);
    int n = snprintf(out + *o, cap - *o, "$%s", mech_field(mech));
    if (n < 0 || (size_t)n >= cap - *o)
        return false;
    *o += (size_t)n;
    long e = auth_b64_encode(stored, dl, out + *o, cap - *o);
    if (e < 0 || (size_t)e + 1 >= cap - *o)
        return false;
    *o += (size_t)e;
    out[(*o)++] = ':';
    e = auth_b64_encode(server, dl, out + *o, cap - *o);
    if (e < 0)
        return false;
    *o += (size_t)e;
    return true;
}

int auth_scram_secret_format(struct slice password, unsigned long iterations, const uint8_t *salt,
                             size_t salt_len, unsigned mechs, char *out, size_t cap)
{
    char salt64[SCRAM_SALT_MAX * 2];
    if (mechs == 0 || (mechs & ~(unsigned)AUTH_SCRAM_ALL) || salt_len == 0 ||
        salt_len > SCRAM_SALT_MAX || auth_b64_encode(salt, salt_len, salt64, sizeof salt64) < 0)
        return -1;
    int n = snprintf(out, cap, "%s%lu$%s", scram_prefix, iterations, salt64);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    size_t o = (size_t)n;
    static const enum auth_scram_mech order[] = {AUTH_SCRAM_SHA256, AUTH_SCRAM_SHA512};
    for (size_t i = 0; i < 2; i++) {
        uint8_t stored[SCRAM_DIGEST_MAX], server[SCRAM_DIGEST_MAX];
        if (!(mechs & (unsigned)order[i]))
            continue;
        bool ok = derive_keys(order[i], password, salt, salt_len, iterations, stored, server) &&
                  append_keys(order[i], stored, server, out, cap, &o);
        OPENSSL_cleanse(server, sizeof server);
        if (!ok)
            return -1;
    }
    return 0;
}

int auth_hash_scram(const char *password, unsigned iterations, unsigned mechs, char *out,
                    size_t cap)
{
    uint8_t salt[SCRAM_SALT_LEN];
    rand_bytes(salt, sizeof salt);
    return auth_scram_secret_format(slice_cstr(password),
                                    iterations ? iterations : SCRAM_DEFAULT_ITERATIONS, salt,
                                    sizeof salt, mechs, out, cap);
}

bool auth_scram_secret_verify(const char *stored, struct slice password)
{
    struct auth_scram_secret sec;
    const char *why;
    if (!auth_scram_secret_parse(stored, &sec, &why))
        return false;
    /* One PBKDF2 suffices: both key sets come from the same password. */
    enum auth_scram_mech mech =
        sec.mechs & AUTH_SCRAM_SHA512 ? AUTH_SCRAM_SHA512 : AUTH_SCRAM_SHA256;
    uint8_t got[SCRAM_DIGEST_MAX];
    bool ok =
        derive_keys(mech, password, sec.salt, sec.salt_len, sec.iterations, got, NULL) &&
        CRYPTO_memcmp(got, sec.stored_key[scram_index(mech)], auth_scram_digest_len(mech)) == 0;
    OPENSSL_cleanse(got, sizeof got);
    OPENSSL_cleanse(&sec, sizeof sec);
    return ok;
}
