/*
 * sqlite_load.c - start-up: removing rows that point at missing rows,
 * finding the highest sequence, and reading everything back for the
 * broker (store_load).
 *
 * Dangling rows can exist without any bug in the store: a loop thread's
 * entry for a message may commit before the publishing thread's batch that
 * stores the message, and a crash between the two leaves the entry alone
 * (the publisher was never acknowledged, so it sends again). Repair runs
 * in one transaction at every read-write open, before anything is loaded,
 * so the broker only ever sees a consistent set of rows.
 */
#include <errno.h>

#include "store/sqlite_int.h"
#include "util/log.h"

/* Each repair statement and what its rows are, for the log. */
static const struct {
    const char *sql;
    const char *what;
    bool orphan; /* unreferenced (normal after a crash), not dangling */
} repairs[] = {
    {"DELETE FROM entry WHERE sess NOT IN (SELECT seq FROM session)"
     " OR (msg != 0 AND msg NOT IN (SELECT seq FROM msg))",
     "queue entries of missing sessions or messages", false},
    {"DELETE FROM sub WHERE sess NOT IN (SELECT seq FROM session)",
     "subscriptions of missing sessions", false},
    {"DELETE FROM qos2 WHERE (key >> 16) NOT IN (SELECT seq FROM session)",
     "QoS 2 ids of missing sessions", false},
    {"DELETE FROM retained WHERE msg NOT IN (SELECT seq FROM msg)",
     "retained topics whose message is missing", false},
    {"UPDATE session SET will_msg = 0 WHERE will_msg != 0"
     " AND will_msg NOT IN (SELECT seq FROM msg)",
     "wills whose message is missing", false},
    {"DELETE FROM msg WHERE seq NOT IN (SELECT msg FROM entry)"
     " AND seq NOT IN (SELECT msg FROM retained) AND seq NOT IN (SELECT will_msg FROM session)",
     "messages nothing refers to", true},
};

