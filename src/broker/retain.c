/*
 * retain.c - the retained-message store (see retain.h).
 */
#include "broker/retain.h"

#include <string.h>

#include "broker/msg.h"
#include "util/alloc.h"
#include "util/hash.h"

struct retnode {
    struct hnode hnode;     /* in parent->children */
    struct retnode *parent; /* NULL for the root */
    struct slice name;      /* points into this allocation */
    struct htable children;
    struct msg *msg; /* owned reference, or NULL */
};

static struct retnode *rnode_new(struct retnode *parent, struct slice name)
{
    struct retnode *n = xcalloc(1, sizeof *n + name.len);
    if (name.len)
        memcpy(n + 1, name.ptr, name.len);
    n->name = slice_make(n + 1, name.len);
    n->parent = parent;
    return n;
}

static void rnode_free(struct retnode *n);

static void free_child(struct hnode *h, void *arg)
{
    (void)arg;
    rnode_free((struct retnode *)h);
}

static void rnode_free(struct retnode *n)
{
    htable_each(&n->children, free_child, NULL);
    htable_fini(&n->children);
    msg_unref(n->msg);
    free(n);
}

void retain_init(struct retain_store *r, uint64_t seed)
{
    pthread_rwlock_init(&r->lock, NULL);
    r->root = rnode_new(NULL, SLICE_NULL);
    r->seed = seed;
    atomic_init(&r->count, 0);
    atomic_init(&r->bytes, 0);
}

void retain_fini(struct retain_store *r)
{
    rnode_free(r->root);
    r->root = NULL;
    pthread_rwlock_destroy(&r->lock);
}

static struct retnode *rchild(struct retain_store *r, struct retnode *n, struct slice name,
                              bool create)
{
    uint64_t h = hash_slice(name, r->seed);
    for (struct hnode *e = htable_first(&n->children, h); e; e = htable_next(e)) {
        struct retnode *c = (struct retnode *)e;
        if (slice_eq(c->name, name))
            return c;
    }
    if (!create)
        return NULL;
    struct retnode *c = rnode_new(n, name);
    htable_insert(&n->children, &c->hnode, h);
    return c;
}

static struct retnode *rwalk(struct retain_store *r, struct slice topic, bool create)
{
    struct retnode *n = r->root;
    size_t start = 0;
    for (;;) {
        const uint8_t *slash =
            start < topic.len ? memchr(topic.ptr + start, '/', topic.len - start) : NULL;
        size_t end = slash ? (size_t)(slash - topic.ptr) : topic.len;
        n = rchild(r, n, slice_make(topic.ptr + start, end - start), create);
        if (n == NULL || slash == NULL)
            return n;
        start = end + 1;
    }
}

static void rprune(struct retnode *n)
{
    while (n->parent && n->msg == NULL && n->children.count == 0) {
        struct retnode *p = n->parent;
        htable_remove(&p->children, &n->hnode);
        rnode_free(n);
        n = p;
    }
}

struct msg *retain_set(struct retain_store *r, struct msg *m)
{
    bool clear = m->payload.len == 0;
    pthread_rwlock_wrlock(&r->lock);
    struct retnode *n = rwalk(r, m->topic, !clear);
    struct msg *old = NULL;
    if (n) {
        old = n->msg;
        n->msg = clear ? NULL : msg_ref(m);
        if (clear)
            rprune(n);
    }
    pthread_rwlock_unlock(&r->lock);
    if (old) {
        atomic_fetch_sub_explicit(&r->count, 1, memory_order_relaxed);
        atomic_fetch_sub_explicit(&r->bytes, msg_size(old), memory_order_relaxed);
    }
    if (!clear) {
        atomic_fetch_add_explicit(&r->count, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&r->bytes, msg_size(m), memory_order_relaxed);
    }
    return old;
}

/* Collected references, handed to the callback after unlocking. */
struct rvec {
    struct msg **v;
    size_t n, cap;
};

