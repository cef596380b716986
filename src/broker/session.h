/*
 * session.h - MQTT sessions: subscriptions, the outgoing QoS 1/2 state
 * (queue and inflight window), incoming QoS 2 packet ids, and expiry.
 *
 * A session belongs to one worker for its whole life (server.h): only that
 * worker's thread reads or writes it, except the fields marked atomic,
 * which other workers read while routing. Its memory is reference counted
 * because deliveries from other workers hold pointers to it; the owner
 * marks it dead when it ends, and deliveries that arrive later are dropped.
 *
 * Outgoing messages move queue -> inflight -> gone:
 *   queue:    accepted for the session, not yet sent (send quota used up,
 *             client offline, or output buffer at its bound);
 *   inflight: sent, awaiting PUBACK (QoS 1) or PUBREC then PUBCOMP (QoS 2);
 *   resend:   inflight messages sent on an earlier connection, waiting to
 *             be re-sent with DUP on this one [MQTT-4.4.0-1] as the
 *             client's Receive Maximum allows [MQTT-3.3.4-9] (a PUBREL is
 *             re-sent at once instead [MQTT-3.3.4-10]).
 * inflight_count counts both inflight and resend: their packet ids are in use.
 * Limits: max_queued_messages / max_queued_bytes bound the queue; what
 * does not fit is dropped, logged and counted in $SYS
 * (publish/messages/dropped).
 *
 * A message that came through a shared subscription remembers its group,
 * so it can go to another member instead (route.c, broker_share_handoff).
 */
#ifndef PETREL_BROKER_SESSION_H
#define PETREL_BROKER_SESSION_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "broker/subids.h"
#include "util/hash.h"
#include "util/list.h"
#include "util/slice.h"

struct worker;
struct client;
struct msg;
struct delivery;
struct share_group;

enum omsg_state {
    OMSG_QUEUED = 0,
    OMSG_WAIT_PUBACK,  /* QoS 1 sent */
    OMSG_WAIT_PUBREC,  /* QoS 2 sent */
    OMSG_WAIT_PUBCOMP, /* QoS 2, PUBREL sent */
};

/* An outgoing message for one session. */
struct omsg {
    struct list node;          /* in session.queue, .inflight or .resend */
    struct msg *msg;           /* owned reference; NULL once PUBREC released it */
    struct share_group *group; /* owned reference: came through this shared subscription */
    struct subids ids;         /* owned: Subscription Identifiers to send */
    uint64_t seq;              /* order of first transmission; re-sends keep it (4.6) */
    uint16_t pid;
    uint8_t qos;
    uint8_t state; /* enum omsg_state */
    bool retain;
    bool sent_here; /* its PUBLISH went out on the current connection (send quota) */
    uint64_t entry; /* stored queue entry (durable.h), 0 = none */
    uint32_t held;  /* its first send waits for this store ticket, 0 = none */
};

/* An incoming QoS 2 packet id awaiting PUBREL [MQTT-4.3.3-10]. */
struct in_qos2 {
    uint16_t pid;
    bool counted; /* its PUBLISH came on the current connection: counts against Receive Maximum */
};

/* One subscription as the session remembers it (for UNSUBSCRIBE, the end
 * of the session and, later, persistence). */
struct sess_sub {
    char *filter; /* owned, NUL-terminated copy */
    uint16_t len;
    uint8_t opts;
    uint32_t sub_id;
};

#define SESSION_EXPIRY_NEVER UINT32_MAX

struct session {
    struct hnode hnode;   /* in owner->sessions, keyed by client id */
    struct worker *owner; /* fixed at creation */
    _Atomic uint32_t refs;
    uint64_t id; /* unique per process; message origin for No Local */
    _Atomic uint64_t seq; /* store sequence while stored (outlives its connection), else 0 */
    uint32_t attach_gen; /* counts connections attached; held acks name the one they answer */
    uint32_t held_sends; /* inflight messages whose first send waits for the store */

    struct slice client_id; /* points into this allocation */
    struct client *client;  /* attached connection, or NULL */
    _Atomic bool online;    /* client != NULL, for other workers (shared subscriptions) */
    _Atomic uint32_t nsubs; /* subscriptions held; routing dedupes only when > 1 */
    _Atomic bool queue_full; /* the queue is at its limit (read by publishers' workers: 0x97) */
    bool dead;              /* ended; late deliveries are dropped */
    char *username;         /* owned; user of the last connection (ACL on delivery), or NULL */
    size_t username_len;

