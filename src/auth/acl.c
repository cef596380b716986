/*
 * acl.c - ACL decisions: which entries apply to a client, pattern
 * substitution, and topic filter coverage for SUBSCRIBE.
 *
 * The entries that apply to a client are mosquitto's: an anonymous client
 * gets the anonymous block; a client with a user name gets its user block
 * and the blocks of the groups it belongs to (ours); everyone gets the
 * patterns. Access is granted when some applicable entry grants it and no
 * applicable `deny` entry matches: deny wins wherever it stands.
 *
 * READ and WRITE check a topic name (mqtt_topic_matches). SUBSCRIBE checks
 * a filter: it is allowed when a read-capable entry covers it (every topic
 * the filter can match is matched by the entry) and no deny entry covers
 * it. A deny that only overlaps (deny a/secret, subscribe a/#) does not
 * refuse the subscription; the READ check on delivery then withholds the
 * denied topics. `$share/GROUP/F` is checked as F.
 *
 * Pattern substitution: %c and %u are literal values, but an MQTT topic
 * has no escapes, so a value holding '+', '#' or '/' (or a '$' that would
 * start the topic) would widen the entry: client id "#" would turn
 * `pattern read dev/%c/#` into `dev/#/#`... Such an entry grants nothing;
 * when it is a deny it denies everything it could have meant (fail
 * closed). A %u pattern does not apply to an anonymous client at all.
 */
#include "auth/auth_int.h"

#include <stdlib.h>
#include <string.h>

#include "mqtt/mqtt.h"
#include "util/alloc.h"

/* What one client asks, and what was decided so far. */
struct acl_query {
    struct slice client_id;
    const struct slice *username; /* NULL: anonymous */
    struct slice topic;           /* a name, or a filter for SUBSCRIBE */
    enum auth_access access;
    bool granted;
    bool denied;
};

/* ---- Filter coverage ----------------------------------------------------- */

/* Reads the level of s starting at *pos; false once past the last one. */
static bool level_next(struct slice s, size_t *pos, struct slice *lvl)
{
    if (*pos > s.len)
        return false;
    const uint8_t *start = s.ptr + *pos;
    size_t rest = s.len - *pos;
    const uint8_t *slash = rest ? memchr(start, '/', rest) : NULL;
    size_t n = slash ? (size_t)(slash - start) : rest;
    *lvl = slice_make(start, n);
    *pos += n + 1;
    return true;
}

static bool is_dollar(struct slice lvl)
{
    return lvl.len > 0 && lvl.ptr[0] == '$';
}

/* F's level is '#' (F matches the parent and everything below) while E's
 * is not: only a first-level "+/#" covers that, because every topic has a
 * first level and "+/#" matches it with or without more levels. */
static bool covers_hash(struct slice entry, size_t pe, struct slice le, bool first)
{
    struct slice next;
    return first && slice_eq_cstr(le, "+") && level_next(entry, &pe, &next) &&
           slice_eq_cstr(next, "#");
}

bool auth_filter_covers(struct slice entry, struct slice filter)
{
    size_t pe = 0, pf = 0;
    struct slice le = SLICE_NULL, lf = SLICE_NULL;
    for (bool first = true;; first = false) {
        bool he = level_next(entry, &pe, &le), hf = level_next(filter, &pf, &lf);
        if (!hf)
            return !he || slice_eq_cstr(le, "#"); /* "a/#" covers "a" */
        if (!he)
            return false; /* the filter reaches deeper than the entry */
        /* Wildcards in the first level match no '$' topic [MQTT-4.7.2-1],
         * so they cannot cover a filter that names one. */
        if (first && is_dollar(lf) && (slice_eq_cstr(le, "#") || slice_eq_cstr(le, "+")))
            return false;
        if (slice_eq_cstr(le, "#"))
            return true;
        if (slice_eq_cstr(lf, "#"))
            return covers_hash(entry, pe, le, first);
        if (slice_eq_cstr(le, "+"))
            continue; /* covers a literal level or '+' */
        if (!slice_eq(le, lf))
            return false; /* literal entry level: only the same literal */
    }
}

/* ---- Entries --------------------------------------------------------------- */

static bool entry_hits(struct slice filter, const struct acl_query *q)
{
    if (q->access == AUTH_ACCESS_SUBSCRIBE)
        return auth_filter_covers(filter, q->topic);
    return mqtt_topic_matches(filter, q->topic);
}

static uint8_t access_bit(enum auth_access a)
{
    return a == AUTH_ACCESS_WRITE ? ACL_WRITE : ACL_READ;
}

