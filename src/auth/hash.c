/*
 * hash.c - password hashing and verification.
 *
 * The stored forms are the ones mosquitto_passwd 2.0 writes, checked
 * against its real output (the unit tests do it again at test time):
 *   $7$ITER$SALT$HASH  PBKDF2-HMAC-SHA512(password, salt, ITER), 64 bytes
 *   $6$SALT$HASH       SHA-512(password || salt), one round. This is
 *                      mosquitto's own form, not crypt(3)'s sha512-crypt,
 *                      whose salt alphabet and rounds differ.
 * SALT and HASH are padded standard base64; mosquitto_passwd uses 12-byte
 * salts. `$argon2id$...` values are the reference implementation's encoded
 * form and are verified by libargon2. `$scram$...` secrets (auth.h) are
 * parsed and checked in scram_secret.c.
 *
 * Every comparison is constant time in the password (CRYPTO_memcmp over
 * fixed-size digests; plain text is compared through its SHA-512), so the
 * time a check takes tells a client nothing about how close it was.
 * Hashing is slow on purpose; callers keep it off the loop threads.
 */
#include "auth/auth_int.h"

#include <argon2.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"

#define SHA512_LEN 64
#define SALT_MAX 64
#define PBKDF2_DEFAULT_ITERATIONS 101 /* mosquitto_passwd 2.0's default */
#define PBKDF2_SALT_LEN 12            /* as mosquitto_passwd */

/* Bounds on argon2id cost parameters read from a file: generous for real
 * settings, but a typo cannot make one CONNECT take a gigabyte or a minute. */
#define ARGON2_MAX_M_KIB (1u << 20)
#define ARGON2_MAX_T 1000u
#define ARGON2_MAX_P 64u

struct parsed_hash {
    unsigned long iterations; /* $7$ only */
    uint8_t salt[SALT_MAX];
    size_t salt_len;
    uint8_t hash[SHA512_LEN];
};

static const char pbkdf2_prefix[] = "$7$";
static const char sha512_prefix[] = "$6$";
static const char argon2id_prefix[] = "$argon2id$";
static const char scram_prefix[] = "$scram$";

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

enum auth_hash_kind auth_hash_kind_of(const char *stored)
{
    if (has_prefix(stored, pbkdf2_prefix))
        return AUTH_HASH_PBKDF2;
    if (has_prefix(stored, sha512_prefix))
        return AUTH_HASH_SHA512;
    if (has_prefix(stored, argon2id_prefix))
        return AUTH_HASH_ARGON2ID;
    if (has_prefix(stored, scram_prefix))
        return AUTH_HASH_SCRAM;
    return AUTH_HASH_PLAIN;
}

/* Reads a decimal number of at most 10 digits ending at `end`; returns
 * false when there is none or it exceeds max. */
static bool parse_uint(const char **s, char end, unsigned long max, unsigned long *out)
{
    const char *p = *s;
    unsigned long v = 0;
    size_t digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 10) {
        v = v * 10 + (unsigned long)(*p - '0');
        p++;
        digits++;
    }
    if (digits == 0 || *p != end || v > max)
        return false;
    *s = p + 1;
    *out = v;
    return true;
}

/* Parses "SALT$HASH" (the part after the prefix and iterations). */
static bool parse_salt_hash(const char *s, struct parsed_hash *ph, const char **why)
{
    const char *dollar = strchr(s, '$');
    if (dollar == NULL) {
        *why = "missing '$' between salt and hash";
        return false;
    }
    long n = auth_b64_decode(s, (size_t)(dollar - s), ph->salt, sizeof ph->salt);
    if (n <= 0) {
        *why = "salt is not base64 of 1 to 64 bytes";
        return false;
    }
    ph->salt_len = (size_t)n;
    uint8_t tmp[SHA512_LEN + 1];
    n = auth_b64_decode(dollar + 1, strlen(dollar + 1), tmp, sizeof tmp);
    if (n != SHA512_LEN) {
        *why = "hash is not base64 of 64 bytes";
        return false;
    }
    memcpy(ph->hash, tmp, SHA512_LEN);
    return true;
}

static bool parse_pbkdf2(const char *stored, struct parsed_hash *ph, const char **why)
{
    const char *p = stored + strlen(pbkdf2_prefix);
    if (!parse_uint(&p, '$', INT_MAX, &ph->iterations) || ph->iterations == 0) {
        *why = "iteration count is not a number from 1 to 2147483647";
        return false;
    }
    return parse_salt_hash(p, ph, why);
}

static bool parse_sha512(const char *stored, struct parsed_hash *ph, const char **why)
{
    ph->iterations = 0;
    return parse_salt_hash(stored + strlen(sha512_prefix), ph, why);
}

/* Checks one base64 field of an argon2 encoding that ends at `end` ('$'
 * or the NUL), and steps over it and its terminator. */
static bool argon2_b64_field(const char **s, char end, size_t min, size_t max)
{
    const char *stop = strchr(*s, end);
    if (stop == NULL)
        return false;
    uint8_t buf[128];
    long got = auth_b64_decode(*s, (size_t)(stop - *s), buf, sizeof buf);
    if (got < (long)min || got > (long)max)
        return false;
    *s = end ? stop + 1 : stop;
    return true;
}

/* Reads "NAME=NUMBER" followed by end. */
static bool parse_param(const char **s, const char *name, char end, unsigned long max,
                        unsigned long *out)
{
    size_t n = strlen(name);
    if (strncmp(*s, name, n) != 0)
        return false;
    *s += n;
    return parse_uint(s, end, max, out);
}

