/*
 * msg.c - published messages (see msg.h).
 */
#include "broker/msg.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt/mqtt.h"
#include "util/alloc.h"

/* Properties a broker must not forward as received: the alias is per
 * connection [MQTT-3.3.2-7], subscription ids are the receiver's own
 * [MQTT-3.3.4-6], and the expiry is rewritten with the time left
 * [MQTT-3.3.2-6]. */
#define DROP_ON_FORWARD                                                                            \
    (MQTT_PROP_BIT(MQTT_PROP_TOPIC_ALIAS) | MQTT_PROP_BIT(MQTT_PROP_SUBSCRIPTION_IDENTIFIER) |     \
     MQTT_PROP_BIT(MQTT_PROP_MESSAGE_EXPIRY_INTERVAL))

/* Blocks a pool keeps beyond what is in use: enough for bursts. */
#define MSG_POOL_KEEP 8192

void msg_pool_init(struct msg_pool *pool)
{
    atomic_init(&pool->returned, NULL);
    pool->free = NULL;
    pool->nfree = 0;
}

static void free_chain(struct msg *m)
{
    while (m) {
        struct msg *next = m->next_free;
        free(m);
        m = next;
    }
}

void msg_pool_fini(struct msg_pool *pool)
{
    free_chain(atomic_exchange(&pool->returned, NULL));
    free_chain(pool->free);
    pool->free = NULL;
    pool->nfree = 0;
}

/* The pool the running thread takes blocks from, set by its first take.
 * Only a worker takes from a pool, only from its own, so a thread has at
 * most one; a block of that pool released on the same thread goes back
 * to the free list directly, without an atomic operation. */
static _Thread_local struct msg_pool *own_pool;

/* A block from pool (owner thread): its free list, else what other
 * threads returned, else a new one. */
void msg_pool_attach(struct msg_pool *pool)
{
    own_pool = pool;
}

static struct msg *pool_take(struct msg_pool *pool)
{
    own_pool = pool;
    if (pool->free == NULL) {
        struct msg *got = atomic_exchange_explicit(&pool->returned, NULL, memory_order_acquire);
        while (got) {
            struct msg *next = got->next_free;
            if (pool->nfree < MSG_POOL_KEEP) {
                got->next_free = pool->free;
                pool->free = got;
                pool->nfree++;
            } else {
                free(got);
            }
            got = next;
        }
    }
    struct msg *m = pool->free;
    if (m == NULL)
        return xmalloc(MSG_POOL_BLOCK);
    pool->free = m->next_free;
    pool->nfree--;
    return m;
}

/* Blocks of another worker's pool released on a worker thread: gathered
 * into one chain and pushed with one compare-and-swap at the end of the
 * pass (msg_pool_flush_returns) or every RETURN_BATCH blocks, instead of
 * one contended compare-and-swap per message. */
#define RETURN_BATCH 256
static _Thread_local struct msg_pool *ret_pool;
static _Thread_local struct msg *ret_head, *ret_tail;
static _Thread_local uint32_t ret_count;

static void push_chain(struct msg_pool *pool, struct msg *first, struct msg *last)
{
    struct msg *head = atomic_load_explicit(&pool->returned, memory_order_relaxed);
    do {
        last->next_free = head;
    } while (!atomic_compare_exchange_weak_explicit(&pool->returned, &head, first,
                                                    memory_order_release, memory_order_relaxed));
}

void msg_pool_flush_returns(void)
{
    if (ret_head)
        push_chain(ret_pool, ret_head, ret_tail);
    ret_pool = NULL;
    ret_head = ret_tail = NULL;
    ret_count = 0;
}

/* Any thread: the block goes back to its pool, on the owner's thread to
 * the free list, on another worker's thread into its return chain,
 * elsewhere straight to the returned stack. */