/* Applies one entry whose filter is final (substituted). */
static void entry_apply(struct slice filter, uint8_t access, struct acl_query *q)
{
    if (access == 0) {
        if (!q->denied && entry_hits(filter, q))
            q->denied = true;
    } else if (!q->granted && (access & access_bit(q->access)) && entry_hits(filter, q)) {
        q->granted = true;
    }
}

static void block_apply(const struct acl_block *b, struct acl_query *q)
{
    for (size_t i = 0; i < b->n && !q->denied; i++)
        entry_apply(slice_make(b->v[i].filter, b->v[i].len), b->v[i].access, q);
}

/* ---- Patterns ---------------------------------------------------------------- */

/* Size of e's filter after substitution, or SIZE_MAX when it cannot be
 * formed: then *bad is set for a value that would widen the entry, or
 * *skip for %u and an anonymous client. */
static size_t subst_size(const struct acl_entry *e, const struct acl_query *q, bool *bad,
                         bool *skip)
{
    size_t n = 0;
    for (size_t i = 0; i < e->len; i++) {
        char c = i + 1 < e->len && e->filter[i] == '%' ? e->filter[i + 1] : 0;
        if (c != 'c' && c != 'u') {
            n++;
            continue;
        }
        if (c == 'u' && q->username == NULL) {
            *skip = true;
            return SIZE_MAX;
        }
        struct slice v = c == 'c' ? q->client_id : *q->username;
        bool widens = (v.len && (memchr(v.ptr, '+', v.len) || memchr(v.ptr, '#', v.len) ||
                                 memchr(v.ptr, '/', v.len))) ||
                      (i == 0 && v.len && v.ptr[0] == '$');
        if (widens) {
            *bad = true;
            return SIZE_MAX;
        }
        n += v.len;
        i++;
    }
    return n;
}

static size_t subst_write(const struct acl_entry *e, const struct acl_query *q, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < e->len; i++) {
        char c = i + 1 < e->len && e->filter[i] == '%' ? e->filter[i + 1] : 0;
        if (c != 'c' && c != 'u') {
            out[o++] = e->filter[i];
            continue;
        }
        struct slice v = c == 'c' ? q->client_id : *q->username;
        if (v.len)
            memcpy(out + o, v.ptr, v.len);
        o += v.len;
        i++;
    }
    return o;
}

static void pattern_apply(const struct acl_entry *e, struct acl_query *q)
{
    if (!e->subst) {
        entry_apply(slice_make(e->filter, e->len), e->access, q);
        return;
    }
    bool bad = false, skip = false;
    size_t n = subst_size(e, q, &bad, &skip);
    if (skip)
        return;
    if (bad) {
        if (e->access == 0)
            q->denied = true; /* fail closed, see the file comment */
        return;
    }
    char stack[256];
    char *buf = n <= sizeof stack ? stack : xmalloc(n);
    size_t len = subst_write(e, q, buf);
    entry_apply(slice_make(buf, len), e->access, q);
    if (buf != stack)
        free(buf);
}

/* ---- The decision ------------------------------------------------------------- */

static const struct acl_block *user_block(const struct auth_acl *acl, struct slice user)
{
    size_t lo = 0, hi = acl->nusers;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct acl_block *b = &acl->users[mid];
        int c = auth_name_cmp(b->name.ptr, b->name.len, user.ptr, user.len);
        if (c == 0)
            return b;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static void client_blocks_apply(const struct auth_acl *acl, struct acl_query *q)
{
    if (q->username == NULL) {
        block_apply(&acl->anon, q);
        return;
    }
    const struct acl_block *ub = user_block(acl, *q->username);
    if (ub)
        block_apply(ub, q);
    for (size_t i = 0; i < acl->ngroups && !q->denied; i++)
        if (auth_group_has(acl->groups[i].group, *q->username))
            block_apply(&acl->groups[i], q);
}

bool auth_acl_check(const struct auth_acl *acl, struct slice client_id,
                    const struct slice *username, struct slice topic, enum auth_access access)
{
    struct slice group, real;
    if (access == AUTH_ACCESS_SUBSCRIBE && mqtt_topic_shared_split(topic, &group, &real))
        topic = real;
    if (topic.len == 0)
        return false;
    struct acl_query q = {client_id, username, topic, access, false, false};
    client_blocks_apply(acl, &q);
    for (size_t i = 0; i < acl->patterns.n && !q.denied; i++)
        pattern_apply(&acl->patterns.v[i], &q);
    return q.granted && !q.denied;
}