    uint32_t expiry_interval; /* seconds after disconnect; 0 = ends with the connection */
    uint64_t expire_at_ms;    /* when offline: monotonic deadline */
    struct list offline_node; /* in owner->offline while offline */

    /* The last connection's will, waiting out its Will Delay Interval
     * (will.c); NULL when none. Owned reference. */
    struct msg *will;
    uint64_t will_at_ms;   /* monotonic: when it is published */
    /* The will the stored session row names (durable.c): the connection's
     * will, or the parked one. A reference; NULL when none is stored. */
    struct msg *stored_will;
    uint32_t stored_will_delay; /* the connection's Will Delay Interval */
    struct list will_node; /* in owner->wills (deadline order) while `will` is set */

    struct sess_sub *subs;
    uint32_t subs_count, subs_cap;

    struct list queue; /* struct omsg, OMSG_QUEUED */
    uint32_t queued;
    uint64_t queued_bytes;
    struct list inflight; /* struct omsg, in send order */
    struct list resend;   /* struct omsg, inflight from an earlier connection, in send order */
    uint32_t inflight_count; /* on inflight and resend */
    uint16_t next_pid;
    uint32_t pid_floor; /* no id in use lies in [next_pid + 1, pid_floor); 0 = unknown */
    uint64_t next_seq; /* struct omsg.seq of the next first transmission */

    struct in_qos2 *in_qos2; /* incoming QoS 2 ids awaiting PUBREL */
    uint32_t in_qos2_count, in_qos2_cap;
};

/* Finds the session for client_id on worker w (owner thread), or NULL. */
struct session *session_find(struct worker *w, struct slice client_id);

/* Creates a session on w (owner thread) with one reference held by w's table. */
struct session *session_new(struct worker *w, struct slice client_id);

/* Ends a session: removes its subscriptions from the tree, drops queued
 * and inflight messages and a parked will (unpublished: callers that must
 * publish it use broker_session_end()), removes it from w's table, marks it
 * dead and drops the table's reference. Owner thread. */
void session_end(struct worker *w, struct session *s);

static inline struct session *session_ref(struct session *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    return s;
}

/* Drops a reference; frees the memory at zero (the session is dead by then). Any thread. */
void session_unref(struct session *s);

/* Subscriptions held in the session's own list. Owner thread. */
struct sess_sub *session_sub_find(struct session *s, struct slice filter);
/* Adds or replaces; returns true when it was new. */
bool session_sub_put(struct session *s, struct slice filter, uint8_t opts, uint32_t sub_id);
bool session_sub_del(struct session *s, struct slice filter);

/* Incoming QoS 2 ids. Owner thread. find: the entry or NULL. del: true
 * when pid was there, with *counted set from the entry (counted may be NULL). */
struct in_qos2 *session_qos2_find(struct session *s, uint16_t pid);
void session_qos2_add(struct session *s, uint16_t pid, bool counted);
bool session_qos2_del(struct session *s, uint16_t pid, bool *counted);

/* Outgoing message bookkeeping. Owner thread. new: takes d's message,
 * group and identifiers (not its session); the omsg is on no list. */
struct omsg *session_omsg_new(struct worker *w, struct delivery *d);
void session_omsg_free(struct worker *w, struct omsg *o);
/* Frees the records session_omsg_free kept for reuse (worker end). */
void session_omsg_pool_fini(struct worker *w);

/* The queue, with its counters and the queue_full flag kept in step. */
void session_queue_push(struct session *s, struct omsg *o);
struct omsg *session_queue_pop(struct session *s);
void session_queue_unlink(struct session *s, struct omsg *o);
/* True when a message of `bytes` fits under max_queued_messages/bytes. */
bool session_queue_has_room(const struct session *s, uint64_t bytes);

/* Finds the inflight message with pid (on inflight or resend), or NULL. */
struct omsg *session_inflight_find(struct session *s, uint16_t pid);
/* Next free outgoing packet id (non-zero, not inflight) [MQTT-2.3.1-2]. */
uint16_t session_next_pid(struct session *s);

/* Marks s offline (its connection went away) with its expiry deadline,
 * or ends it when it does not outlive the connection. Owner thread. */
void session_detach(struct worker *w, struct session *s, uint64_t now_ms);

/* Ends every offline session whose deadline has passed, publishing its
 * parked will first (broker_session_end). Owner thread. */
void session_expire(struct worker *w, uint64_t now_ms);

#endif