static void pool_give(struct msg_pool *pool, struct msg *m)
{
    if (pool == own_pool) {
        if (pool->nfree >= MSG_POOL_KEEP) {
            free(m);
            return;
        }
        m->next_free = pool->free;
        pool->free = m;
        pool->nfree++;
        return;
    }
    if (own_pool) { /* a worker thread: it flushes at the end of each pass */
        if (pool != ret_pool || ret_count >= RETURN_BATCH) {
            msg_pool_flush_returns();
            ret_pool = pool;
            ret_tail = m;
        }
        m->next_free = ret_head;
        ret_head = m;
        ret_count++;
        return;
    }
    push_chain(pool, m, m);
}

/* A header with one reference and nothing else set; field by field,
 * because a memset of the whole header cost more than the rest of making a
 * message. */
static void header_init(struct msg *m, struct msg_pool *pool)
{
    atomic_init(&m->refs, 1);
    m->pool = pool;
    m->next_free = NULL;
    m->qos = 0;
    m->retain = false;
    m->has_expiry = false;
    m->expiry_interval = 0;
    m->created_ms = 0;
    m->origin = 0;
    atomic_init(&m->seq, 0);
    atomic_init(&m->srefs, 0);
    m->topic = SLICE_NULL;
    m->props = SLICE_NULL;
    m->payload = SLICE_NULL;
    atomic_init(&m->wire_shared, false);
    m->borrowed = false;
    for (unsigned i = 0; i < MSG_WIRE_FORMS; i++)
        atomic_init(&m->wire[i], NULL);
}

static struct msg *msg_alloc_in(struct msg_pool *pool, size_t topic_len, size_t props_len,
                                size_t payload_len)
{
    size_t size = sizeof(struct msg) + topic_len + props_len + payload_len;
    bool pooled = pool && size <= MSG_POOL_BLOCK;
    struct msg *m = pooled ? pool_take(pool) : xmalloc(size);
    header_init(m, pooled ? pool : NULL);
    uint8_t *p = (uint8_t *)(m + 1);
    m->topic = slice_make(p, topic_len);
    m->props = slice_make(p + topic_len, props_len);
    m->payload = slice_make(p + topic_len + props_len, payload_len);
    return m;
}

static struct msg *msg_alloc(size_t topic_len, size_t props_len, size_t payload_len)
{
    return msg_alloc_in(NULL, topic_len, props_len, payload_len);
}

struct msg *msg_new(struct slice topic, struct slice payload, uint8_t qos, bool retain,
                    struct slice props, uint64_t origin, uint64_t now_ms)
{
    struct msg *m = msg_alloc(topic.len, props.len, payload.len);
    uint8_t *base = (uint8_t *)(m + 1);
    if (topic.len)
        memcpy(base, topic.ptr, topic.len);
    if (props.len)
        memcpy(base + topic.len, props.ptr, props.len);
    if (payload.len)
        memcpy(base + topic.len + props.len, payload.ptr, payload.len);
    m->qos = qos;
    m->retain = retain;
    m->origin = origin;
    m->created_ms = now_ms;
    return m;
}

/* Builds a message from decoded wire properties, keeping those not in
 * drop (filtered straight into the message, no temporary copy). */
static struct msg *msg_from_wire(struct msg_pool *pool, struct slice topic, struct slice payload,
                                 uint8_t qos, bool retain, const struct mqtt_props *props,
                                 uint64_t drop, uint64_t origin, uint64_t now_ms)
{
    size_t props_len = 0;
    if (props->raw.len)
        props_len = mqtt_props_filter(props->raw, drop, NULL, 0);
    struct msg *m = msg_alloc_in(pool, topic.len, props_len, payload.len);
    uint8_t *base = (uint8_t *)(m + 1);
    memcpy(base, topic.ptr, topic.len);
    if (props_len)
        mqtt_props_filter(props->raw, drop, base + topic.len, props_len);
    if (payload.len)
        memcpy(base + topic.len + props_len, payload.ptr, payload.len);
    m->qos = qos;
    m->retain = retain;
    m->origin = origin;
    m->created_ms = now_ms;
    if (MQTT_PROP_HAS(props, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL)) {
        m->has_expiry = true;
        m->expiry_interval = props->message_expiry_interval;
    }
    return m;
}

