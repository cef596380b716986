/*
 * users.c - user lists: mosquitto password_file and Apollo users.properties.
 *
 * password_file lines are `user:hash` (mosquitto_passwd's output); the
 * hash must be one we verify, because mosquitto 2.0 refuses plain text
 * there too. users.properties is the subset of Java properties files that
 * Apollo's users and groups files use: `key=value`, `key: value` or
 * `key value`, `#`/`!` comments, surrounding blanks trimmed and backslash
 * escapes (`\=`, `\:`, `\\`, `\ `, `\t`...). Line continuations and `\u`
 * escapes are refused with a message rather than half supported. Values
 * there may be plain text (Apollo's default) or one of our hashes.
 *
 * The table is sorted once parsed: lookups are binary searches, and a
 * duplicate name shows up as two neighbours.
 */
#include "auth/auth_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/log.h"

static bool is_blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\f';
}

/* Splits "user:value" (mosquitto password_file). */
static int mosquitto_split(struct slice line, char **key, size_t *key_len, char **value,
                           const char **why)
{
    line = auth_slice_trim(line);
    if (line.len == 0 || line.ptr[0] == '#')
        return 0;
    const uint8_t *colon = memchr(line.ptr, ':', line.len);
    if (colon == NULL) {
        *why = "expected user:password";
        return -1;
    }
    size_t klen = (size_t)(colon - line.ptr);
    if (klen == 0) {
        *why = "missing user name before ':'";
        return -1;
    }
    *key = xmemdup(line.ptr, klen);
    *key_len = klen;
    *value = xmemdup(colon + 1, line.len - klen - 1);
    return 1;
}

/* Resolves the escapes of one properties key or value (src[0..n)) into a
 * new string. Returns NULL with *why on an escape we do not support. */
