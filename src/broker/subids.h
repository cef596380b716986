/*
 * subids.h - the Subscription Identifiers that one outgoing PUBLISH
 * carries.
 *
 * A message that matches several subscriptions of one session goes out as
 * one copy carrying the identifier of every matching subscription that has
 * one [MQTT-3.3.4-3] [MQTT-3.3.4-4]. Two subscriptions with the same
 * identifier give it twice (5.0 section 3.3.4: "the PUBLISH packet will
 * carry multiple identical Subscription Identifiers"), so this is a list,
 * not a set; order is not significant.
 *
 * Zero or one identifier, by far the common case, lives inline: a delivery
 * allocates only when one session's subscriptions overlap and more than
 * one of them has an identifier. The value is owned by whoever holds it
 * (a match, a delivery in an outbox, a queued or inflight message) and is
 * moved, not shared.
 */
#ifndef PETREL_BROKER_SUBIDS_H
#define PETREL_BROKER_SUBIDS_H

#include <stddef.h>
#include <stdint.h>

struct subids {
    uint32_t count;
    union {
        uint32_t one;   /* count <= 1 */
        uint32_t *many; /* count >= 2: owned array of count */
    } u;
};

/* No identifier, or the one given (0 = none: identifiers are 1..268435455). */
static inline struct subids subids_one(uint32_t id)
{
    struct subids s;
    s.count = id ? 1u : 0u;
    s.u.one = id;
    return s;
}

/* The identifiers as an array of s->count (NULL when there is none). Valid
 * until s changes. */
static inline const uint32_t *subids_list(const struct subids *s)
{
    if (s->count == 0)
        return NULL;
    return s->count == 1 ? &s->u.one : s->u.many;
}

/* Appends id (0 is ignored). Allocates from the second identifier on. */
void subids_add(struct subids *s, uint32_t id);

/* Appends every identifier of *src to *dst and leaves *src empty (freed). */
void subids_merge(struct subids *dst, struct subids *src);

/* A copy of *s with storage of its own. */
struct subids subids_copy(const struct subids *s);

/* Frees what s holds and leaves it empty. */
void subids_fini(struct subids *s);

#endif
