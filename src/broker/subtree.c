/*
 * subtree.c - the subscription tree (see subtree.h).
 */
#include "broker/subtree.h"

#include <string.h>

#include "mqtt/mqtt.h"
#include "util/alloc.h"

struct subnode {
    struct hnode hnode;      /* in parent->children (exact names only) */
    struct subnode *parent;  /* NULL for the root */
    struct slice name;       /* this level; points into this allocation */
    struct htable children;  /* exact-name children */
    struct subnode *plus;    /* the '+' child */
    struct subnode *hash;    /* the '#' child */
    struct sub_entry *subs;  /* non-shared subscriptions ending here */
    uint32_t nsubs, cap;
    struct share_group *shares; /* shared groups whose filter ends here */
};

static struct subnode *node_new(struct subnode *parent, struct slice name)
{
    struct subnode *n = xcalloc(1, sizeof *n + name.len);
    uint8_t *p = (uint8_t *)(n + 1);
    if (name.len)
        memcpy(p, name.ptr, name.len);
    n->name = slice_make(p, name.len);
    n->parent = parent;
    return n;
}

void subtree_group_unref(struct share_group *g)
{
    if (g && atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) == 1) {
        free(g->members);
        free(g);
    }
}

/* The group leaves the tree (write lock held, or the tree is being freed):
 * no members from now on; the tree's reference goes. */
static void group_detach(struct share_group *g)
{
    free(g->members);
    g->members = NULL;
    g->count = g->cap = 0;
    g->next = NULL;
    subtree_group_unref(g);
}

static void node_free(struct subnode *n);

static void free_child(struct hnode *h, void *arg)
{
    (void)arg;
    node_free((struct subnode *)h);
}

static void node_free(struct subnode *n)
{
    if (n == NULL)
        return;
    htable_each(&n->children, free_child, NULL);
    htable_fini(&n->children);
    node_free(n->plus);
    node_free(n->hash);
    free(n->subs);
    while (n->shares) {
        struct share_group *g = n->shares;
        n->shares = g->next;
        group_detach(g);
    }
    free(n);
}

static void rdlock(struct subtree *t, unsigned reader)
{
    if (!t->one_thread)
        pthread_mutex_lock(&t->slots[reader % t->nslots].lock);
}

static void rdunlock(struct subtree *t, unsigned reader)
{
    if (!t->one_thread)
        pthread_mutex_unlock(&t->slots[reader % t->nslots].lock);
}

/* Every slot, always in the same order (writers cannot deadlock). */
static void wrlock(struct subtree *t)
{
    if (t->one_thread)
        return;
    for (unsigned i = 0; i < t->nslots; i++)
        pthread_mutex_lock(&t->slots[i].lock);
}

static void wrunlock(struct subtree *t)
{
    if (t->one_thread)
        return;
    for (unsigned i = t->nslots; i-- > 0;)
        pthread_mutex_unlock(&t->slots[i].lock);
}

void subtree_init(struct subtree *t, uint64_t seed, unsigned readers)
{
    t->nslots = readers ? readers : 1;
    t->slots = xcalloc(t->nslots, sizeof *t->slots);
    for (unsigned i = 0; i < t->nslots; i++)
        pthread_mutex_init(&t->slots[i].lock, NULL);
    t->root = node_new(NULL, SLICE_NULL);
    t->seed = seed;
    t->one_thread = false;
    atomic_init(&t->gen, 1);
    atomic_init(&t->count, 0);
}

void subtree_fini(struct subtree *t)
{
    node_free(t->root);
    t->root = NULL;
    for (unsigned i = 0; i < t->nslots; i++)
        pthread_mutex_destroy(&t->slots[i].lock);
    free(t->slots);
    t->slots = NULL;
}

/* Splits off the next level of s at *pos; returns false after the last. */
static bool next_level(struct slice s, size_t *pos, struct slice *level)
{
    if (*pos > s.len)
        return false;
    const uint8_t *start = s.ptr + *pos;
    size_t left = s.len - *pos;
    const uint8_t *slash = left ? memchr(start, '/', left) : NULL;
    size_t n = slash ? (size_t)(slash - start) : left;
    *level = slice_make(start, n);
    *pos += n + 1;
    return true;
}

