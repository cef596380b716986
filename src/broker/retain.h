/*
 * retain.h - retained messages: at most one per topic name, shared by all
 * loops.
 *
 * A tree of topic levels like the subscription tree, but keyed by names
 * and walked with a filter: a SUBSCRIBE's filter visits the exact child,
 * every child for '+', and the whole subtree for '#'. Setting a message
 * with an empty payload clears the topic (3.1.1 [MQTT-3.3.1-10]
 * [MQTT-3.3.1-11], 5.0 [MQTT-3.3.1-6] [MQTT-3.3.1-7]).
 *
 * Retained messages expire like any other (5.0 section 3.3.1.3: "If the
 * current retained message for a Topic expires, it is discarded"): a match
 * never reports an expired message and removes it from the store. There
 * is no sweep: an expired message nobody asks for stays in memory (and in
 * the $SYS count) until the next match on it, a new message on its topic,
 * or a restart.
 *
 * Concurrency: one reader-writer lock; readers take a reference on each
 * message they report.
 */
#ifndef PETREL_BROKER_RETAIN_H
#define PETREL_BROKER_RETAIN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "util/slice.h"

struct msg;
struct retnode;

struct retain_store {
    pthread_rwlock_t lock;
    struct retnode *root;
    uint64_t seed;
    _Atomic uint64_t count; /* retained messages stored */
    _Atomic uint64_t bytes; /* their msg_size() total */
};

void retain_init(struct retain_store *r, uint64_t seed);
void retain_fini(struct retain_store *r);

/* Stores m (taking a new reference) as the retained message of its topic,
 * replacing the previous one; an empty payload clears the topic instead.
 * Returns the message it replaced or cleared (the caller owns that
 * reference: msg_unref it), or NULL. Any thread. */
struct msg *retain_set(struct retain_store *r, struct msg *m);

/* Calls fn with a new reference to every retained message whose topic
 * matches filter (a valid, non-shared filter) and that has not expired at
 * now_ms (monotonic); fn owns that reference. Expired ones are removed.
 * fn runs after the lock is released, so it may do anything. Any thread. */
void retain_match(struct retain_store *r, struct slice filter, uint64_t now_ms,
                  void (*fn)(void *arg, struct msg *m), void *arg);

#endif