static char *prop_unescape(const uint8_t *src, size_t n, size_t *outlen, const char **why)
{
    char *out = xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = (char)src[i];
        if (c == '\\') {
            if (++i == n) {
                *why = "a '\\' at the end of a line (line continuation) is not supported";
                free(out);
                return NULL;
            }
            c = (char)src[i];
            if (c == 'u') {
                *why = "\\u escapes are not supported; write the character in UTF-8";
                free(out);
                return NULL;
            }
            c = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c == 'f' ? '\f' : c;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

/* Length of line without its unescaped trailing blanks. */
static size_t prop_trim_end(struct slice line)
{
    size_t n = line.len;
    while (n > 0 && is_blank(line.ptr[n - 1])) {
        size_t bs = 0;
        while (bs < n - 1 && line.ptr[n - 2 - bs] == '\\')
            bs++;
        if (bs % 2 == 1)
            break; /* "\ " at the end is an escaped, kept blank */
        n--;
    }
    return n;
}

/* Splits a Java properties line into key and value. */
static int properties_split(struct slice line, char **key, size_t *key_len, char **value,
                            const char **why)
{
    size_t i = 0, n = prop_trim_end(line);
    while (i < n && is_blank(line.ptr[i]))
        i++;
    if (i == n || line.ptr[i] == '#' || line.ptr[i] == '!')
        return 0;
    size_t kstart = i;
    while (i < n && line.ptr[i] != '=' && line.ptr[i] != ':' && !is_blank(line.ptr[i]))
        i += line.ptr[i] == '\\' && i + 1 < n ? 2 : 1;
    size_t kend = i;
    while (i < n && is_blank(line.ptr[i]))
        i++;
    if (i < n && (line.ptr[i] == '=' || line.ptr[i] == ':'))
        i++;
    while (i < n && is_blank(line.ptr[i]))
        i++;
    if (kend == kstart) {
        *why = "missing name before '='";
        return -1;
    }
    size_t vlen;
    char *k = prop_unescape(line.ptr + kstart, kend - kstart, key_len, why);
    char *v = k ? prop_unescape(line.ptr + i, n - i, &vlen, why) : NULL;
    if (v == NULL) {
        free(k);
        return -1;
    }
    *key = k;
    *value = v;
    return 1;
}

int auth_entry_parse(enum auth_file_format fmt, struct slice line, char **key, size_t *key_len,
                     char **value, const char **why)
{
    if (line.len > 0 && memchr(line.ptr, '\0', line.len)) {
        *why = "NUL byte in line";
        return -1;
    }
    if (fmt == AUTH_FMT_MOSQUITTO)
        return mosquitto_split(line, key, key_len, value, why);
    return properties_split(line, key, key_len, value, why);
}

static int user_cmp(const void *pa, const void *pb)
{
    const struct auth_user *a = pa, *b = pb;
    int c = auth_name_cmp(a->name, a->name_len, b->name, b->name_len);
    if (c != 0)
        return c;
    return a->line < b->line ? -1 : a->line > b->line;
}

/* Checks a stored value for its file format; returns false with *why. */
static bool value_check(enum auth_file_format fmt, const char *value, enum auth_hash_kind kind,
                        const char **why)
{
    if (value[0] == '\0') {
        *why = "empty password";
        return false;
    }
    if (kind == AUTH_HASH_PLAIN && fmt == AUTH_FMT_MOSQUITTO) {
        *why = "password is not a hash ($7$, $6$, $argon2id$ or $scram$); hash the file with "
               "petrel-passwd -U";
        return false;
    }
    return auth_hash_valid(value, why);
}

static void users_push(struct auth_users *u, char *name, size_t name_len, char *stored,
                       enum auth_hash_kind kind, unsigned line)
{
    if (u->n == u->cap) {
        u->cap = u->cap ? u->cap * 2 : 16;
        u->v = xrealloc(u->v, u->cap * sizeof *u->v);
    }
    u->v[u->n++] = (struct auth_user){name, name_len, stored, kind, line};
    u->plain += kind == AUTH_HASH_PLAIN;
}

/* After sorting: reports the first name defined twice. */
static int users_check_dups(const struct auth_users *u, const char *name, char *err, size_t errlen)
{
    for (size_t i = 1; i < u->n; i++) {
        const struct auth_user *a = &u->v[i - 1], *b = &u->v[i];
        if (a->name_len == b->name_len && memcmp(a->name, b->name, a->name_len) == 0) {
            char pr[128];
            auth_errf(err, errlen, name, b->line, "duplicate user '%s' (first defined on line %u)",
                      log_printable(slice_make(b->name, b->name_len), pr, sizeof pr), a->line);
            return -1;
        }
    }
    return 0;
}

int auth_users_parse(struct auth_users *u, enum auth_file_format fmt, const char *name,
                     const uint8_t *text, size_t len, char *err, size_t errlen)
{
    struct auth_text t;
    struct slice line;
    auth_text_init(&t, name, text, len);
    while (auth_text_next(&t, &line)) {
        char *key, *value, pr[128];
        size_t key_len;
        const char *why;
        int rc = auth_entry_parse(fmt, line, &key, &key_len, &value, &why);
        if (rc == 0)
            continue;
        if (rc < 0) {
            auth_errf(err, errlen, name, t.line, "%s", why);
            goto fail;
        }
        enum auth_hash_kind kind = auth_hash_kind_of(value);
        if (!value_check(fmt, value, kind, &why)) {
            auth_errf(err, errlen, name, t.line, "user '%s': %s",
                      log_printable(slice_make(key, key_len), pr, sizeof pr), why);
            free(key);
            free(value);
            goto fail;
        }
        users_push(u, key, key_len, value, kind, t.line);
    }
    if (u->n > 1)
        qsort(u->v, u->n, sizeof *u->v, user_cmp);
    if (users_check_dups(u, name, err, errlen) == 0)
        return 0;
fail:
    auth_users_fini(u);
    return -1;
}

const struct auth_user *auth_users_find(const struct auth_users *u, struct slice name)
{
    size_t lo = 0, hi = u->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct auth_user *m = &u->v[mid];
        int c = auth_name_cmp(m->name, m->name_len, name.ptr, name.len);
        if (c == 0)
            return m;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

void auth_users_merge(struct auth_users *dst, struct auth_users *src, const char *dst_name,
                      const char *src_name)
{
    size_t old = dst->n;
    for (size_t i = 0; i < src->n; i++) {
        struct auth_user *s = &src->v[i];
        /* Search only the original entries: src has no duplicates. */
        struct auth_users orig = {dst->v, old, dst->cap, 0};
        if (auth_users_find(&orig, slice_make(s->name, s->name_len)) == NULL) {
            users_push(dst, s->name, s->name_len, s->stored, s->kind, s->line);
            continue;
        }
        char pr[128];
        log_warn("user '%s' is in both %s and %s; the entry in %s is used",
                 log_printable(slice_make(s->name, s->name_len), pr, sizeof pr), dst_name, src_name,
                 dst_name);
        free(s->name);
        free(s->stored);
    }
    free(src->v);
    memset(src, 0, sizeof *src);
    if (dst->n > 1)
        qsort(dst->v, dst->n, sizeof *dst->v, user_cmp);
}

void auth_users_fini(struct auth_users *u)
{
    for (size_t i = 0; i < u->n; i++) {
        free(u->v[i].name);
        free(u->v[i].stored);
    }
    free(u->v);
    memset(u, 0, sizeof *u);
}