int sq_repair(struct sq *q)
{
    int rc = sqlite3_exec(q->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    int changed[sizeof repairs / sizeof repairs[0]] = {0};
    for (size_t i = 0; rc == SQLITE_OK && i < sizeof repairs / sizeof repairs[0]; i++) {
        rc = sqlite3_exec(q->db, repairs[i].sql, NULL, NULL, NULL);
        changed[i] = sqlite3_changes(q->db);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        if (!sqlite3_get_autocommit(q->db))
            sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    for (size_t i = 0; i < sizeof repairs / sizeof repairs[0]; i++) {
        if (changed[i] == 0)
            continue;
        if (repairs[i].orphan)
            log_notice("store: removed %d %s", changed[i], repairs[i].what);
        else
            log_warn("store: removed %d %s", changed[i], repairs[i].what);
    }
    return SQLITE_OK;
}

int sq_max_seq(sqlite3 *db, uint64_t *max)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(db,
                                "SELECT max(ifnull((SELECT max(seq) FROM msg), 0),"
                                " ifnull((SELECT max(seq) FROM session), 0),"
                                " ifnull((SELECT max(seq) FROM entry), 0))",
                                -1, &s, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *max = (uint64_t)sqlite3_column_int64(s, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(s);
    return rc;
}

static struct slice col_blob(sqlite3_stmt *s, int i)
{
    const void *p = sqlite3_column_blob(s, i);
    int n = sqlite3_column_bytes(s, i);
    return n > 0 ? slice_make(p, (size_t)n) : SLICE_NULL;
}

static uint64_t col_u64(sqlite3_stmt *s, int i)
{
    return (uint64_t)sqlite3_column_int64(s, i);
}

static int row_msg(sqlite3_stmt *s, const struct store_load_cbs *cbs, void *arg)
{
    struct store_msg_rec m = {
        .seq = col_u64(s, 0),
        .expiry_ms = col_u64(s, 1),
        .qos = (uint8_t)sqlite3_column_int(s, 2),
        .retain = sqlite3_column_int(s, 3) != 0,
        .topic = col_blob(s, 4),
        .props = col_blob(s, 5),
        .payload = col_blob(s, 6),
    };
    return cbs->msg(arg, &m);
}

static int row_session(sqlite3_stmt *s, const struct store_load_cbs *cbs, void *arg)
{
    struct store_session_rec r = {
        .seq = col_u64(s, 0),
        .expiry_interval = (uint32_t)col_u64(s, 1),
        .will_msg = col_u64(s, 2),
        .will_delay = (uint32_t)col_u64(s, 3),
        .offline_at_ms = col_u64(s, 4),
        .next_pid = (uint16_t)sqlite3_column_int(s, 5),
        .client_id = col_blob(s, 6),
        .has_username = sqlite3_column_type(s, 7) != SQLITE_NULL,
        .username = col_blob(s, 7),
    };
    return cbs->session(arg, &r);
}

static int row_sub(sqlite3_stmt *s, const struct store_load_cbs *cbs, void *arg)
{
    struct store_sub_rec r = {
        .sess = col_u64(s, 0),
        .opts = (uint8_t)sqlite3_column_int(s, 1),
        .sub_id = (uint32_t)col_u64(s, 2),
        .filter = col_blob(s, 3),
    };
    return cbs->sub(arg, &r);
}

static int row_entry(sqlite3_stmt *s, const struct store_load_cbs *cbs, void *arg)
{
    struct store_entry_rec e = {
        .seq = col_u64(s, 0),
        .sess = col_u64(s, 1),
        .msg = col_u64(s, 2),
        .qos = (uint8_t)sqlite3_column_int(s, 3),
        .flags = (uint8_t)sqlite3_column_int(s, 4),
        .state = (uint8_t)sqlite3_column_int(s, 5),
        .pid = (uint16_t)sqlite3_column_int(s, 6),
        .sub_id = (uint32_t)col_u64(s, 7),
    };
    return cbs->entry(arg, &e);
}

static int row_qos2(sqlite3_stmt *s, const struct store_load_cbs *cbs, void *arg)
{
    uint64_t key = col_u64(s, 0);
    return cbs->qos2(arg, key >> 16, (uint16_t)(key & 0xffff));
}

static int row_retain(sqlite3_stmt *s, const struct store_load_cbs *cbs, void *arg)
{
    return cbs->retain(arg, col_blob(s, 0), col_u64(s, 1));
}

typedef int (*row_fn)(sqlite3_stmt *s, const struct store_load_cbs *cbs, void *arg);

/* The tables in load order (store.h: referenced rows first). */
static const struct {
    const char *sql;
    row_fn row;
    size_t cb; /* offset of the callback in struct store_load_cbs */
} tables[] = {
    {"SELECT seq, expiry, qos, retain, topic, props, payload FROM msg ORDER BY seq", row_msg,
     offsetof(struct store_load_cbs, msg)},
    {"SELECT seq, expiry_interval, will_msg, will_delay, offline_at, next_pid, client_id,"
     " username FROM session ORDER BY seq",
     row_session, offsetof(struct store_load_cbs, session)},
    {"SELECT sess, opts, sub_id, filter FROM sub ORDER BY seq", row_sub,
     offsetof(struct store_load_cbs, sub)},
    {"SELECT seq, sess, msg, qos, flags, state, pid, sub_id FROM entry ORDER BY seq", row_entry,
     offsetof(struct store_load_cbs, entry)},
    {"SELECT key FROM qos2 ORDER BY key", row_qos2, offsetof(struct store_load_cbs, qos2)},
    {"SELECT topic, msg FROM retained ORDER BY topic", row_retain,
     offsetof(struct store_load_cbs, retain)},
};

static int load_table(sqlite3 *db, size_t t, const struct store_load_cbs *cbs, void *arg)
{
    if (*(void *const *)((const char *)cbs + tables[t].cb) == NULL)
        return 0;
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(db, tables[t].sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return sq_status(rc) ? sq_status(rc) : -EIO;
    int ret = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if ((ret = tables[t].row(s, cbs, arg)) != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = sq_status(rc) ? sq_status(rc) : -EIO;
    sqlite3_finalize(s);
    return ret;
}

int sq_load(struct store *st, const struct store_load_cbs *cbs, void *arg)
{
    struct sq *q = st->impl;
    if (q->empty)
        return 0;
    pthread_mutex_lock(&q->db_mu);
    /* One read transaction: every table from the same snapshot. */
    int ret = sqlite3_exec(q->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
    for (size_t t = 0; ret == 0 && t < sizeof tables / sizeof tables[0]; t++)
        ret = load_table(q->db, t, cbs, arg);
    if (!sqlite3_get_autocommit(q->db))
        sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL);
    pthread_mutex_unlock(&q->db_mu);
    return ret;
}
