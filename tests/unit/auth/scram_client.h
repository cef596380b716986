/*
 * scram_client.h - a tiny SCRAM client for the unit tests, written from
 * RFC 5802 section 3 with OpenSSL directly (not with the server's helpers),
 * so the server is checked against an independent computation.
 */
#ifndef PETREL_TESTS_AUTH_SCRAM_CLIENT_H
#define PETREL_TESTS_AUTH_SCRAM_CLIENT_H

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_int.h"

struct tc_scram {
    enum auth_scram_mech mech;
    const char *password;
    char first[1024];       /* client-first-message */
    size_t gs2_len;         /* its gs2-header's length */
    char final[2048];       /* client-final-message */
    char server_final[160]; /* the "v=..." the server must answer */
};

static inline const EVP_MD *tc_md(enum auth_scram_mech m)
{
    return m == AUTH_SCRAM_SHA512 ? EVP_sha512() : EVP_sha256();
}

/* Writes the client-first-message: gs2 header (e.g. "n,,"), then
 * "n=USER,r=NONCE" with USER already saslname-encoded. */
static inline void tc_first(struct tc_scram *c, enum auth_scram_mech mech, const char *gs2,
                            const char *user, const char *nonce, const char *password)
{
    c->mech = mech;
    c->password = password;
    c->gs2_len = strlen(gs2);
    snprintf(c->first, sizeof c->first, "%sn=%s,r=%s", gs2, user, nonce);
}

/* Finds "X=" in a server-first-message and copies its value. */
static inline bool tc_attr(const char *msg, size_t len, char name, char *out, size_t cap)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if ((i == 0 || msg[i - 1] == ',') && msg[i] == name && msg[i + 1] == '=') {
            size_t j = i + 2;
            while (j < len && msg[j] != ',')
                j++;
            if (j - i - 2 >= cap)
                return false;
            memcpy(out, msg + i + 2, j - i - 2);
            out[j - i - 2] = '\0';
            return true;
        }
    }
    return false;
}

/* From the server-first-message, writes the client-final-message (with
 * `ext` inserted before the proof when not NULL, e.g. ",x=1") and the
 * expected server-final. Returns false when the server-first is unusable. */
static inline bool tc_final(struct tc_scram *c, struct slice server_first, const char *ext)
{
    const char *sf = (const char *)server_first.ptr;
    size_t sflen = server_first.len, dl = (size_t)EVP_MD_size(tc_md(c->mech));
    char nonce[512], salt64[128], iter[16], cb64[256];
    uint8_t salt[96];
    if (!tc_attr(sf, sflen, 'r', nonce, sizeof nonce) ||
        !tc_attr(sf, sflen, 's', salt64, sizeof salt64) ||
        !tc_attr(sf, sflen, 'i', iter, sizeof iter))
        return false;
    long saltlen = auth_b64_decode(salt64, strlen(salt64), salt, sizeof salt);
    if (saltlen <= 0)
        return false;
    uint8_t salted[64], ckey[64], skey[64], stored[64], sig[64], proof[64];
    PKCS5_PBKDF2_HMAC(c->password, (int)strlen(c->password), salt, (int)saltlen, atoi(iter),
                      tc_md(c->mech), (int)dl, salted);
    HMAC(tc_md(c->mech), salted, (int)dl, (const uint8_t *)"Client Key", 10, ckey, NULL);
    HMAC(tc_md(c->mech), salted, (int)dl, (const uint8_t *)"Server Key", 10, skey, NULL);
    EVP_Digest(ckey, dl, stored, NULL, tc_md(c->mech), NULL);
    auth_b64_encode((const uint8_t *)c->first, c->gs2_len, cb64, sizeof cb64);
    char without[1024], auth_msg[4096];
    snprintf(without, sizeof without, "c=%s,r=%s%s", cb64, nonce, ext ? ext : "");
    int n = snprintf(auth_msg, sizeof auth_msg, "%s,%.*s,%s", c->first + c->gs2_len, (int)sflen, sf,
                     without);
    HMAC(tc_md(c->mech), stored, (int)dl, (const uint8_t *)auth_msg, (size_t)n, sig, NULL);
    for (size_t i = 0; i < dl; i++)
        proof[i] = ckey[i] ^ sig[i];
    char proof64[128], sig64[128];
    auth_b64_encode(proof, dl, proof64, sizeof proof64);
    snprintf(c->final, sizeof c->final, "%s,p=%s", without, proof64);
    HMAC(tc_md(c->mech), skey, (int)dl, (const uint8_t *)auth_msg, (size_t)n, sig, NULL);
    auth_b64_encode(sig, dl, sig64, sizeof sig64);
    snprintf(c->server_final, sizeof c->server_final, "v=%s", sig64);
    return true;
}

#endif