static void rvec_push(struct rvec *v, struct msg *m)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 16;
        v->v = xrealloc(v->v, v->cap * sizeof *v->v);
    }
    v->v[v->n++] = msg_ref(m);
}

static void collect_all(struct hnode *h, void *arg);

static void collect_subtree(struct retnode *n, struct rvec *out)
{
    if (n->msg)
        rvec_push(out, n->msg);
    htable_each(&n->children, collect_all, out);
}

static void collect_all(struct hnode *h, void *arg)
{
    collect_subtree((struct retnode *)h, arg);
}

struct rmatch {
    struct retain_store *r;
    struct slice filter;
    struct rvec *out;
};

/* Visits the children of n, skipping '$' names at the root [MQTT-4.7.2-1]. */
#define FOR_EACH_CHILD(n, c, root)                                                                 \
    for (size_t _i = 0; (n)->children.buckets && _i <= (n)->children.mask; _i++)                   \
        for (struct hnode *_e = (n)->children.buckets[_i]; _e; _e = _e->next)                      \
            if (((c) = (struct retnode *)_e),                                                      \
                !((root) && (c)->name.len > 0 && (c)->name.ptr[0] == '$'))

/* n matched the filter's levels before pos; match the rest. */
static void rmatch_from(struct rmatch *m, struct retnode *n, size_t pos, bool root)
{
    if (pos > m->filter.len) { /* every level matched */
        if (n->msg)
            rvec_push(m->out, n->msg);
        return;
    }
    const uint8_t *start = m->filter.ptr + pos;
    size_t left = m->filter.len - pos;
    const uint8_t *slash = left ? memchr(start, '/', left) : NULL;
    struct slice level = slice_make(start, slash ? (size_t)(slash - start) : left);
    size_t next = pos + level.len + 1;
    struct retnode *c;
    if (level.len == 1 && level.ptr[0] == '#') {
        /* The parent itself ("a/#" matches "a") and everything below. */
        if (!root && n->msg)
            rvec_push(m->out, n->msg);
        FOR_EACH_CHILD(n, c, root)
        collect_subtree(c, m->out);
        return;
    }
    if (level.len == 1 && level.ptr[0] == '+') {
        FOR_EACH_CHILD(n, c, root)
        rmatch_from(m, c, next, false);
        return;
    }
    c = rchild(m->r, n, level, false);
    if (c)
        rmatch_from(m, c, next, false);
}

/* Removes m from its topic if it is still the retained message there
 * (a newer one may have replaced it since it was seen). */
static void drop_expired(struct retain_store *r, struct msg *m)
{
    pthread_rwlock_wrlock(&r->lock);
    struct retnode *n = rwalk(r, m->topic, false);
    bool gone = n && n->msg == m;
    if (gone) {
        n->msg = NULL;
        rprune(n);
    }
    pthread_rwlock_unlock(&r->lock);
    if (gone) {
        atomic_fetch_sub_explicit(&r->count, 1, memory_order_relaxed);
        atomic_fetch_sub_explicit(&r->bytes, msg_size(m), memory_order_relaxed);
        msg_unref(m); /* the store's reference */
    }
}

void retain_match(struct retain_store *r, struct slice filter, uint64_t now_ms,
                  void (*fn)(void *arg, struct msg *m), void *arg)
{
    struct rvec v = {0};
    struct rmatch m = {r, filter, &v};
    pthread_rwlock_rdlock(&r->lock);
    rmatch_from(&m, r->root, 0, true);
    pthread_rwlock_unlock(&r->lock);
    for (size_t i = 0; i < v.n; i++) {
        uint32_t left;
        if (msg_remaining(v.v[i], now_ms, &left)) {
            fn(arg, v.v[i]);
            continue;
        }
        drop_expired(r, v.v[i]);
        msg_unref(v.v[i]);
    }
    free(v.v);
}