static bool argon2_valid(const char *stored, const char **why)
{
    const char *p = stored + strlen(argon2id_prefix);
    unsigned long v, m, t, par;
    if (strncmp(p, "v=", 2) == 0 && !parse_param(&p, "v=", '$', 255, &v)) {
        *why = "bad argon2 version field";
        return false;
    }
    if (!parse_param(&p, "m=", ',', ARGON2_MAX_M_KIB, &m) ||
        !parse_param(&p, "t=", ',', ARGON2_MAX_T, &t) ||
        !parse_param(&p, "p=", '$', ARGON2_MAX_P, &par) || t == 0 || par == 0 || m < 8 * par) {
        *why = "argon2id parameters must be m=KiB,t=N,p=N with m <= 1048576, t <= 1000, p <= 64";
        return false;
    }
    if (!argon2_b64_field(&p, '$', 8, 64) || !argon2_b64_field(&p, '\0', 4, 64)) {
        *why = "argon2id salt or hash is not unpadded base64 of the right size";
        return false;
    }
    return true;
}

bool auth_hash_valid(const char *stored, const char **why)
{
    struct parsed_hash ph;
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    switch (auth_hash_kind_of(stored)) {
    case AUTH_HASH_PBKDF2:
        return parse_pbkdf2(stored, &ph, why);
    case AUTH_HASH_SHA512:
        return parse_sha512(stored, &ph, why);
    case AUTH_HASH_ARGON2ID:
        return argon2_valid(stored, why);
    case AUTH_HASH_SCRAM: {
        struct auth_scram_secret sec;
        return auth_scram_secret_parse(stored, &sec, why);
    }
    case AUTH_HASH_PLAIN:
        break;
    }
    return true;
}

int auth_hash_password(const char *password, unsigned iterations, char *out, size_t cap)
{
    uint8_t salt[PBKDF2_SALT_LEN], key[SHA512_LEN];
    char salt64[32], key64[96];
    size_t pwlen = strlen(password);
    if (iterations == 0)
        iterations = PBKDF2_DEFAULT_ITERATIONS;
    if (iterations > INT_MAX || pwlen > INT_MAX)
        return -1;
    rand_bytes(salt, sizeof salt);
    if (PKCS5_PBKDF2_HMAC(password, (int)pwlen, salt, (int)sizeof salt, (int)iterations,
                          EVP_sha512(), (int)sizeof key, key) != 1)
        return -1;
    auth_b64_encode(salt, sizeof salt, salt64, sizeof salt64);
    auth_b64_encode(key, sizeof key, key64, sizeof key64);
    OPENSSL_cleanse(key, sizeof key);
    int n = snprintf(out, cap, "%s%u$%s$%s", pbkdf2_prefix, iterations, salt64, key64);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* SHA-512 of a || b; false only if OpenSSL fails. */
static bool sha512_two(struct slice a, const uint8_t *b, size_t blen, uint8_t out[SHA512_LEN])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha512(), NULL) == 1 &&
              EVP_DigestUpdate(ctx, a.len ? a.ptr : (const uint8_t *)"", a.len) == 1 &&
              EVP_DigestUpdate(ctx, b, blen) == 1 && EVP_DigestFinal_ex(ctx, out, NULL) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

static bool verify_hashed(const char *stored, enum auth_hash_kind kind, struct slice pw)
{
    struct parsed_hash ph;
    const char *why;
    uint8_t got[SHA512_LEN];
    const char *pwp = pw.len ? (const char *)pw.ptr : "";
    bool ok;
    if (kind == AUTH_HASH_PBKDF2) {
        ok = parse_pbkdf2(stored, &ph, &why) &&
             PKCS5_PBKDF2_HMAC(pwp, (int)pw.len, ph.salt, (int)ph.salt_len, (int)ph.iterations,
                               EVP_sha512(), SHA512_LEN, got) == 1;
    } else {
        ok = parse_sha512(stored, &ph, &why) && sha512_two(pw, ph.salt, ph.salt_len, got);
    }
    ok = ok && CRYPTO_memcmp(got, ph.hash, SHA512_LEN) == 0;
    OPENSSL_cleanse(got, sizeof got);
    return ok;
}

bool auth_verify_password(const char *stored, struct slice password)
{
    if (password.len > INT_MAX)
        return false;
    enum auth_hash_kind kind = auth_hash_kind_of(stored);
    switch (kind) {
    case AUTH_HASH_PBKDF2:
    case AUTH_HASH_SHA512:
        return verify_hashed(stored, kind, password);
    case AUTH_HASH_ARGON2ID:
        /* libargon2 decodes, bounds-checks and compares in constant time;
         * our own check first keeps its memory cost within our bounds. */
        return argon2_valid(stored, &(const char *){NULL}) &&
               argon2id_verify(stored, password.len ? password.ptr : (const void *)"",
                               password.len) == ARGON2_OK;
    case AUTH_HASH_SCRAM:
        return auth_scram_secret_verify(stored, password);
    case AUTH_HASH_PLAIN:
        break;
    }
    /* Plain text: compare digests so the time does not depend on where the
     * first differing byte is, nor on the stored length. */
    uint8_t a[SHA512_LEN], b[SHA512_LEN];
    bool ok = sha512_two(password, NULL, 0, a) && sha512_two(slice_cstr(stored), NULL, 0, b) &&
              CRYPTO_memcmp(a, b, SHA512_LEN) == 0;
    OPENSSL_cleanse(a, sizeof a);
    return ok;
}
