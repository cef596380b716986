/*
 * subids.c - lists of Subscription Identifiers (see subids.h).
 */
#include "broker/subids.h"

#include <string.h>

#include "util/alloc.h"

void subids_add(struct subids *s, uint32_t id)
{
    if (id == 0)
        return;
    if (s->count == 0) {
        s->u.one = id;
        s->count = 1;
        return;
    }
    uint32_t *v;
    if (s->count == 1) {
        v = xmalloc(2 * sizeof *v);
        v[0] = s->u.one;
    } else {
        v = xrealloc(s->u.many, (s->count + 1) * sizeof *v);
    }
    v[s->count++] = id;
    s->u.many = v;
}

void subids_merge(struct subids *dst, struct subids *src)
{
    const uint32_t *ids = subids_list(src);
    for (uint32_t i = 0; i < src->count; i++)
        subids_add(dst, ids[i]);
    subids_fini(src);
}

struct subids subids_copy(const struct subids *s)
{
    struct subids c = *s;
    if (s->count >= 2) {
        c.u.many = xmalloc(s->count * sizeof *c.u.many);
        memcpy(c.u.many, s->u.many, s->count * sizeof *c.u.many);
    }
    return c;
}

void subids_fini(struct subids *s)
{
    if (s->count >= 2)
        free(s->u.many);
    s->count = 0;
    s->u.one = 0;
}
