/*
 * server.h - the broker's top-level state: struct server (shared by all
 * threads) and struct worker (one per loop thread).
 *
 * Threads:
 *   - the main thread loads the config, builds the server, starts the
 *     workers, then handles signals (SIGHUP reload, SIGINT/SIGTERM stop);
 *   - N worker threads, each running one libuv loop (net/loop.h) that owns
 *     its connections and the sessions whose client id hashes to it
 *     (session_owner()). A session never moves: a connection whose CONNECT
 *     names a client id owned by another worker moves there (its socket is
 *     re-attached to that loop) before the session is touched, so session
 *     state is single-threaded and takeover is local;
 *   - the libuv thread pool, for password hashing only.
 * Shared structures: the subscription tree and the retained store (each
 * with its own rwlock), message and session reference counts (atomics),
 * statistics (relaxed atomics, one writer each). Everything else in a
 * struct worker belongs to its loop thread.
 *
 * Globals (STYLE.md section 3): the log sink (util/log.c) and constant
 * tables. Nothing else.
 */
#ifndef PETREL_BROKER_SERVER_H
#define PETREL_BROKER_SERVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "broker/msg.h"
#include "broker/retain.h"
#include "broker/subids.h"
#include "broker/subtree.h"
#include "cfg/config.h"
#include "net/listener.h"
#include "net/loop.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/list.h"

struct auth;
struct sys_state;
struct client;
struct session;
struct msg;
struct held;

/* Counters a worker writes and $SYS reads. One writer (the worker), so
 * updates are a relaxed load + store, not a locked add. */
struct worker_stats {
    _Atomic uint64_t bytes_received;
    _Atomic uint64_t bytes_sent;
    _Atomic uint64_t packets_received;
    _Atomic uint64_t packets_sent;
    _Atomic uint64_t publish_received;
    _Atomic uint64_t publish_sent;
    _Atomic uint64_t publish_dropped;   /* queue, buffer or packet size limits, logged */
    _Atomic uint64_t clients_connected; /* currently, on this worker */
    _Atomic uint64_t sessions_offline;  /* persistent sessions without a connection */
    _Atomic uint64_t sessions_expired;
    _Atomic uint64_t connections_total; /* accepted sockets */
    _Atomic uint64_t store_messages;    /* queued + inflight messages held by sessions */
    _Atomic uint64_t store_bytes;
};

#define STAT_ADD(w, field, n)                                                                      \
    atomic_store_explicit(                                                                         \
        &(w)->stats.field,                                                                         \
        atomic_load_explicit(&(w)->stats.field, memory_order_relaxed) + (uint64_t)(n),             \
        memory_order_relaxed)
#define STAT_SUB(w, field, n) STAT_ADD(w, field, -(uint64_t)(n))

/* One message on its way to one session: a match while routing, an entry
 * of another worker's inbox, or a message handed from a shared
 * subscription's member to another. broker_deliver() takes what it owns. */
struct delivery {
    struct msg *msg;           /* owned reference */
    struct session *sess;      /* owned reference when the session is another worker's */
    struct share_group *group; /* owned reference: the shared subscription it came through */
    struct subids ids;         /* owned: Subscription Identifiers to send [MQTT-3.3.4-4] */
    uint8_t qos;               /* QoS to deliver with (already min'ed with the grant) */
    bool retain;               /* retain flag to send */
    uint8_t hops;              /* times passed on to another member of `group` */
    uint64_t entry;            /* stored queue entry (durable.h), 0 = none */
};

enum task_kind {
    TASK_DELIVER = 1, /* struct dbatch */
    TASK_MIGRATE,     /* a client whose session lives on this worker */
    TASK_AUTH_SWAP,   /* new users/ACL after SIGHUP */
    TASK_SHUTDOWN,
    TASK_STORE_DONE, /* struct ticket: a store commit came back (durable.h) */
    TASK_PUBLISH,     /* a message to route from this worker ($SYS from worker 0) */
};

