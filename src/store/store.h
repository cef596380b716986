/*
 * store.h - durable broker state: the contract between the broker and
 * storage.
 *
 * What is durable (with persistence on; QoS 0 messages are never stored):
 *   messages       topic, payload, QoS, retain flag, forwardable v5
 *                  properties and absolute expiry (wall-clock ms, 0 = none),
 *                  stored once and referenced by sequence number from queue
 *                  entries, retained topics and sessions' wills;
 *   retained       topic -> message;
 *   sessions       client id, expiry interval, user name, will message and
 *                  will delay, when it went offline (wall-clock ms, 0 =
 *                  online), next outgoing packet id;
 *   subscriptions  (session, filter) -> options byte, subscription id;
 *   queue entries  one per message queued or in flight for a session:
 *                  message, QoS, retain flag, one subscription id (what
 *                  struct omsg keeps), state (queued / awaiting PUBACK /
 *                  PUBREC / PUBCOMP) and packet id; inserted, updated and
 *                  deleted as the message moves;
 *   QoS 2 ids      incoming packet ids awaiting PUBREL, per session.
 * Rows are keyed by 64-bit sequence numbers that the broker allocates with
 * store_next_seq() (one counter for messages, sessions and entries), never
 * by (client, packet id): the SQLite tables are then append-only, which
 * measured ten times faster.
 *
 * How the broker writes: each loop thread owns a struct store_batch and
 * appends operations to it with the store_*_put/del calls below. They only
 * serialise into the batch's byte log: no lock, no I/O, no allocation once
 * the buffer has grown. At the end of a loop pass the thread hands the
 * batch over with store_batch_commit(), which returns at once. A dedicated
 * store thread runs every batch handed over since its last commit in ONE
 * transaction (group commit), commits it (the fsync; no loop thread ever
 * waits on the disk), then calls each batch's done(arg, status) on the
 * store thread, in the order the batches were committed. An operation put
 * and deleted within one group commit (most QoS 1 entries: acknowledged
 * within a pass or two) never reaches the database.
 *
 * The durability contract: an acknowledgement that confirms state (PUBACK
 * or PUBREC to a publisher, SUBACK, a CONNACK that reports a stored
 * session) is released only from done with status 0, i.e. after the state
 * it confirms is on disk. done's status is 0, or a negative errno: -ENOSPC
 * when the disk (or persistence_max_size) is full, -EBUSY when another
 * process holds the store, -EIO for anything else. On failure nothing of
 * that batch was applied (its transaction was rolled back; when a group of
 * several batches fails, each is retried alone so one batch's failure does
 * not sink the others), and the store keeps working for later batches: the
 * broker decides what to do with the unconfirmed work (refuse the publish,
 * disconnect the client).
 *
 * Ordering: batches from one thread are applied in commit order. Messages
 * cross threads (published on one loop, queued on another), so a message's
 * put must be committed before, or in the same group as, its del (in one
 * group they cancel whatever their order); a del committed in an earlier
 * group than its put leaves an orphan row, which the next open removes.
 * Open also removes rows that point at rows that are missing: an entry
 * whose message never got committed, the entries of a deleted session
 * (store_session_del leaves them to the broker).
 *
 * Threads: store_open(), store_load() and store_close() run on one thread
 * (start-up and shutdown), store_load() before the first commit. A batch
 * belongs to one thread at a time. store_batch_commit() and
 * store_next_seq() may be called from any thread.
 *
 * Backends: sqlite (sqlite_*.c: WAL, one file `petrel.db` in a directory)
 * and memory (memory.c: `persistence false`; nothing is stored, commit
 * calls done(arg, 0) at once; the broker can test store_is_durable() and
 * skip batching altogether).
 */
#ifndef PETREL_STORE_STORE_H
#define PETREL_STORE_STORE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/buf.h"
#include "util/slice.h"

#define STORE_FILE_NAME "petrel.db"

/* How hard a commit pushes to the disk (SQLite's PRAGMA synchronous). */
enum store_sync {
    STORE_SYNC_FULL = 0, /* fsync every commit: survives power loss */
    STORE_SYNC_NORMAL,   /* fsync at checkpoints: survives a crash of the process */
    STORE_SYNC_OFF,      /* never fsync (tests) */
};

struct store_options {
    const char *dir; /* directory holding petrel.db; NULL = "." */
    enum store_sync sync;
    uint32_t commit_interval_ms; /* 0 = commit as soon as a batch arrives */
    uint64_t max_size;           /* bytes the file may take, 0 = unlimited */
    /* Open an existing store for reading only (tools): nothing is created,
     * repaired or set aside, no thread runs, commits are refused. */
    bool read_only;
};