static struct subnode *child_find(struct subtree *t, struct subnode *n, struct slice name)
{
    if (name.len == 1 && name.ptr[0] == '+')
        return n->plus;
    if (name.len == 1 && name.ptr[0] == '#')
        return n->hash;
    if (n->children.count == 0)
        return NULL; /* a leaf, or wildcards only: nothing to hash */
    uint64_t h = hash_slice(name, t->seed);
    for (struct hnode *e = htable_first(&n->children, h); e; e = htable_next(e)) {
        struct subnode *c = (struct subnode *)e;
        if (slice_eq(c->name, name))
            return c;
    }
    return NULL;
}

static struct subnode *child_get(struct subtree *t, struct subnode *n, struct slice name)
{
    struct subnode *c = child_find(t, n, name);
    if (c)
        return c;
    c = node_new(n, name);
    if (name.len == 1 && name.ptr[0] == '+')
        n->plus = c;
    else if (name.len == 1 && name.ptr[0] == '#')
        n->hash = c;
    else
        htable_insert(&n->children, &c->hnode, hash_slice(name, t->seed));
    return c;
}

static int entries_put(struct sub_entry **v, uint32_t *n, uint32_t *cap, struct session *s,
                       uint8_t opts, uint32_t sub_id)
{
    for (uint32_t i = 0; i < *n; i++) {
        if ((*v)[i].sess == s) {
            (*v)[i].opts = opts;
            (*v)[i].sub_id = sub_id;
            return 0;
        }
    }
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 2;
        *v = xrealloc(*v, *cap * sizeof **v);
    }
    (*v)[(*n)++] = (struct sub_entry){.sess = s, .opts = opts, .sub_id = sub_id};
    return 1;
}

static bool entries_del(struct sub_entry *v, uint32_t *n, struct session *s)
{
    for (uint32_t i = 0; i < *n; i++) {
        if (v[i].sess == s) {
            v[i] = v[--*n];
            return true;
        }
    }
    return false;
}

static struct share_group *group_get(struct subnode *n, struct slice name, bool create)
{
    for (struct share_group *g = n->shares; g; g = g->next)
        if (slice_eq(g->name, name))
            return g;
    if (!create)
        return NULL;
    struct share_group *g = xcalloc(1, sizeof *g + name.len);
    memcpy(g + 1, name.ptr, name.len);
    g->name = slice_make(g + 1, name.len);
    atomic_init(&g->cursor, 0);
    atomic_init(&g->refs, 1);
    g->next = n->shares;
    n->shares = g;
    return g;
}

static struct subnode *walk(struct subtree *t, struct slice filter, bool create)
{
    struct subnode *n = t->root;
    size_t pos = 0;
    struct slice level;
    while (n && next_level(filter, &pos, &level))
        n = create ? child_get(t, n, level) : child_find(t, n, level);
    return n;
}

int subtree_add(struct subtree *t, struct slice filter, struct session *s, uint8_t opts,
                uint32_t sub_id)
{
    struct slice group, real;
    bool shared = mqtt_topic_shared_split(filter, &group, &real);
    wrlock(t);
    atomic_fetch_add_explicit(&t->gen, 1, memory_order_relaxed);
    struct subnode *n = walk(t, shared ? real : filter, true);
    int added;
    if (shared) {
        struct share_group *g = group_get(n, group, true);
        added = entries_put(&g->members, &g->count, &g->cap, s, opts, sub_id);
    } else {
        added = entries_put(&n->subs, &n->nsubs, &n->cap, s, opts, sub_id);
    }
    wrunlock(t);
    if (added)
        atomic_fetch_add_explicit(&t->count, 1, memory_order_relaxed);
    return added;
}

static bool node_is_empty(const struct subnode *n)
{
    return n->nsubs == 0 && n->shares == NULL && n->children.count == 0 && n->plus == NULL &&
           n->hash == NULL;
}

/* Frees n and its empty ancestors (never the root). */
static void prune(struct subtree *t, struct subnode *n)
{
    while (n->parent && node_is_empty(n)) {
        struct subnode *p = n->parent;
        if (p->plus == n)
            p->plus = NULL;
        else if (p->hash == n)
            p->hash = NULL;
        else
            htable_remove(&p->children, &n->hnode);
        node_free(n);
        n = p;
    }
    (void)t;
}

static bool group_remove(struct subnode *n, struct slice name, struct session *s)
{
    struct share_group **pp = &n->shares;
    for (; *pp; pp = &(*pp)->next) {
        struct share_group *g = *pp;
        if (!slice_eq(g->name, name))
            continue;
        if (!entries_del(g->members, &g->count, s))
            return false;
        if (g->count == 0) {
            *pp = g->next;
            group_detach(g);
        }
        return true;
    }
    return false;
}

