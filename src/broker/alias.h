/*
 * alias.h - MQTT 5 Topic Alias mappings of one network connection, both
 * directions (5.0 section 3.3.2.3.4).
 *
 * Inbound (client -> broker): the client picks aliases 1..max, where max is
 * the Topic Alias Maximum the broker announced in CONNACK; a PUBLISH with
 * a topic and an alias sets or replaces the mapping, one with an empty
 * topic uses it. Only aliases actually used take memory (one entry each,
 * with its topic copied in).
 *
 * Outbound (broker -> client): the broker picks. A table topic -> alias of
 * at most `cap` entries, cap being the smaller of the client's Topic Alias
 * Maximum from CONNECT and the broker's own limit, so no alias above the
 * client's maximum is ever sent [MQTT-3.1.2-26] [MQTT-3.3.2-11] and none at
 * all when it announced 0 or nothing [MQTT-3.1.2-27]. Topics sent again
 * keep their alias; when the table is full the least recently used
 * mapping gives its alias number to the new topic (the PUBLISH carrying
 * the new topic and that alias replaces the mapping at the client).
 *
 * Mappings belong to one connection and are never carried to another
 * [MQTT-3.3.2-7]: both tables live in struct client and die with it.
 * Owner: the client's worker thread. Pure bookkeeping: nothing here sends.
 */
#ifndef PETREL_BROKER_ALIAS_H
#define PETREL_BROKER_ALIAS_H

#include <stdbool.h>
#include <stdint.h>

#include "util/hash.h"
#include "util/list.h"
#include "util/slice.h"

struct alias_in {
    uint16_t max;          /* highest alias accepted; 0 = none */
    struct htable entries; /* struct alias_in_ent, hashed by alias value */
};

struct alias_out {
    uint16_t cap;           /* aliases we may hand out; 0 = none */
    uint16_t used;          /* alias numbers 1..used are taken */
    uint64_t seed;          /* hash seed for topics */
    struct htable by_topic; /* struct alias_out_ent */
    struct list lru;        /* most recently used first */
};

/* Sets up an empty inbound table accepting aliases 1..max. */
void alias_in_init(struct alias_in *t, uint16_t max);
void alias_in_fini(struct alias_in *t);

/* Maps alias (1..max, checked by the caller) to a copy of topic (a
 * non-empty topic name), replacing an earlier mapping. */
void alias_in_set(struct alias_in *t, uint16_t alias, struct slice topic);

/* The topic mapped to alias: true and *topic (valid until the mapping
 * changes), or false when the alias was never set. */
bool alias_in_get(const struct alias_in *t, uint16_t alias, struct slice *topic);

/* Sets up an empty outbound table of at most cap aliases. */
void alias_out_init(struct alias_out *t, uint16_t cap, uint64_t seed);
void alias_out_fini(struct alias_out *t);

/* The alias already mapped to topic (and marks it most recently used), or
 * 0 when there is none. */
uint16_t alias_out_find(struct alias_out *t, struct slice topic);

/* Maps topic (not mapped yet) to an alias and returns it: the next unused
 * number while there is one, else the least recently used mapping's number
 * (that mapping is dropped). Returns 0 when cap is 0. */
uint16_t alias_out_assign(struct alias_out *t, struct slice topic);

#endif