/* The state of a queue entry; the same numbers as the broker's enum omsg_state. */
enum store_entry_state {
    STORE_ENTRY_QUEUED = 0,
    STORE_ENTRY_WAIT_PUBACK,  /* QoS 1 sent */
    STORE_ENTRY_WAIT_PUBREC,  /* QoS 2 sent */
    STORE_ENTRY_WAIT_PUBCOMP, /* QoS 2, PUBREL sent; the message may be gone (msg = 0) */
    STORE_ENTRY_STATE_COUNT
};

#define STORE_ENTRY_RETAIN 0x01u /* store_entry_rec.flags: deliver with RETAIN set */

/* The records: what the put calls take and the load callbacks give. Slices
 * are borrowed: a put copies them into the batch; a load callback's slices
 * are valid only during the call. */
struct store_msg_rec {
    uint64_t seq;
    struct slice topic;
    struct slice payload;
    struct slice props; /* forwardable v5 properties, as encoded; may be empty */
    uint8_t qos;        /* 1 or 2 (QoS 0 is never stored) */
    bool retain;
    uint64_t expiry_ms; /* absolute wall-clock ms when it expires, 0 = never */
};

struct store_session_rec {
    uint64_t seq;
    struct slice client_id;
    bool has_username;
    struct slice username;    /* with has_username; may be empty */
    uint32_t expiry_interval; /* seconds */
    uint64_t will_msg;        /* message seq of the will, 0 = none */
    uint32_t will_delay;      /* seconds */
    uint64_t offline_at_ms;   /* wall-clock ms it went offline, 0 = online */
    uint16_t next_pid;
};

struct store_sub_rec {
    uint64_t sess;
    struct slice filter;
    uint8_t opts; /* the SUBSCRIBE options byte */
    uint32_t sub_id;
};

struct store_entry_rec {
    uint64_t seq;
    uint64_t sess;
    uint64_t msg; /* 0 only in STORE_ENTRY_WAIT_PUBCOMP */
    uint8_t qos;
    uint8_t flags; /* STORE_ENTRY_* */
    uint8_t state; /* enum store_entry_state */
    uint16_t pid;  /* 0 while queued */
    uint32_t sub_id;
};

/* A loop thread's operations since its last commit, serialised. Owned by
 * that thread; store_batch_commit() takes the operations and leaves the
 * batch empty (with a recycled buffer), ready for the next pass. */
struct store_batch {
    struct buf log;
    uint32_t nops;
};

void store_batch_init(struct store_batch *b);
/* Frees the buffer; pending operations are dropped. */
void store_batch_fini(struct store_batch *b);

static inline bool store_batch_empty(const struct store_batch *b)
{
    return b->nops == 0;
}

/* The operations. They copy what they are given; they never fail (a
 * failed allocation aborts, util/alloc.h). Owner thread of b. */

/* Stores a message. A message is immutable: put it once per seq. */
void store_msg_put(struct store_batch *b, const struct store_msg_rec *m);
/* Deletes a message; call it when no stored row refers to it any more. */
void store_msg_del(struct store_batch *b, uint64_t seq);
/* Makes msg_seq the retained message of topic (replacing any other). */
void store_retain_set(struct store_batch *b, struct slice topic, uint64_t msg_seq);
void store_retain_del(struct store_batch *b, struct slice topic);
/* Inserts or replaces a session. */
void store_session_put(struct store_batch *b, const struct store_session_rec *s);
/* Deletes a session with its subscriptions and QoS 2 ids. Its queue
 * entries and its will message are the caller's to delete (entry_del for
 * each entry it drops, as it drops them anyway): the store keeps no index
 * of entries by session, which would slow every entry insert by a third.
 * Entries left behind are harmless (a new session gets a new seq) and are
 * removed at the next open. */
void store_session_del(struct store_batch *b, uint64_t sess_seq);
/* Inserts or replaces the subscription (s->sess, s->filter). */
void store_sub_put(struct store_batch *b, const struct store_sub_rec *s);
void store_sub_del(struct store_batch *b, uint64_t sess_seq, struct slice filter);
/* Inserts or replaces a queue entry. */
void store_entry_put(struct store_batch *b, const struct store_entry_rec *e);
/* Changes an entry's state and packet id (the usual change: sent, PUBREC
 * received), cheaper than a put of the whole entry. */
void store_entry_update(struct store_batch *b, uint64_t entry_seq, uint8_t state, uint16_t pid);
void store_entry_del(struct store_batch *b, uint64_t entry_seq);
/* Incoming QoS 2 packet id awaiting PUBREL [MQTT-4.3.3-9]. */
void store_qos2_put(struct store_batch *b, uint64_t sess_seq, uint16_t pid);
void store_qos2_del(struct store_batch *b, uint64_t sess_seq, uint16_t pid);

