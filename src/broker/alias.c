/*
 * alias.c - Topic Alias tables (see alias.h).
 */
#include "broker/alias.h"

#include <string.h>

#include "util/alloc.h"

struct alias_in_ent {
    struct hnode hnode; /* hash = the alias value */
    uint16_t alias;
    uint16_t len;
    uint8_t topic[];
};

struct alias_out_ent {
    struct hnode hnode; /* hash of the topic */
    struct list lru;
    uint16_t alias;
    uint16_t len;
    uint8_t topic[];
};

static void free_node(struct hnode *h, void *arg)
{
    (void)arg;
    free(h); /* hnode is the first member of both entry types */
}

void alias_in_init(struct alias_in *t, uint16_t max)
{
    memset(t, 0, sizeof *t);
    t->max = max;
}

void alias_in_fini(struct alias_in *t)
{
    htable_each(&t->entries, free_node, NULL);
    htable_fini(&t->entries);
}

static struct alias_in_ent *in_find(const struct alias_in *t, uint16_t alias)
{
    for (struct hnode *e = htable_first(&t->entries, alias); e; e = htable_next(e)) {
        struct alias_in_ent *x = (struct alias_in_ent *)e;
        if (x->alias == alias)
            return x;
    }
    return NULL;
}

void alias_in_set(struct alias_in *t, uint16_t alias, struct slice topic)
{
    struct alias_in_ent *old = in_find(t, alias);
    if (old && old->len == topic.len && memcmp(old->topic, topic.ptr, topic.len) == 0)
        return; /* the same mapping again: the common case of a client that always sends both */
    if (old) {
        htable_remove(&t->entries, &old->hnode);
        free(old);
    }
    struct alias_in_ent *x = xmalloc(sizeof *x + topic.len);
    x->alias = alias;
    x->len = (uint16_t)topic.len;
    memcpy(x->topic, topic.ptr, topic.len);
    htable_insert(&t->entries, &x->hnode, alias);
}

bool alias_in_get(const struct alias_in *t, uint16_t alias, struct slice *topic)
{
    const struct alias_in_ent *x = in_find(t, alias);
    if (x == NULL)
        return false;
    *topic = slice_make(x->topic, x->len);
    return true;
}

void alias_out_init(struct alias_out *t, uint16_t cap, uint64_t seed)
{
    memset(t, 0, sizeof *t);
    t->cap = cap;
    t->seed = seed;
    list_init(&t->lru);
}

void alias_out_fini(struct alias_out *t)
{
    htable_each(&t->by_topic, free_node, NULL);
    htable_fini(&t->by_topic);
    list_init(&t->lru);
    t->used = 0;
}

uint16_t alias_out_find(struct alias_out *t, struct slice topic)
{
    if (t->used == 0)
        return 0;
    uint64_t h = hash_slice(topic, t->seed);
    for (struct hnode *e = htable_first(&t->by_topic, h); e; e = htable_next(e)) {
        struct alias_out_ent *x = (struct alias_out_ent *)e;
        if (x->len == topic.len && memcmp(x->topic, topic.ptr, topic.len) == 0) {
            list_unlink(&x->lru);
            list_push_front(&t->lru, &x->lru);
            return x->alias;
        }
    }
    return 0;
}

uint16_t alias_out_assign(struct alias_out *t, struct slice topic)
{
    if (t->cap == 0)
        return 0;
    uint16_t alias;
    if (t->used < t->cap) {
        alias = ++t->used;
    } else {
        /* Full: the least recently used topic gives up its number. */
        struct alias_out_ent *old = list_entry(t->lru.prev, struct alias_out_ent, lru);
        alias = old->alias;
        list_unlink(&old->lru);
        htable_remove(&t->by_topic, &old->hnode);
        free(old);
    }
    struct alias_out_ent *x = xmalloc(sizeof *x + topic.len);
    x->alias = alias;
    x->len = (uint16_t)topic.len;
    memcpy(x->topic, topic.ptr, topic.len);
    list_push_front(&t->lru, &x->lru);
    htable_insert(&t->by_topic, &x->hnode, hash_slice(topic, t->seed));
    return alias;
}
