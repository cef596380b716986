/*
 * acl_parse.c - reading an acl_file: mosquitto's format plus `group`.
 *
 *   user NAME                     following topic lines are NAME's
 *   group NAME                    following topic lines are for members of
 *                                 NAME (from groups_file); ours
 *   topic [ACCESS] FILTER         ACCESS: read, write, readwrite (default)
 *                                 or deny; before any user/group line the
 *                                 entry is for anonymous clients
 *   pattern [ACCESS] FILTER       for every client wherever it stands; %c
 *                                 is the client id and %u the user name
 *
 * As in mosquitto, a topic line with one word after `topic` is a filter
 * with readwrite access, and with more words the first is the access and
 * the rest of the line the filter (filters may contain blanks). Comment
 * lines start with '#' (a '#' later on a line is part of a filter). Names
 * run to the end of the line.
 *
 * Blocks for the same user or group named twice are merged. Filters are
 * checked here (valid, not $share/...), so the check side trusts them.
 */
#include "auth/auth_int.h"

#include <stdlib.h>
#include <string.h>

#include "mqtt/mqtt.h"
#include "util/alloc.h"
#include "util/log.h"

/* Which block `topic` lines go to: an index, not a pointer, because
 * adding a block may move the arrays. */
enum acl_cursor_kind {
    ACL_CUR_ANON = 0,
    ACL_CUR_USER,
    ACL_CUR_GROUP,
};

struct acl_parse {
    struct auth_acl *acl;
    const struct auth_groups *groups;
    enum acl_cursor_kind cur;
    size_t cur_index;
    const char *name;
    unsigned line;
    char *err;
    size_t errlen;
};

static void block_push(struct acl_block *b, struct acl_entry e)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 4;
        b->v = xrealloc(b->v, b->cap * sizeof *b->v);
    }
    b->v[b->n++] = e;
}

static void block_fini(struct acl_block *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->v[i].filter);
    free(b->v);
    free(b->name.ptr);
    memset(b, 0, sizeof *b);
}

/* Appends a new named block; returns its index. */
static size_t blocks_add(struct acl_block **v, size_t *n, size_t *cap, struct slice name,
                         const struct auth_group *group)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        *v = xrealloc(*v, *cap * sizeof **v);
    }
    (*v)[*n] = (struct acl_block){{xmemdup(name.ptr, name.len), name.len}, group, NULL, 0, 0};
    return (*n)++;
}

static int block_cmp(const void *pa, const void *pb)
{
    const struct acl_block *a = pa, *b = pb;
    return auth_name_cmp(a->name.ptr, a->name.len, b->name.ptr, b->name.len);
}

/* Sorts blocks by name and merges blocks with the same name. qsort is
 * not stable, so merged entries may change order; no decision depends on
 * entry order (deny wins wherever it stands). */
static void blocks_finish(struct acl_block *v, size_t *n)
{
    if (*n < 2)
        return;
    qsort(v, *n, sizeof *v, block_cmp);
    size_t o = 0;
    for (size_t i = 1; i < *n; i++) {
        if (block_cmp(&v[o], &v[i]) != 0) {
            v[++o] = v[i];
            continue;
        }
        for (size_t j = 0; j < v[i].n; j++)
            block_push(&v[o], v[i].v[j]);
        v[i].n = 0;
        block_fini(&v[i]);
    }
    *n = o + 1;
}

/* Reports "before'what'after" for the current line; returns -1. */
static int perr(struct acl_parse *p, const char *before, struct slice what, const char *after)
{
    char pr[160];
    auth_errf(p->err, p->errlen, p->name, p->line, "%s'%s'%s", before,
              log_printable(what, pr, sizeof pr), after);
    return -1;
}

/* Splits off the first blank-separated word of s; *rest is trimmed. */
static struct slice word_split(struct slice s, struct slice *rest)
{
    size_t i = 0;
    while (i < s.len && s.ptr[i] != ' ' && s.ptr[i] != '\t')
        i++;
    *rest = auth_slice_trim(slice_make(s.ptr + i, s.len - i));
    return slice_make(s.ptr, i);
}

static int access_parse(struct slice w, uint8_t *access)
{
    if (slice_eq_cstr(w, "read"))
        *access = ACL_READ;
    else if (slice_eq_cstr(w, "write"))
        *access = ACL_WRITE;
    else if (slice_eq_cstr(w, "readwrite"))
        *access = ACL_READ | ACL_WRITE;
    else if (slice_eq_cstr(w, "deny"))
        *access = 0;
    else
        return -1;
    return 0;
}