/* Called on the store thread once a committed batch is durable (status 0)
 * or has failed (negative errno; see the top of this file). It must not
 * block: post to the loop that owns arg and return. */
typedef void (*store_done_fn)(void *arg, int status);

/* What store_load() reports, one call per row. Each returns 0 to go on or
 * a non-zero value that stops the load and is returned by it. A NULL
 * member skips that kind of row. */
struct store_load_cbs {
    int (*msg)(void *arg, const struct store_msg_rec *m);
    int (*session)(void *arg, const struct store_session_rec *s);
    int (*sub)(void *arg, const struct store_sub_rec *s);
    int (*entry)(void *arg, const struct store_entry_rec *e);
    int (*qos2)(void *arg, uint64_t sess_seq, uint16_t pid);
    int (*retain)(void *arg, struct slice topic, uint64_t msg_seq);
};

/* Counters since the store was opened, for $SYS and the console. */
struct store_stats {
    uint64_t batches;        /* committed batches whose done has run */
    uint64_t groups;         /* group commits run (one transaction each, none when all cancelled) */
    uint64_t ops;            /* operations in those batches */
    uint64_t ops_cancelled;  /* of which cancellation kept out of the database */
    uint64_t failed_batches; /* done with a non-zero status */
};

struct store;

struct store_ops {
    const char *name;
    bool durable;
    int (*open)(struct store *st, const struct store_options *opt, char *err, size_t errlen);
    int (*load)(struct store *st, const struct store_load_cbs *cbs, void *arg);
    void (*commit)(struct store *st, struct store_batch *b, store_done_fn done, void *arg);
    void (*close)(struct store *st);
    void (*stats)(const struct store *st, struct store_stats *out); /* NULL: all zero */
};

struct store {
    const struct store_ops *ops;
    void *impl;                /* backend state */
    _Atomic uint64_t next_seq; /* store_next_seq(); above every stored seq */
    uint64_t max_seq;          /* the highest seq stored when it was opened */
};

extern const struct store_ops store_memory_ops;
extern const struct store_ops store_sqlite_ops;

/* Opens a store with the given backend and options (NULL = defaults: the
 * current directory, sync full). The sqlite backend creates the directory
 * when only its last component is missing, and sets aside a store file
 * that is not a database, fails its quick check, is truncated or has a
 * schema version it does not know: renamed to petrel.db.corrupt-<UTC
 * time> (with its -wal and -shm), logged at error level, and an empty store
 * started in its place. Returns 0, or a negative errno with a message in
 * err (a directory it cannot use, a store another process holds, an I/O
 * error). Start-up thread. */
int store_open(struct store *st, const struct store_ops *ops, const struct store_options *opt,
               char *err, size_t errlen);

/* Calls cbs for every stored row, rows that others refer to first:
 * messages, sessions, subscriptions, queue entries and QoS 2 ids (each by
 * sequence), retained topics. Sets *max_seq (may be NULL) to the highest
 * sequence stored (0 for none). Returns 0, a callback's non-zero value, or
 * a negative errno. Start-up thread, before the first commit. */
int store_load(struct store *st, const struct store_load_cbs *cbs, void *arg, uint64_t *max_seq);

/* Hands b's operations to the store and returns at once; done(arg,
 * status) runs later on the store thread (memory backend: at once, on the
 * caller's thread, with 0). An empty batch is allowed: its done runs once
 * everything committed before it is durable. b is left empty. Any thread
 * (b's owner). */
void store_batch_commit(struct store *st, struct store_batch *b, store_done_fn done, void *arg);

/* Waits for every committed batch (their done callbacks run), checkpoints
 * the log into the database file and closes. Nothing may commit after it
 * starts. Shutdown thread. */
void store_close(struct store *st);

/* Reads the counters (relaxed: each is exact, the set is not a snapshot).
 * Any thread, while the store is open. */
void store_stats_get(const struct store *st, struct store_stats *out);

static inline bool store_is_durable(const struct store *st)
{
    return st->ops != NULL && st->ops->durable;
}

/* A new sequence number, above every number stored when the store was
 * opened and every number handed out since. Any thread. */
static inline uint64_t store_next_seq(struct store *st)
{
    return atomic_fetch_add_explicit(&st->next_seq, 1, memory_order_relaxed);
}

/* Operator check of the store in dir (sqlite only; read-only, works while
 * nothing else holds the store): file, integrity, schema version, row
 * counts and rows pointing at missing rows, written to out for a person.
 * Returns 0 when the store is sound, 1 when it has problems or cannot be
 * read. Blocks on I/O: command-line thread. */
int store_check(const char *dir, FILE *out);

#endif