/* Header of everything posted to a worker's inbox. */
struct task {
    struct list node;
    uint8_t kind;
};

struct dbatch {
    struct task task;
    uint32_t n, cap;
    struct delivery d[];
};

struct task_ptr {
    struct task task;
    void *ptr; /* TASK_MIGRATE: struct client; TASK_AUTH_SWAP: struct auth (a reference) */
};

struct server;

struct worker {
    struct loop loop; /* first member: a struct loop * is a struct worker * */
    struct server *srv;
    unsigned id;

    struct listen_sock *listeners; /* one per configured listener */
    uv_timer_t tick;               /* 1 s: keep-alive, connect timeout, expiry, idle buffers */
    uv_timer_t sys_timer;          /* worker 0: $SYS every sys_interval */
    uv_timer_t will_timer;         /* the first parked will's deadline (will.c) */

    struct auth *auth; /* this worker's reference to the current users/ACL */
    struct sys_state *sys; /* worker 0: $SYS bookkeeping (sys.c) */

    struct list clients; /* every connection on this loop (struct client.node) */
    struct list dirty;   /* connections with output to write this pass */
    struct list closing; /* connections to close and free at the end of the pass */
    struct list moving;  /* connections to post to their session's worker at the pass end */
    struct htable sessions; /* client id -> struct session owned by this worker */
    struct list offline;    /* persistent sessions without a connection (expiry sweep) */
    struct list wills;      /* sessions with a parked will, by deadline (session.will_node) */

    struct dbatch **outbox; /* [server.nworkers]: deliveries for other workers */

    /* Reused per PUBLISH: the matching subscriptions, one delivery each. */
    struct delivery *matches;
    uint32_t nmatches, matches_cap;

    bool stopping;
    uint64_t now_ms; /* monotonic, refreshed each tick and event batch */
    uint64_t log_budget_at; /* rate limit for protocol-error logs */
    uint32_t log_budget;

    /* Input of the connection being read: lent to it for one read, so
     * connections keep no input buffer between packets (client.c). */
    struct buf rbuf;

    /* Persistence (durable.h): rows written this pass, the work that waits
     * for them, and the id the next ticket gets. */
    struct store_batch batch;
    struct held *held;
    uint32_t nheld, held_cap;
    uint32_t ticket_next;
    uint32_t ticket_done;  /* the last ticket released */

    /* Freed struct omsg kept for reuse (session.c): no malloc per QoS 1/2
     * delivery in steady state. */
    struct list omsg_pool;
    uint32_t omsg_pooled;
    struct msg_pool msgs; /* message blocks; outlives the worker's loop (server_fini) */
    bool route_hold;       /* broker_route holds QoS 0 deliveries too (publish.c) */

    struct worker_stats stats;
};

struct server {
    const struct config *cfg; /* immutable after start */
    uint64_t seed;            /* hash seed: client ids, topic levels */
    struct worker *workers;   /* [nworkers] */
    unsigned nworkers;

    struct subtree subs;         /* shared; own lock */
    struct retain_store retained; /* shared; own lock */
    struct store store;           /* durable state; the memory backend for now */

    _Atomic uint64_t next_session_id;
    _Atomic int *listener_conns; /* [cfg->listener_count] open connections per listener */
    uint16_t *listener_ports;    /* [cfg->listener_count] bound ports */

    int64_t started_wall; /* Unix time the broker started */
    uint64_t started_ms;  /* monotonic */
    _Atomic uint64_t clients_max; /* most clients connected at once */
    bool anonymous_default;       /* running without a config file */
};

/* The worker that owns sessions with this client id. */
static inline struct worker *session_owner(struct server *srv, struct slice client_id)
{
    return &srv->workers[hash_slice(client_id, srv->seed) % srv->nworkers];
}

/* Logs a client problem at most a few times a second per worker. */
bool worker_log_allowed(struct worker *w);

#endif