static bool has_subst(struct slice f)
{
    for (size_t i = 0; i + 1 < f.len; i++)
        if (f.ptr[i] == '%' && (f.ptr[i + 1] == 'c' || f.ptr[i + 1] == 'u'))
            return true;
    return false;
}

static int parse_entry(struct acl_parse *p, struct slice kw, struct slice rest, bool pattern)
{
    if (rest.len == 0)
        return perr(p, "missing topic filter after ", kw, "");
    struct slice filter, first = word_split(rest, &filter), group, real;
    uint8_t access = ACL_READ | ACL_WRITE;
    if (filter.len == 0)
        filter = first;
    else if (access_parse(first, &access) < 0)
        return perr(p, "bad access ", first, " (expected read, write, readwrite or deny)");
    if (!mqtt_topic_filter_valid(filter))
        return perr(p, "invalid topic filter ", filter, "");
    if (mqtt_topic_shared_split(filter, &group, &real))
        return perr(p, "shared subscription filter ", filter,
                    " in an ACL (write the filter without $share/GROUP/)");
    struct acl_entry e = {xmemdup(filter.ptr, filter.len), filter.len, access,
                          pattern && has_subst(filter)};
    struct auth_acl *acl = p->acl;
    if (pattern)
        block_push(&acl->patterns, e);
    else if (p->cur == ACL_CUR_USER)
        block_push(&acl->users[p->cur_index], e);
    else if (p->cur == ACL_CUR_GROUP)
        block_push(&acl->groups[p->cur_index], e);
    else
        block_push(&acl->anon, e);
    return 0;
}

static int parse_user(struct acl_parse *p, struct slice name)
{
    struct auth_acl *acl = p->acl;
    if (name.len == 0)
        return perr(p, "missing name after ", SLICE_LIT("user"), "");
    p->cur = ACL_CUR_USER;
    p->cur_index = blocks_add(&acl->users, &acl->nusers, &acl->capusers, name, NULL);
    return 0;
}

static int parse_group(struct acl_parse *p, struct slice name)
{
    struct auth_acl *acl = p->acl;
    if (name.len == 0)
        return perr(p, "missing name after ", SLICE_LIT("group"), "");
    if (p->groups == NULL)
        return perr(p, "group ", name, " but no groups_file is configured");
    const struct auth_group *g = auth_groups_find(p->groups, name);
    if (g == NULL)
        return perr(p, "group ", name, " is not defined in groups_file");
    p->cur = ACL_CUR_GROUP;
    p->cur_index = blocks_add(&acl->groups, &acl->ngroups, &acl->capgroups, name, g);
    return 0;
}

static int parse_line(struct acl_parse *p, struct slice line)
{
    line = auth_slice_trim(line);
    if (line.len == 0 || line.ptr[0] == '#')
        return 0;
    if (memchr(line.ptr, '\0', line.len)) {
        auth_errf(p->err, p->errlen, p->name, p->line, "NUL byte in line");
        return -1;
    }
    struct slice rest, kw = word_split(line, &rest);
    if (slice_eq_cstr(kw, "topic"))
        return parse_entry(p, kw, rest, false);
    if (slice_eq_cstr(kw, "pattern"))
        return parse_entry(p, kw, rest, true);
    if (slice_eq_cstr(kw, "user"))
        return parse_user(p, rest);
    if (slice_eq_cstr(kw, "group"))
        return parse_group(p, rest);
    return perr(p, "unknown directive ", kw, " (expected user, group, topic or pattern)");
}

int auth_acl_parse(struct auth_acl *acl, const struct auth_groups *groups, const char *name,
                   const uint8_t *text, size_t len, char *err, size_t errlen)
{
    struct acl_parse p = {acl, groups, ACL_CUR_ANON, 0, name, 0, err, errlen};
    struct auth_text t;
    struct slice line;
    auth_text_init(&t, name, text, len);
    while (auth_text_next(&t, &line)) {
        p.line = t.line;
        if (parse_line(&p, line) < 0) {
            auth_acl_fini(acl);
            return -1;
        }
    }
    blocks_finish(acl->users, &acl->nusers);
    blocks_finish(acl->groups, &acl->ngroups);
    return 0;
}

void auth_acl_fini(struct auth_acl *acl)
{
    block_fini(&acl->anon);
    block_fini(&acl->patterns);
    for (size_t i = 0; i < acl->nusers; i++)
        block_fini(&acl->users[i]);
    for (size_t i = 0; i < acl->ngroups; i++)
        block_fini(&acl->groups[i]);
    free(acl->users);
    free(acl->groups);
    memset(acl, 0, sizeof *acl);
}
