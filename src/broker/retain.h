/*
 * retain.h - retained messages: at most one per topic name, shared by all
 * loops.
 *
 * A tree of topic levels like the subscription tree, but keyed by names
 * and walked with a filter: a SUBSCRIBE's filter visits the exact child,
 * every child for '+', and the whole subtree for '#'. Setting a message
 * with an empty payload clears the topic [MQTT-3.3.1-10] [MQTT-3.3.1-11].
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
 * matches filter (a valid, non-shared filter); fn owns that reference.
 * fn runs after the lock is released, so it may do anything. Any thread. */
void retain_match(struct retain_store *r, struct slice filter,
                  void (*fn)(void *arg, struct msg *m), void *arg);

#endif
