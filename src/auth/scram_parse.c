/*
 * scram_parse.c - the grammar of the two SCRAM messages a client sends
 * (RFC 5802 section 7), with no crypto and no state:
 *
 *   client-first = gs2-header client-first-bare
 *   gs2-header   = ("n" / "y" / "p=" cb-name) "," ["a=" saslname] ","
 *   client-first-bare = ["m=" ext ","] "n=" saslname "," "r=" c-nonce
 *                       ["," extensions]
 *   client-final = "c=" base64 "," "r=" nonce ["," extensions] "," "p=" base64
 *
 * Messages are split at ',' (no attribute value may contain one). We refuse
 * what we do not implement rather than misread it: channel binding ("p="
 * flag; we offer no -PLUS mechanism, so "y" is fine) and any mandatory
 * extension ("m="). Optional extensions are checked for shape and ignored,
 * as the RFC requires. User names are taken as already prepared: valid
 * UTF-8 without control characters, no SASLprep mapping, so they must be
 * stored in the form clients send (the same as for CONNECT passwords).
 */
#include "auth/auth_int.h"

#include "mqtt/mqtt.h"

static const char e_encoding[] = "e=invalid-encoding";
static const char e_username[] = "e=invalid-username-encoding";

/* Takes the field at *p up to the next ',' or the end, and steps past the
 * ','. Returns whether there was a ',' (more fields follow). */
static bool take(const uint8_t **p, const uint8_t *end, struct slice *f)
{
    const uint8_t *comma = memchr(*p, ',', (size_t)(end - *p));
    const uint8_t *stop = comma ? comma : end;
    *f = slice_make(*p, (size_t)(stop - *p));
    *p = comma ? comma + 1 : end;
    return comma != NULL;
}

/* True when f is "X=" with a non-empty value; *value is the value. */
static bool attr(struct slice f, char name, struct slice *value)
{
    if (f.len < 3 || f.ptr[0] != name || f.ptr[1] != '=')
        return false;
    *value = slice_make(f.ptr + 2, f.len - 2);
    return true;
}

/* An optional extension: ALPHA "=" 1*value-char (any byte but NUL and ','). */
static bool extension_valid(struct slice f)
{
    if (f.len < 3 || f.ptr[1] != '=' || memchr(f.ptr, '\0', f.len))
        return false;
    uint8_t c = f.ptr[0];
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* printable = %x21-2B / %x2D-7E: ASCII graphic characters but ','. */
static bool nonce_valid(struct slice n)
{
    for (size_t i = 0; i < n.len; i++)
        if (n.ptr[i] < 0x21 || n.ptr[i] > 0x7e || n.ptr[i] == ',')
            return false;
    return n.len > 0;
}

static bool name_valid(struct slice n)
{
    char buf[SCRAM_MSG_MAX];
    return auth_scram_name_decode(n, buf, sizeof buf) >= 0;
}

long auth_scram_name_decode(struct slice in, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < in.len; i++) {
        uint8_t c = in.ptr[i];
        if (c == '=') {
            if (in.len - i < 3)
                return -1;
            if (in.ptr[i + 1] == '2' && in.ptr[i + 2] == 'C')
                c = ',';
            else if (in.ptr[i + 1] == '3' && in.ptr[i + 2] == 'D')
                c = '=';
            else
                return -1;
            i += 2;
        } else if (c == ',' || c < 0x20 || c == 0x7f) {
            return -1;
        }
        if (o == cap)
            return -1;
        out[o++] = (char)c;
    }
    if (o == 0 || !mqtt_utf8_valid(slice_make(out, o)))
        return -1;
    return (long)o;
}

/* gs2-header: the channel binding flag and the optional authzid. */
static int parse_gs2(const uint8_t **p, const uint8_t *end, struct auth_scram_first *out,
                     const char **err)
{
    struct slice flag, az;
    bool more = take(p, end, &flag);
    if (flag.len >= 2 && flag.ptr[0] == 'p' && flag.ptr[1] == '=') {
        *err = "e=channel-binding-not-supported";
        return -1;
    }
    if (!more || flag.len != 1 || (flag.ptr[0] != 'n' && flag.ptr[0] != 'y'))
        return -1;
    if (!take(p, end, &az))
        return -1;
    if (az.len > 0 && !attr(az, 'a', &out->authzid))
        return -1;
    if (out->authzid.len > 0 && !name_valid(out->authzid)) {
        *err = e_username;
        return -1;
    }
    return 0;
}

/* Optional extensions after the nonce, up to the end of the message. */
static bool extensions_valid(const uint8_t *p, const uint8_t *end)
{
    struct slice f;
    bool more = true;
    while (more) {
        more = take(&p, end, &f);
        if (!extension_valid(f))
            return false;
    }
    return true;
}

int auth_scram_parse_first(struct slice msg, struct auth_scram_first *out, const char **err)
{
    memset(out, 0, sizeof *out);
    *err = e_encoding;
    if (msg.len == 0 || msg.len > SCRAM_MSG_MAX)
        return -1;
    const uint8_t *p = msg.ptr, *end = msg.ptr + msg.len;
    if (parse_gs2(&p, end, out, err) < 0)
        return -1;
    out->gs2 = slice_make(msg.ptr, (size_t)(p - msg.ptr));
    out->bare = slice_make(p, (size_t)(end - p));
    struct slice f;
    bool more = take(&p, end, &f);
    if (f.len >= 2 && f.ptr[0] == 'm' && f.ptr[1] == '=') {
        *err = "e=extensions-not-supported";
        return -1;
    }
    if (!more || !attr(f, 'n', &out->user))
        return -1;
    if (!name_valid(out->user)) {
        *err = e_username;
        return -1;
    }
    more = take(&p, end, &f);
    if (!attr(f, 'r', &out->nonce) || !nonce_valid(out->nonce))
        return -1;
    return more && !extensions_valid(p, end) ? -1 : 0;
}

int auth_scram_parse_final(struct slice msg, struct auth_scram_final *out, const char **err)
{
    memset(out, 0, sizeof *out);
    *err = e_encoding;
    if (msg.len == 0 || msg.len > SCRAM_MSG_MAX)
        return -1;
    const uint8_t *p = msg.ptr, *end = msg.ptr + msg.len;
    struct slice f;
    if (!take(&p, end, &f) || !attr(f, 'c', &out->cbind))
        return -1;
    if (!take(&p, end, &f) || !attr(f, 'r', &out->nonce) || !nonce_valid(out->nonce))
        return -1;
    /* Extensions may sit between the nonce and the proof; the proof is last. */
    for (;;) {
        const uint8_t *start = p;
        bool more = take(&p, end, &f);
        if (f.len >= 2 && f.ptr[0] == 'p' && f.ptr[1] == '=') {
            if (more || !attr(f, 'p', &out->proof))
                return -1;
            out->without_proof = slice_make(msg.ptr, (size_t)(start - 1 - msg.ptr));
            return 0;
        }
        if (!more || !extension_valid(f))
            return -1;
    }
}