struct msg *msg_from_publish(struct msg_pool *pool, const struct mqtt_publish *p,
                             struct slice topic, uint64_t origin, uint64_t now_ms)
{
    return msg_from_wire(pool, topic, p->payload, p->qos, p->retain, &p->props, DROP_ON_FORWARD,
                         origin, now_ms);
}

struct msg *msg_from_will(struct msg_pool *pool, const struct mqtt_will *w, uint64_t now_ms)
{
    /* The delay is the broker's business, not the receivers' (MQTT 5.0
     * section 3.1.3.2); the expiry is rewritten as for any message. */
    uint64_t drop = MQTT_PROP_BIT(MQTT_PROP_WILL_DELAY_INTERVAL) |
                    MQTT_PROP_BIT(MQTT_PROP_MESSAGE_EXPIRY_INTERVAL);
    return msg_from_wire(pool, w->topic, w->payload, w->qos, w->retain, &w->props, drop, 0,
                         now_ms);
}

void msg_borrow(struct msg *m, const struct mqtt_publish *p, struct slice topic, uint64_t origin,
                uint64_t now_ms)
{
    header_init(m, NULL);
    m->borrowed = true;
    m->qos = p->qos;
    m->created_ms = now_ms;
    m->origin = origin;
    m->topic = topic;
    m->payload = p->payload;
}

static void free_wire_forms(struct msg *m)
{
    for (unsigned i = 0; i < MSG_WIRE_FORMS; i++) {
        struct msg_wire *wv = atomic_load_explicit(&m->wire[i], memory_order_relaxed);
        if (wv) /* mostly none: no call for nothing */
            free(wv);
    }
}

void msg_borrow_end(struct msg *m)
{
    assert(m->borrowed && atomic_load_explicit(&m->refs, memory_order_relaxed) == 1);
    free_wire_forms(m);
}

struct msg *msg_own(struct msg_pool *pool, const struct msg *m)
{
    struct msg *o = msg_alloc_in(pool, m->topic.len, m->props.len, m->payload.len);
    uint8_t *base = (uint8_t *)(o + 1);
    memcpy(base, m->topic.ptr, m->topic.len);
    if (m->props.len)
        memcpy(base + m->topic.len, m->props.ptr, m->props.len);
    if (m->payload.len)
        memcpy(base + m->topic.len + m->props.len, m->payload.ptr, m->payload.len);
    o->qos = m->qos;
    o->retain = m->retain;
    o->has_expiry = m->has_expiry;
    o->expiry_interval = m->expiry_interval;
    o->created_ms = m->created_ms;
    o->origin = m->origin;
    return o;
}

void msg_unref(struct msg *m)
{
    if (m == NULL)
        return;
    if (m->borrowed) { /* one thread; msg_borrow_end frees (see struct msg) */
        uint32_t n = atomic_load_explicit(&m->refs, memory_order_relaxed);
        assert(n > 1);
        atomic_store_explicit(&m->refs, n - 1, memory_order_relaxed);
        return;
    }
    /* The last reference: nobody else can take or drop one, so no locked
     * operation is needed to know it (acquire: what other holders did
     * before dropping theirs is visible here). */
    if (atomic_load_explicit(&m->refs, memory_order_acquire) == 1 ||
        atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1) {
        free_wire_forms(m);
        if (m->pool)
            pool_give(m->pool, m);
        else
            free(m);
    }
}

bool msg_remaining(const struct msg *m, uint64_t now_ms, uint32_t *left)
{
    if (!m->has_expiry) {
        *left = 0;
        return true;
    }
    uint64_t elapsed = (now_ms - m->created_ms) / 1000u;
    if (elapsed >= m->expiry_interval)
        return false;
    *left = m->expiry_interval - (uint32_t)elapsed;
    return true;
}
