/*
 * sqlite_plan.c - turning a group of batches into the operations worth
 * executing.
 *
 * Under load most QoS 1 work is put and deleted again within a pass or
 * two: an entry is queued, sent and acknowledged; a message is stored and
 * dropped with its last entry. Within one group commit such pairs cancel
 * before SQLite sees them. The rules, per row key (seq, or the QoS 2 key):
 *   - a put or update followed by a later put: the earlier one is dropped
 *     (a put replaces the whole row);
 *   - an entry update after a put: folded into the put (its state and
 *     packet id), the update dropped; after another update: the earlier
 *     one dropped;
 *   - a del: every put or update of the key before it in the group is
 *     dropped. The del itself is dropped too for messages, whose put comes
 *     once per seq (store.h), when the group held that put: the row was
 *     never in the database. Other kinds may be put again across groups,
 *     so their del always runs (a delete of a missing rowid is one b-tree
 *     lookup);
 *   - a message put after its del in the same group (the del came from
 *     another loop thread whose batch happened to be queued first): both
 *     are dropped, for the same reason.
 * Rows keyed by text (retained topics, subscriptions) are rare next to
 * these and are executed as they come. Order is kept for everything else:
 * operations run in the order the batches were committed.
 *
 * The key table is open addressing with linear probing, sized to twice the
 * group's keyed operations and reused between groups; a generation number
 * marks slots of earlier groups as free, so nothing is cleared per group.
 */
#include <string.h>

#include "store/sqlite_int.h"
#include "util/alloc.h"

#define NONE UINT32_MAX

enum key_class {
    CLASS_NONE = 0,
    CLASS_MSG,
    CLASS_SESSION,
    CLASS_ENTRY,
    CLASS_QOS2,
};

struct sq_slot {
    uint64_t key;
    uint32_t gen;
    uint32_t last;      /* index of the live put/update of this key, or NONE */
    uint32_t early_del; /* a message del with no put before it, or NONE */
    uint8_t cls;
    bool inserted; /* the group holds this message's only put */
};

static enum key_class class_of(uint8_t kind)
{
    switch (kind) {
    case STORE_OP_MSG_PUT:
    case STORE_OP_MSG_DEL:
        return CLASS_MSG;
    case STORE_OP_SESSION_PUT:
    case STORE_OP_SESSION_DEL:
        return CLASS_SESSION;
    case STORE_OP_ENTRY_PUT:
    case STORE_OP_ENTRY_UPDATE:
    case STORE_OP_ENTRY_DEL:
        return CLASS_ENTRY;
    case STORE_OP_QOS2_PUT:
    case STORE_OP_QOS2_DEL:
        return CLASS_QOS2;
    default:
        return CLASS_NONE;
    }
}

static bool is_del(uint8_t kind)
{
    return kind == STORE_OP_MSG_DEL || kind == STORE_OP_SESSION_DEL || kind == STORE_OP_ENTRY_DEL ||
           kind == STORE_OP_QOS2_DEL;
}

static uint64_t mix(uint64_t k, uint8_t cls)
{
    k ^= (uint64_t)cls << 59;
    k *= 0x9e3779b97f4a7c15ull;
    return k ^ (k >> 29);
}

/* Makes room for n keyed operations in the slot table, and starts a new
 * generation. */
static void slots_reset(struct sq_plan *p, size_t n)
{
    size_t want = 64;
    while (want < 2 * n)
        want *= 2;
    if (want > p->slot_cap || (p->slot_cap > 131072 && want < p->slot_cap / 8)) {
        free(p->slots);
        p->slots = xcalloc(want, sizeof *p->slots);
        p->slot_cap = want;
        p->gen = 0;
    }
    if (++p->gen == 0) { /* wrapped: old generations could look current */
        memset(p->slots, 0, p->slot_cap * sizeof *p->slots);
        p->gen = 1;
    }
}

