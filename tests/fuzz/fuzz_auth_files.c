/*
 * fuzz_auth_files.c - libFuzzer target for the auth file parsers and the
 * ACL decision.
 *
 * The first input byte picks what the rest is fed to:
 *   0  mosquitto password_file      1  Apollo users.properties
 *   2  Apollo groups.properties     3  acl_file (with a fixed groups
 *                                      table), then decisions on it
 *   4  "ENTRY\nFILTER\nTOPIC": filter coverage must agree with matching
 *   5  a stored password value ($7$, $6$, $argon2id$, $scram$, plain):
 *      validation, base64, cheap verification
 * Everything parses from memory; no files, no setup beyond this.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_int.h"
#include "mqtt/mqtt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_users(enum auth_file_format fmt, const uint8_t *p, size_t n)
{
    struct auth_users u = {0};
    char err[256];
    if (auth_users_parse(&u, fmt, "fuzz", p, n, err, sizeof err) == 0) {
        for (size_t i = 0; i < u.n; i++)
            if (auth_users_find(&u, slice_make(u.v[i].name, u.v[i].name_len)) == NULL)
                abort(); /* every parsed user can be found */
        auth_users_fini(&u);
    } else if (u.n != 0 || u.v != NULL || err[0] == '\0') {
        abort(); /* a failed parse leaves nothing behind and says why */
    }
}

static void fuzz_groups(const uint8_t *p, size_t n)
{
    struct auth_groups g = {0};
    char err[256];
    if (auth_groups_parse(&g, "fuzz", p, n, err, sizeof err) == 0) {
        for (size_t i = 0; i < g.n; i++)
            for (size_t j = 0; j < g.v[i].n; j++)
                if (!auth_group_has(&g.v[i],
                                    slice_make(g.v[i].members[j].ptr, g.v[i].members[j].len)))
                    abort();
        auth_groups_fini(&g);
    }
}

static void acl_decide(const struct auth_acl *acl)
{
    static const char *const users[] = {NULL, "alice", "bob", "", "+", "#", "a/b", "$SYS"};
    static const char *const topics[] = {"a/b",     "a", "$SYS/x", "devices/x/cmd",
                                         "alice/x", "/", "x/$y"};
    static const char *const filters[] = {
        "#", "+/x", "a/#", "$SYS/#", "$share/g/a/#", "devices/+/cmd", "alice/#", "+"};
    for (size_t u = 0; u < sizeof users / sizeof users[0]; u++) {
        struct slice name = slice_cstr(users[u]);
        const struct slice *up = users[u] ? &name : NULL;
        struct slice cid = users[u] ? name : SLICE_LIT("x");
        for (size_t t = 0; t < sizeof topics / sizeof topics[0]; t++) {
            auth_acl_check(acl, cid, up, slice_cstr(topics[t]), AUTH_ACCESS_READ);
            auth_acl_check(acl, cid, up, slice_cstr(topics[t]), AUTH_ACCESS_WRITE);
        }
        for (size_t f = 0; f < sizeof filters / sizeof filters[0]; f++)
            auth_acl_check(acl, cid, up, slice_cstr(filters[f]), AUTH_ACCESS_SUBSCRIBE);
    }
}

static void fuzz_acl(const uint8_t *p, size_t n)
{
    static const char groups_text[] = "admins=alice\nops=bob|alice\nempty=\n";
    struct auth_groups g = {0};
    struct auth_acl acl = {0};
    char err[256];
    if (auth_groups_parse(&g, "groups", (const uint8_t *)groups_text, strlen(groups_text), err,
                          sizeof err) != 0)
        abort();
    if (auth_acl_parse(&acl, &g, "fuzz", p, n, err, sizeof err) == 0) {
        acl_decide(&acl);
        auth_acl_fini(&acl);
    }
    auth_groups_fini(&g);
}

/* Next '\n'-terminated piece of [*p, end). */
static struct slice piece(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
    struct slice s = slice_make(*p, nl ? (size_t)(nl - *p) : (size_t)(end - *p));
    *p = nl ? nl + 1 : end;
    return s;
}

/* Coverage claims are checked against mqtt_topic_matches: if ENTRY covers
 * FILTER, every topic FILTER matches is matched by ENTRY. */
static void fuzz_covers(const uint8_t *p, size_t n)
{
    const uint8_t *end = p + n;
    struct slice e = piece(&p, end), f = piece(&p, end), t = piece(&p, end);
    struct slice g, real;
    if (!mqtt_topic_filter_valid(e) || !mqtt_topic_filter_valid(f) ||
        mqtt_topic_shared_split(e, &g, &real) || mqtt_topic_shared_split(f, &g, &real))
        return;
    if (!auth_filter_covers(e, e) || !auth_filter_covers(f, f))
        abort();
    if (mqtt_topic_name_valid(t) && auth_filter_covers(e, f) && mqtt_topic_matches(f, t) &&
        !mqtt_topic_matches(e, t))
        abort();
}

static void fuzz_hash(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    memcpy(s, p, n);
    s[n] = '\0';
    const char *why = NULL;
    bool valid = auth_hash_valid(s, &why);
    if (!valid && why == NULL)
        abort();
    /* Only the cheap forms are verified: a fuzzed $7$ or $scram$ iteration
     * count or argon2 cost would spend the run in hashing. */
    enum auth_hash_kind k = auth_hash_kind_of(s);
    if (k == AUTH_HASH_PLAIN || k == AUTH_HASH_SHA512)
        auth_verify_password(s, slice_make(p, n));
    uint8_t dec[256];
    char enc[400];
    long d = auth_b64_decode(s, strlen(s), dec, sizeof dec);
    if (d >= 0) {
        long e = auth_b64_encode(dec, (size_t)d, enc, sizeof enc);
        uint8_t again[256];
        if (e < 0 || auth_b64_decode(enc, (size_t)e, again, sizeof again) != d ||
            memcmp(dec, again, (size_t)d) != 0)
            abort();
    }
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    switch (data[0] % 6) {
    case 0:
        fuzz_users(AUTH_FMT_MOSQUITTO, p, n);
        break;
    case 1:
        fuzz_users(AUTH_FMT_PROPERTIES, p, n);
        break;
    case 2:
        fuzz_groups(p, n);
        break;
    case 3:
        fuzz_acl(p, n);
        break;
    case 4:
        fuzz_covers(p, n);
        break;
    default:
        fuzz_hash(p, n);
        break;
    }
    return 0;
}
