/*
 * sqlite_int.h - the SQLite backend's shared state (internal to src/store).
 *
 *   sqlite_open.c    the file: checks, setting a bad one aside, pragmas
 *   sqlite_schema.c  the tables, the schema version and its migrations
 *   sqlite_plan.c    decoding a group of batches, cancelling put+del pairs
 *   sqlite_exec.c    running a plan as one transaction
 *   sqlite_thread.c  the ops table, the commit queue and the store thread
 *   sqlite_load.c    start-up: dropping dangling rows, the max seq, load
 *   sqlite_check.c   `petrel store check`
 *
 * Threads: the store thread owns db and the statements while it runs a
 * group (db_mu held); store_load() takes db_mu too, so a misplaced call
 * cannot corrupt the connection. The queue (head, tail, spare, stopping)
 * is guarded by mu.
 */
#ifndef PETREL_STORE_SQLITE_INT_H
#define PETREL_STORE_SQLITE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/batch.h"
#include "store/store.h"
#include "util/buf.h"

/* The current schema version; sqlite_schema.c upgrades older files. */
#define SQ_SCHEMA_VERSION 1

enum sq_stmt {
    SQ_BEGIN = 0,
    SQ_COMMIT,
    SQ_ROLLBACK,
    SQ_MSG_PUT,
    SQ_MSG_DEL,
    SQ_RETAIN_SET,
    SQ_RETAIN_DEL,
    SQ_SESSION_PUT,
    SQ_SESSION_DEL,
    SQ_SESSION_DEL_SUBS,
    SQ_SESSION_DEL_QOS2,
    SQ_SUB_PUT,
    SQ_SUB_DEL,
    SQ_ENTRY_PUT,
    SQ_ENTRY_UPDATE,
    SQ_ENTRY_DEL,
    SQ_QOS2_PUT,
    SQ_QOS2_DEL,
    SQ_STMT_COUNT
};

/* A committed batch waiting for (or done with) the store thread. */
struct sq_pending {
    struct sq_pending *next;
    struct buf log; /* the batch's operations (swapped out of the batch) */
    uint32_t nops;
    store_done_fn done;
    void *arg;
    int status; /* set by the store thread */
};

/* One decoded operation of a group and whether cancellation removed it. */
struct sq_planned {
    struct store_op op;
    bool skip;
};

struct sq_slot; /* sqlite_plan.c */

/* The store thread's scratch for one group, reused from group to group. */
struct sq_plan {
    struct sq_planned *ops;
    size_t n, cap;
    size_t live; /* ops not skipped */
    struct sq_slot *slots;
    size_t slot_cap;
    uint32_t gen; /* slots with another generation are free */
};

struct sq {
    sqlite3 *db;
    sqlite3_stmt *stmt[SQ_STMT_COUNT];
    char *dir;  /* owned */
    char *path; /* owned: dir/petrel.db */
    struct store_options opt;
    bool empty; /* read-only open of a file without tables: nothing prepared */
    pthread_mutex_t db_mu;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct sq_pending *head, *tail; /* committed, not yet run */
    struct sq_pending *spare;       /* run; kept with their buffers for reuse */
    bool stopping;
    bool thread_started;
    pthread_t thread;

    /* Written by the store thread, read by store_stats_get(). */
    _Atomic uint64_t n_batches, n_groups, n_ops, n_cancelled, n_failed;

    /* Store thread only. */
    struct sq_plan plan;
    uint64_t failures;       /* failed batches since the last success */
    uint64_t fail_logged_ms; /* when a failure was last logged */
    uint32_t since_vacuum;   /* groups since the free-page check */
};

/* ---- sqlite_open.c ---- */

/* Opens (creating when read-write) the store file q->path with every
 * pragma set, the schema at SQ_SCHEMA_VERSION and the statements
 * prepared; sets aside a file that is not a usable store (read-write
 * only). Returns 0, or a negative errno with err set. */
int sq_db_open(struct sq *q, char *err, size_t errlen);
/* Finalises the statements and closes the connection. */
void sq_db_close(struct sq *q);
/* The negative errno a store_done_fn gets for an SQLite result code. */
int sq_status(int rc);

/* ---- sqlite_schema.c ---- */

/* Reads the schema version: 0 for a file with no tables at all. Returns
 * 0; 1 with why set when the file is not a Petrel store of a version this
 * build knows; or an SQLite error code (negated). */
int sq_schema_version(sqlite3 *db, int *version, char *why, size_t cap);
/* Upgrades from version to SQ_SCHEMA_VERSION in one transaction. Returns
 * 0 or an SQLite error code (negated) with why set. */
int sq_schema_migrate(sqlite3 *db, int version, char *why, size_t cap);
/* Prepares every statement of enum sq_stmt. Returns SQLITE_OK or the
 * SQLite error (SQLITE_ERROR: the tables are not what we expect). */
int sq_schema_prepare(sqlite3 *db, sqlite3_stmt **stmt);

/* ---- sqlite_plan.c ---- */

/* Decodes the n batches into p and cancels what the group makes moot.
 * Returns 0, or -1 when a log does not decode (a bug). */
int sq_plan_build(struct sq_plan *p, struct sq_pending *const *batches, size_t n);
void sq_plan_fini(struct sq_plan *p);

/* ---- sqlite_exec.c ---- */

/* Runs p's live operations in one transaction. Returns 0 or the SQLite
 * error code of the failure (the transaction is rolled back). */
int sq_exec_plan(struct sq *q, const struct sq_plan *p);

/* ---- sqlite_load.c ---- */

/* Deletes rows pointing at missing rows and messages nothing refers to;
 * logs what it removed. Returns SQLITE_OK or an SQLite error code. */
int sq_repair(struct sq *q);
/* The highest seq stored in messages, sessions and entries. */
int sq_max_seq(sqlite3 *db, uint64_t *max);
int sq_load(struct store *st, const struct store_load_cbs *cbs, void *arg);

#endif
