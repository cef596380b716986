/*
 * groups.c - Apollo groups.properties: `group=user1|user2`.
 *
 * Lines are split like users.properties (same escapes and comments);
 * members are separated by '|' (Apollo) or ',' and trimmed, empty members
 * are skipped and repeated ones kept once. A group may be empty. Groups and
 * their members are sorted, so membership is two binary searches.
 */
#include "auth/auth_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/log.h"

static int name_cmp(const void *pa, const void *pb)
{
    const struct auth_name *a = pa, *b = pb;
    return auth_name_cmp(a->ptr, a->len, b->ptr, b->len);
}

static int group_cmp(const void *pa, const void *pb)
{
    const struct auth_group *a = pa, *b = pb;
    int c = name_cmp(&a->name, &b->name);
    return c ? c : (a->line < b->line ? -1 : a->line > b->line);
}

/* Splits value into members, sorted and without repeats. */
static void group_fill(struct auth_group *g, const char *value)
{
    size_t cap = 0;
    const char *p = value;
    for (;;) {
        size_t n = strcspn(p, "|,");
        struct slice m = auth_slice_trim(slice_make(p, n));
        if (m.len > 0) {
            if (g->n == cap) {
                cap = cap ? cap * 2 : 4;
                g->members = xrealloc(g->members, cap * sizeof *g->members);
            }
            g->members[g->n++] = (struct auth_name){xmemdup(m.ptr, m.len), m.len};
        }
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    if (g->n < 2)
        return;
    qsort(g->members, g->n, sizeof *g->members, name_cmp);
    size_t o = 1;
    for (size_t i = 1; i < g->n; i++) {
        if (name_cmp(&g->members[o - 1], &g->members[i]) == 0)
            free(g->members[i].ptr);
        else
            g->members[o++] = g->members[i];
    }
    g->n = o;
}

static void groups_push(struct auth_groups *g, char *name, size_t len, const char *value,
                        unsigned line)
{
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 8;
        g->v = xrealloc(g->v, g->cap * sizeof *g->v);
    }
    struct auth_group *grp = &g->v[g->n++];
    *grp = (struct auth_group){{name, len}, NULL, 0, line};
    group_fill(grp, value);
}

static int groups_check_dups(const struct auth_groups *g, const char *name, char *err,
                             size_t errlen)
{
    for (size_t i = 1; i < g->n; i++) {
        if (name_cmp(&g->v[i - 1].name, &g->v[i].name) == 0) {
            char pr[128];
            auth_errf(err, errlen, name, g->v[i].line,
                      "duplicate group '%s' (first defined on line %u)",
                      log_printable(slice_make(g->v[i].name.ptr, g->v[i].name.len), pr, sizeof pr),
                      g->v[i - 1].line);
            return -1;
        }
    }
    return 0;
}

int auth_groups_parse(struct auth_groups *g, const char *name, const uint8_t *text, size_t len,
                      char *err, size_t errlen)
{
    struct auth_text t;
    struct slice line;
    auth_text_init(&t, name, text, len);
    while (auth_text_next(&t, &line)) {
        char *key, *value;
        size_t key_len;
        const char *why;
        int rc = auth_entry_parse(AUTH_FMT_PROPERTIES, line, &key, &key_len, &value, &why);
        if (rc == 0)
            continue;
        if (rc < 0) {
            auth_errf(err, errlen, name, t.line, "%s", why);
            auth_groups_fini(g);
            return -1;
        }
        groups_push(g, key, key_len, value, t.line);
        free(value);
    }
    if (g->n > 1)
        qsort(g->v, g->n, sizeof *g->v, group_cmp);
    if (groups_check_dups(g, name, err, errlen) < 0) {
        auth_groups_fini(g);
        return -1;
    }
    return 0;
}

const struct auth_group *auth_groups_find(const struct auth_groups *g, struct slice name)
{
    size_t lo = 0, hi = g ? g->n : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = auth_name_cmp(g->v[mid].name.ptr, g->v[mid].name.len, name.ptr, name.len);
        if (c == 0)
            return &g->v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

bool auth_group_has(const struct auth_group *grp, struct slice user)
{
    size_t lo = 0, hi = grp->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = auth_name_cmp(grp->members[mid].ptr, grp->members[mid].len, user.ptr, user.len);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

void auth_groups_fini(struct auth_groups *g)
{
    for (size_t i = 0; i < g->n; i++) {
        for (size_t j = 0; j < g->v[i].n; j++)
            free(g->v[i].members[j].ptr);
        free(g->v[i].members);
        free(g->v[i].name.ptr);
    }
    free(g->v);
    memset(g, 0, sizeof *g);
}
