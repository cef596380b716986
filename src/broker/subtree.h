/*
 * subtree.h - the subscription tree: topic filters of every session, one
 * node per topic level, shared by all loops.
 *
 * Matching a topic walks one path per level (the exact child, the '+'
 * child, the '#' child), so its cost grows with the depth of the topic and
 * the number of matching subscriptions, never with the number of
 * subscribers elsewhere in the tree. Exact children sit in a hash table
 * per node.
 *
 * Concurrency: a lock per reader (each loop is one reader, with its own
 * slot), so a PUBLISH matching under its loop's lock touches no cache line
 * another loop writes; SUBSCRIBE/UNSUBSCRIBE and session removal take
 * every slot, in order (the write side). One shared reader-writer lock
 * was a fifth of the time of a broker with two loops: every read wrote
 * the lock's line, and the hot fields of struct server next to it. A
 * broker with one loop sets one_thread and takes no lock at all.
 * A match calls back for each matching entry while the read side is held,
 * so a session pointer seen there stays valid until the callback returns
 * (a session leaves the tree under the write lock before it can be freed);
 * callers that keep it longer take a reference in the callback.
 *
 * Shared subscriptions ($share/GROUP/FILTER) live at FILTER's node as
 * groups; a match reports each matching group once and the caller picks
 * the member. A group is reference counted: the tree holds one reference
 * while the group has members, and a message on its way to (or queued
 * for) a member holds one, so the message can be handed to another member
 * later (route.c). A group whose last member leaves is unlinked from the
 * tree and has no members from then on; its memory goes with the last
 * reference.
 */
#ifndef PETREL_BROKER_SUBTREE_H
#define PETREL_BROKER_SUBTREE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/hash.h"
#include "util/slice.h"

struct session;

/* Subscription options byte, as in the v5 SUBSCRIBE options (qos in bits
 * 0-1, No Local bit 2, Retain As Published bit 3, Retain Handling bits 4-5). */
#define SUBOPT_QOS(o) ((uint8_t)((o)&3u))
#define SUBOPT_NO_LOCAL 0x04u
#define SUBOPT_RAP 0x08u
#define SUBOPT_RH(o) ((uint8_t)(((o) >> 4) & 3u))

struct sub_entry {
    struct session *sess; /* not owned; see the concurrency note above */
    uint8_t opts;
    uint32_t sub_id; /* v5 Subscription Identifier, 0 = none */
};

struct share_group {
    struct share_group *next;
    struct slice name; /* points into this allocation */
    struct sub_entry *members;
    uint32_t count, cap;
    _Atomic uint32_t cursor; /* round-robin position; advanced under the read lock */
    _Atomic uint32_t refs;   /* the tree's while linked, plus one per message holding it */
};

struct subnode;

/* One reader's lock, on cache lines of its own. */
struct subtree_slot {
    pthread_mutex_t lock;
    char pad[128 - sizeof(pthread_mutex_t) % 64];
};

struct subtree {
    struct subtree_slot *slots; /* [nslots]; readers use slot reader % nslots */
    unsigned nslots;
    _Atomic uint64_t gen; /* changes with every add and remove (write side); from 1 */
    /* Only one thread uses the tree (a broker with one loop; recovery runs
     * before the loop starts): no locking. Set before that thread starts. */
    bool one_thread;
    struct subnode *root;
    uint64_t seed;
    _Atomic uint64_t count; /* subscriptions in the tree, shared ones included */
};

/* Calls for one matching non-shared entry (read side held). */
typedef void (*subtree_match_cb)(void *arg, const struct sub_entry *e);
/* Calls for one matching shared group (read side held). */
typedef void (*subtree_share_cb)(void *arg, struct share_group *g);

/* readers: how many loops read it (slots; at least 1). */
void subtree_init(struct subtree *t, uint64_t seed, unsigned readers);
/* Frees every node; the tree must no longer be used by any thread. */
void subtree_fini(struct subtree *t);

/* Adds session s's subscription to filter (a shared filter goes to its
 * group), or replaces the options of the one s already has there.
 * Returns 1 when added, 0 when replaced. Any thread; takes the write side. */
int subtree_add(struct subtree *t, struct slice filter, struct session *s, uint8_t opts,
                uint32_t sub_id);

/* Removes s's subscription to filter; returns true when there was one.
 * Empty nodes are freed. Any thread; takes the write side. */
bool subtree_remove(struct subtree *t, struct slice filter, struct session *s);

/* Reports every subscription whose filter matches topic (a valid topic
 * name), applying the '$' rule [MQTT-4.7.2-1]. reader: the calling loop's
 * index (one thread at a time per index); takes that slot. */
void subtree_match(struct subtree *t, unsigned reader, struct slice topic,
                   subtree_match_cb on_entry, subtree_share_cb on_share, void *arg);

/* One publisher's last match: its topic and the entries it matched, valid
 * while the tree's generation is the one recorded. A publisher mostly
 * repeats its topic (a sensor), and replaying a few entries costs less
 * than walking the levels (splitting, hashing, comparing): the walk was a
 * fifth of a one-loop broker's time in fan-in. Only small matches of short
 * topics without shared groups are kept. Zeroed = empty. */
#define SUBTREE_CACHE_TOPIC 64
#define SUBTREE_CACHE_ENTRIES 4
struct subtree_cache {
    uint64_t gen; /* 0: nothing recorded */
    uint16_t topic_len;
    uint8_t count;
    struct sub_entry entries[SUBTREE_CACHE_ENTRIES];
    uint8_t topic[SUBTREE_CACHE_TOPIC];
};

/* subtree_match, answered from cache when it holds this topic at the
 * tree's current generation, and recorded into it otherwise. The entries
 * replayed are those the walk would report, in the same order: every
 * add and remove, including a change of options, moves the generation,
 * and sessions stay valid as above, because the check and the replay
 * happen under the read side. cache is the caller's (one thread at a time). */
void subtree_match_cached(struct subtree *t, unsigned reader, struct slice topic,
                          struct subtree_cache *cache, subtree_match_cb on_entry,
                          subtree_share_cb on_share, void *arg);

/* Calls fn(arg, g) with the read side held, so g's members may be read
 * (g may have been unlinked: then it has none). reader: as above. */
void subtree_group_visit(struct subtree *t, unsigned reader, struct share_group *g,
                         subtree_share_cb fn, void *arg);

/* References to a group (see above); unref frees it at zero. Any thread. */
static inline struct share_group *subtree_group_ref(struct share_group *g)
{
    atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
    return g;
}
void subtree_group_unref(struct share_group *g);

static inline uint64_t subtree_count(struct subtree *t)
{
    return atomic_load_explicit(&t->count, memory_order_relaxed);
}

#endif