bool subtree_remove(struct subtree *t, struct slice filter, struct session *s)
{
    struct slice group, real;
    bool shared = mqtt_topic_shared_split(filter, &group, &real);
    wrlock(t);
    atomic_fetch_add_explicit(&t->gen, 1, memory_order_relaxed);
    struct subnode *n = walk(t, shared ? real : filter, false);
    bool removed = false;
    if (n) {
        removed = shared ? group_remove(n, group, s) : entries_del(n->subs, &n->nsubs, s);
        prune(t, n);
    }
    wrunlock(t);
    if (removed)
        atomic_fetch_sub_explicit(&t->count, 1, memory_order_relaxed);
    return removed;
}

struct match_ctx {
    struct subtree *t;
    struct slice topic;
    subtree_match_cb on_entry;
    subtree_share_cb on_share;
    void *arg;
};

static void report(struct match_ctx *m, struct subnode *n)
{
    for (uint32_t i = 0; i < n->nsubs; i++)
        m->on_entry(m->arg, &n->subs[i]);
    for (struct share_group *g = n->shares; g; g = g->next)
        m->on_share(m->arg, g);
}

/* n matched the levels before pos; match the rest. */
static void match_from(struct match_ctx *m, struct subnode *n, size_t pos, bool root)
{
    struct slice level;
    if (!next_level(m->topic, &pos, &level)) {
        report(m, n);
        /* "a/#" also matches "a" [MQTT-4.7.1-2]. */
        if (n->hash)
            report(m, n->hash);
        return;
    }
    /* [MQTT-4.7.2-1]: no wildcard at the first level matches a '$' topic. */
    bool dollar = root && level.len > 0 && level.ptr[0] == '$';
    if (n->hash && !dollar)
        report(m, n->hash);
    if (n->plus && !dollar)
        match_from(m, n->plus, pos, false);
    struct subnode *c = child_find(m->t, n, level);
    if (c)
        match_from(m, c, pos, false);
}

void subtree_match(struct subtree *t, unsigned reader, struct slice topic,
                   subtree_match_cb on_entry, subtree_share_cb on_share, void *arg)
{
    struct match_ctx m = {t, topic, on_entry, on_share, arg};
    rdlock(t, reader);
    match_from(&m, t->root, 0, true);
    rdunlock(t, reader);
}

/* A walk that records what it reports into a cache. */
struct record_ctx {
    struct subtree_cache *cache;
    bool keep; /* still small enough and without groups */
    subtree_match_cb on_entry;
    subtree_share_cb on_share;
    void *arg;
};

static void record_entry(void *arg, const struct sub_entry *e)
{
    struct record_ctx *r = arg;
    if (r->cache->count < SUBTREE_CACHE_ENTRIES)
        r->cache->entries[r->cache->count++] = *e;
    else
        r->keep = false;
    r->on_entry(r->arg, e);
}

static void record_share(void *arg, struct share_group *g)
{
    struct record_ctx *r = arg;
    r->keep = false; /* the member is chosen per message */
    r->on_share(r->arg, g);
}

void subtree_match_cached(struct subtree *t, unsigned reader, struct slice topic,
                          struct subtree_cache *cache, subtree_match_cb on_entry,
                          subtree_share_cb on_share, void *arg)
{
    rdlock(t, reader);
    /* Writers move it under every slot, so it holds still while ours is held. */
    uint64_t gen = atomic_load_explicit(&t->gen, memory_order_relaxed);
    if (cache->gen == gen && cache->topic_len == topic.len &&
        memcmp(cache->topic, topic.ptr, topic.len) == 0) {
        for (uint8_t i = 0; i < cache->count; i++)
            on_entry(arg, &cache->entries[i]);
        rdunlock(t, reader);
        return;
    }
    cache->gen = 0;
    cache->count = 0;
    struct record_ctx r = {cache, topic.len <= SUBTREE_CACHE_TOPIC, on_entry, on_share, arg};
    struct match_ctx m = {t, topic, record_entry, record_share, &r};
    match_from(&m, t->root, 0, true);
    if (r.keep) {
        memcpy(cache->topic, topic.ptr, topic.len);
        cache->topic_len = (uint16_t)topic.len;
        cache->gen = gen;
    }
    rdunlock(t, reader);
}

void subtree_group_visit(struct subtree *t, unsigned reader, struct share_group *g,
                         subtree_share_cb fn, void *arg)
{
    rdlock(t, reader);
    fn(arg, g);
    rdunlock(t, reader);
}
