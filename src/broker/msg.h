/*
 * msg.h - a published application message: immutable, reference counted,
 * shared by every subscriber queue, the retained store and the inboxes of
 * other loops (STYLE.md section 5).
 *
 * One allocation holds the header, the topic, the forwardable v5
 * properties and the payload. The reference count is atomic because
 * deliveries cross threads; everything else is written once by the
 * creator before the first share.
 */
#ifndef PETREL_BROKER_MSG_H
#define PETREL_BROKER_MSG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/slice.h"

struct mqtt_publish;
struct mqtt_will;

/* A PUBLISH of one message encoded once and copied to every subscriber
 * that takes the same form (deliver.c): the fixed header's flags and the
 * packet id are patched per copy. */
struct msg_wire {
    uint32_t size;
    uint32_t pid_off; /* where the packet id goes (variants with one) */
    uint8_t bytes[];
};

/* Forms: MQTT 5 or earlier, times with or without a packet id. */
#define MSG_WIRE_FORMS 4

struct msg;

/* A worker's recycled message blocks (MSG_POOL_BLOCK bytes each), so a
 * small message costs no malloc in steady state. The worker takes blocks
 * from `free`; a message released on any thread goes back to its pool's
 * `returned` stack (lock-free push; the owner takes the whole stack at
 * once, so there is no ABA). */
struct msg_pool {
    _Atomic(struct msg *) returned;
    struct msg *free;
    uint32_t nfree;
};

#define MSG_POOL_BLOCK 512

struct msg {
    _Atomic uint32_t refs;
    struct msg_pool *pool; /* the pool its block goes back to, or NULL (malloc'd) */
    struct msg *next_free; /* in pool->free or pool->returned */
    uint8_t qos;     /* QoS it was published with */
    bool retain;     /* retain flag it was published with */
    bool has_expiry; /* v5 Message Expiry Interval present */
    uint32_t expiry_interval; /* seconds, as received */
    uint64_t created_ms;      /* monotonic ms when received (expiry countdown) */
    uint64_t origin;          /* id of the publishing session, 0 = broker ($SYS) */
    _Atomic uint64_t seq;     /* store sequence once stored, 0 = not stored (durable.c) */
    _Atomic uint32_t srefs;   /* stored rows referring to it; the last one deletes it */
    struct slice topic;       /* points into this allocation */
    struct slice props;       /* forwardable v5 properties (no alias/sub id/expiry) */
    struct slice payload;     /* points into this allocation */
    _Atomic bool wire_shared; /* routed to several sessions: encode it once (route.c) */
    /* A QoS 0 message that only lives while its PUBLISH is handled: its
     * header is on the handler's stack, and topic and payload point into
     * the read buffer (msg_borrow). Its references are counted without
     * atomics, by the one thread that sees it; route.c copies it
     * (msg_own) before it could reach another thread or outlive the
     * handler. */
    bool borrowed;
    /* The encoded forms, made by the first send that needs one and
     * installed with a compare-and-swap; freed with the message. The only
     * part of a shared message that changes after it is shared. */
    _Atomic(struct msg_wire *) wire[MSG_WIRE_FORMS];
};

/* Builds a message from a decoded PUBLISH (topic already resolved from an
 * alias by the caller). Copies everything it keeps; one reference. */
struct msg *msg_from_publish(struct msg_pool *pool, const struct mqtt_publish *p,
                             struct slice topic, uint64_t origin, uint64_t now_ms);

/* Builds the message a CONNECT's will publishes (origin set when it goes
 * out). Copies everything it keeps; one reference. */
struct msg *msg_from_will(struct msg_pool *pool, const struct mqtt_will *w, uint64_t now_ms);

/* A pool's blocks: msg_pool_fini frees them once no message of the pool
 * is alive (after the retained store and every worker are done). pool may
 * be NULL in the builders above: the message is malloc'd. */
void msg_pool_init(struct msg_pool *pool);
void msg_pool_fini(struct msg_pool *pool);
/* Hands the blocks of other workers' pools that this worker thread
 * released back to their pools (msg.c gathers them): at the end of every
 * loop pass. */
void msg_pool_flush_returns(void);
/* Says the calling thread is pool's worker (its only taker). */
void msg_pool_attach(struct msg_pool *pool);

/* Builds a message from parts (wills, $SYS). props may be empty; one reference. */
struct msg *msg_new(struct slice topic, struct slice payload, uint8_t qos, bool retain,
                    struct slice props, uint64_t origin, uint64_t now_ms);

/* A borrowed message (see struct msg) for a decoded PUBLISH of QoS 0
 * without retain or properties to forward: nothing is copied. One
 * reference, which msg_borrow_end drops. */
void msg_borrow(struct msg *m, const struct mqtt_publish *p, struct slice topic, uint64_t origin,
                uint64_t now_ms);

/* Ends a borrowed message: frees its encoded forms. Every other reference
 * must be gone (asserted). */
void msg_borrow_end(struct msg *m);

/* A message of its own (pool block or malloc) with m's contents and one
 * reference: what a borrowed message becomes when it must be kept. */
struct msg *msg_own(struct msg_pool *pool, const struct msg *m);

/* Takes n references at once (one atomic operation for a whole fan-out). */
static inline void msg_ref_n(struct msg *m, uint32_t n)
{
    if (m->borrowed) {
        uint32_t have = atomic_load_explicit(&m->refs, memory_order_relaxed);
        atomic_store_explicit(&m->refs, have + n, memory_order_relaxed);
        return;
    }
    atomic_fetch_add_explicit(&m->refs, n, memory_order_relaxed);
}

static inline struct msg *msg_ref(struct msg *m)
{
    msg_ref_n(m, 1);
    return m;
}

/* Drops a reference; frees at zero. msg_unref(NULL) does nothing. Any thread. */
void msg_unref(struct msg *m);

/* Seconds left before expiry at now_ms; false when the message has
 * expired (never for messages without an expiry). */
bool msg_remaining(const struct msg *m, uint64_t now_ms, uint32_t *left);

/* Bytes this message accounts for in queue limits. */
static inline uint64_t msg_size(const struct msg *m)
{
    return m->topic.len + m->payload.len + m->props.len;
}

#endif
