/*
 * durable.h - the broker's side of the durability contract (store.h):
 * what each broker event writes to the store, and the work held back until
 * that write is committed.
 *
 * With persistence off (the memory backend) none of this runs: every
 * function below returns at once and acknowledgements go out as before.
 *
 * With persistence on, a worker appends the rows an event changes to its
 * struct store_batch, and the acknowledgements and deliveries that depend
 * on those rows to its held list. At the end of the loop pass the batch
 * and the held list leave together as one ticket: the store thread commits
 * the batch, and the ticket comes back through the worker's inbox, where
 * the held work is released (status 0) or answered with a failure (disk
 * full: v5 0x97, a 3.1.1 publisher is disconnected so it retries). Held:
 *   - PUBACK/PUBREC to a publisher, with the deliveries of its message:
 *     the message and one queue entry per stored session it goes to are in
 *     the batch, so an acknowledged message survives a crash, and a QoS 2
 *     message goes onward only once its packet id is on disk (it cannot be
 *     delivered twice);
 *   - PUBCOMP (the QoS 2 id is forgotten on disk first), PUBREL (the entry
 *     says "awaiting PUBCOMP" first, so the PUBLISH is never re-sent after
 *     it [MQTT-4.3.3-5]), SUBACK of a stored session;
 *   - the first send of a QoS 2 PUBLISH to a stored session, until its
 *     packet id is on disk (a crash must not re-send it under another id).
 * Everything QoS 1/2 a worker holds is released in order, so acknowledgements
 * keep the order of the PUBLISHes [MQTT-4.6.0-2] and messages from one
 * publisher keep theirs [MQTT-4.6.0-6].
 *
 * What is stored: sessions that outlive their connection (session expiry >
 * 0, or a 3.1.1 clean session 0), their subscriptions, queue entries and
 * incoming QoS 2 ids; messages those entries or the retained store refer
 * to (QoS 0 messages only when retained). Owner thread for everything.
 */
#ifndef PETREL_BROKER_DURABLE_H
#define PETREL_BROKER_DURABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "broker/server.h"
#include "store/store.h"
#include "util/slice.h"

struct worker;
struct server;
struct session;
struct client;
struct msg;
struct omsg;

/* What the held list keeps until the ticket comes back. */
enum held_kind {
    HELD_ACK = 1, /* an acknowledgement packet to the session's connection */
    HELD_DELIVER, /* a delivery to a session (here or on another worker) */
    HELD_SEND,    /* send the session's inflight QoS 2 messages held for this ticket */
    HELD_PACKET,  /* an encoded packet (SUBACK) to the session's connection */
};

struct held {
    uint8_t kind;
    uint8_t type;   /* HELD_ACK: packet type */
    uint8_t reason; /* HELD_ACK: reason code on success */
    bool ends;      /* HELD_ACK: it ends an inbound exchange (Receive Maximum count) */
    uint16_t pid;   /* HELD_ACK */
    uint32_t gen;   /* HELD_ACK, HELD_PACKET: the session's connection it answers */
    uint32_t len;   /* HELD_PACKET */
    uint8_t *bytes; /* HELD_PACKET: owned */
    struct session *sess; /* owned reference */
    struct delivery d;    /* HELD_DELIVER: with the references routing gave it */
};

/* A worker's batch and held work on their way through the store. */
struct ticket {
    struct task task; /* TASK_STORE_DONE in the worker's inbox */
    struct worker *w;
    int status;
    uint32_t id;
    uint32_t n;
    struct held items[];
};

static inline bool durable_on(const struct worker *w)
{
    return store_is_durable(&w->srv->store);
}

/* Start and end of a worker. */
void durable_worker_init(struct worker *w);
void durable_worker_fini(struct worker *w);

/* End of the pass: commits the batch with the held work as one ticket. */
void durable_pass_end(struct worker *w);

/* A ticket came back (TASK_STORE_DONE): releases or refuses its work. */
void durable_ticket_done(struct worker *w, struct ticket *t);
/* Drops a ticket at shutdown without releasing anything. */
void durable_ticket_drop(struct ticket *t);

/* --- events -------------------------------------------------------- */

/* A session was attached to a connection with this expiry: stores it (or
 * its new expiry), or removes it from the store when it no longer
 * outlives the connection. */
void durable_session_attached(struct worker *w, struct session *s);
/* The session's connection went away, or its expiry changed. */
void durable_session_saved(struct worker *w, struct session *s);
/* The session ends. */
void durable_session_ended(struct worker *w, struct session *s);

/* A connection with will m (delay in seconds) attached to stored session s:
 * m is stored with it, so a crash publishes it after the restart. */
void durable_will_attach(struct worker *w, struct session *s, struct msg *m, uint32_t delay);
/* A will was parked on a stored session (will.c), or left it (published
 * or cancelled; s->will is already NULL, m is the will). */
void durable_will_parked(struct worker *w, struct session *s);
void durable_will_gone(struct worker *w, struct session *s, struct msg *m);

/* Subscriptions of a stored session. */
void durable_sub_put(struct worker *w, struct session *s, struct slice filter, uint8_t opts,
                     uint32_t sub_id);
void durable_sub_del(struct worker *w, struct session *s, struct slice filter);

/* Incoming QoS 2 ids of a stored session. */
void durable_qos2_put(struct worker *w, struct session *s, uint16_t pid);
void durable_qos2_del(struct worker *w, struct session *s, uint16_t pid);

/* Stores m once (sequence, row) and counts one stored reference to it. */
void durable_msg_hold(struct worker *w, struct msg *m);
/* Drops one stored reference; the last deletes the row. */
void durable_msg_release(struct worker *w, struct msg *m);

/* A retained message was set (m, may be a clear with an empty payload) and
 * `old` replaced (or NULL). */
void durable_retain_set(struct worker *w, struct msg *m, struct msg *old);

/* A queue entry for delivery d (its session, message, QoS), stored in w's
 * batch; returns its sequence, or 0 when the session is not stored or d is
 * QoS 0. */
uint64_t durable_entry_new(struct worker *w, const struct delivery *d);
/* An outgoing message of s changed state (sent, PUBREC received) or is gone. */
void durable_entry_update(struct worker *w, struct session *s, struct omsg *o);
void durable_entry_del(struct worker *w, struct omsg *o);

/* Holds work until the current batch is committed. */
void durable_hold_ack(struct worker *w, struct session *s, uint8_t type, uint16_t pid,
                      uint8_t reason, bool ends);
/* Takes d's references (d is left empty). */
void durable_hold_delivery(struct worker *w, struct delivery *d);
/* True while responses to c wait for the store: a later response waits
 * too, so they leave in the order of the requests. */
bool durable_must_hold(const struct client *c);
/* Notes that c has a response in the current ticket. */
void durable_note_held(struct worker *w, struct client *c);

/* Holds an encoded packet (owned, malloc'd) for s's current connection. */
void durable_hold_packet(struct worker *w, struct session *s, uint8_t *bytes, uint32_t len);
/* Holds the first send of a QoS 2 message of s until its packet id is
 * committed; returns the ticket id it waits for. */
uint32_t durable_hold_send(struct worker *w, struct session *s);

/* --- start-up ------------------------------------------------------- */

/* Loads the store into the server's workers before they start: sessions,
 * subscriptions, queues, QoS 2 ids, retained messages; expires what
 * expired while the broker was down. Returns 0 or a negative errno. */
int durable_recover(struct server *srv);

#endif