static struct sq_slot *slot_get(struct sq_plan *p, uint8_t cls, uint64_t key)
{
    size_t mask = p->slot_cap - 1;
    for (size_t i = mix(key, cls) & mask;; i = (i + 1) & mask) {
        struct sq_slot *s = &p->slots[i];
        if (s->gen != p->gen) {
            *s = (struct sq_slot){
                .key = key, .gen = p->gen, .last = NONE, .early_del = NONE, .cls = cls};
            return s;
        }
        if (s->key == key && s->cls == cls)
            return s;
    }
}

static void drop(struct sq_plan *p, uint32_t i)
{
    if (!p->ops[i].skip) {
        p->ops[i].skip = true;
        p->live--;
    }
}

static void plan_put(struct sq_plan *p, struct sq_slot *s, uint32_t i)
{
    if (s->early_del != NONE) { /* a message deleted before its put: neither runs */
        drop(p, s->early_del);
        drop(p, i);
        s->early_del = NONE;
        return;
    }
    bool first = s->last == NONE && !s->inserted;
    if (s->last != NONE)
        drop(p, s->last);
    s->last = i;
    if (first && s->cls == CLASS_MSG)
        s->inserted = true;
}

static void plan_update(struct sq_plan *p, struct sq_slot *s, uint32_t i)
{
    if (s->last != NONE && p->ops[s->last].op.kind == STORE_OP_ENTRY_PUT) {
        struct store_entry_rec *e = &p->ops[s->last].op.u.entry;
        e->state = p->ops[i].op.u.entry.state;
        e->pid = p->ops[i].op.u.entry.pid;
        drop(p, i);
        return;
    }
    if (s->last != NONE)
        drop(p, s->last);
    s->last = i;
}

static void plan_del(struct sq_plan *p, struct sq_slot *s, uint32_t i)
{
    uint32_t had_put = s->last;
    if (s->last != NONE)
        drop(p, s->last);
    s->last = NONE;
    if (s->inserted) {
        drop(p, i);
        s->inserted = false;
    } else if (s->cls == CLASS_MSG && had_put == NONE) {
        s->early_del = i;
    }
}

static void plan_one(struct sq_plan *p, uint32_t i)
{
    uint8_t kind = p->ops[i].op.kind;
    uint8_t cls = class_of(kind);
    if (cls == CLASS_NONE)
        return;
    struct sq_slot *s = slot_get(p, cls, store_op_key(&p->ops[i].op));
    if (is_del(kind))
        plan_del(p, s, i);
    else if (kind == STORE_OP_ENTRY_UPDATE)
        plan_update(p, s, i);
    else
        plan_put(p, s, i);
}

static int decode_batch(struct sq_plan *p, const struct sq_pending *b)
{
    if (b->nops == 0) /* its buffer may never have been allocated */
        return 0;
    const uint8_t *at = b->log.data + b->log.off;
    size_t left = b->log.len - b->log.off;
    for (uint32_t k = 0; k < b->nops; k++) {
        struct sq_planned *o = &p->ops[p->n];
        size_t used = store_op_decode(at, left, &o->op);
        if (used == 0)
            return -1;
        o->skip = false;
        at += used;
        left -= used;
        p->n++;
    }
    return left == 0 ? 0 : -1;
}

int sq_plan_build(struct sq_plan *p, struct sq_pending *const *batches, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += batches[i]->nops;
    /* Grow to the group; shrink again after a burst (a stalled disk can
     * make one group of hundreds of thousands of operations). */
    if (total > p->cap || (p->cap > 65536 && total < p->cap / 4)) {
        free(p->ops);
        p->cap = total + total / 2;
        p->ops = xmalloc((p->cap ? p->cap : 1) * sizeof *p->ops);
    }
    p->n = 0;
    for (size_t i = 0; i < n; i++) {
        if (decode_batch(p, batches[i]) != 0)
            return -1;
    }
    p->live = p->n;
    slots_reset(p, p->n);
    for (uint32_t i = 0; i < p->n; i++)
        plan_one(p, i);
    return 0;
}

void sq_plan_fini(struct sq_plan *p)
{
    xfree(p->ops);
    xfree(p->slots);
    p->n = p->cap = p->live = p->slot_cap = 0;
}
