/*
 * sqlite_schema.c - the tables of the store, their version and the
 * migrations between versions.
 *
 * The version lives in the `meta` table (schema_version). A file with no
 * tables is new (version 0). Opening runs every migration from the file's
 * version up to SQ_SCHEMA_VERSION in one transaction; a version newer than
 * this build knows, or a file without our meta table, is not ours to guess
 * about, and the caller sets it aside. Adding a version: append a row to
 * migrations[] whose function turns version N-1 into N, and bump
 * SQ_SCHEMA_VERSION; never edit an existing step.
 *
 * The layout follows what is fast in SQLite: every table the hot path
 * writes is a rowid table keyed by a sequence the broker allocates, so
 * inserts append at the right edge of the b-tree and deletes are one
 * lookup. QoS 2 ids use session << 16 | packet id as their rowid for the
 * same reason. Small columns come first and payloads last, so reading a
 * row's header fields never walks a payload's overflow pages.
 *
 * Two omissions are deliberate, both measured with bench/store_bench.c
 * under callgrind (instructions per stored QoS 1 message):
 *   - no NOT NULL constraints: a constraint that may abort a statement
 *     makes SQLite open a statement journal for every INSERT OR REPLACE
 *     inside our multi-statement transactions (-19% without them; the
 *     store writes every column itself, so they guard nothing);
 *   - no index on entry(sess): maintaining it costs 31% more per message
 *     that reaches the table. Entries are deleted one by one by the broker,
 *     which holds them; a session's deletion therefore does not cascade to
 *     its entries, and the repair at open removes any left behind
 *     (sqlite_load.c).
 */
#include <stdio.h>
#include <string.h>

#include "store/sqlite_int.h"

static const char schema_v1[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
    "CREATE TABLE msg(seq INTEGER PRIMARY KEY, expiry INTEGER, qos INTEGER,"
    " retain INTEGER, topic BLOB, props BLOB, payload BLOB);"
    "CREATE TABLE session(seq INTEGER PRIMARY KEY, expiry_interval INTEGER,"
    " will_msg INTEGER, will_delay INTEGER, offline_at INTEGER,"
    " next_pid INTEGER, client_id BLOB, username BLOB);"
    "CREATE TABLE sub(seq INTEGER PRIMARY KEY, sess INTEGER, opts INTEGER,"
    " sub_id INTEGER, filter BLOB);"
    "CREATE UNIQUE INDEX sub_key ON sub(sess, filter);"
    "CREATE TABLE entry(seq INTEGER PRIMARY KEY, sess INTEGER, msg INTEGER,"
    " qos INTEGER, flags INTEGER, state INTEGER,"
    " pid INTEGER, sub_id INTEGER);"

    "CREATE TABLE qos2(key INTEGER PRIMARY KEY);"
    "CREATE TABLE retained(topic BLOB PRIMARY KEY, msg INTEGER) WITHOUT ROWID;"
    "INSERT INTO meta VALUES('application', 'petrel');";

static int create_v1(sqlite3 *db)
{
    return sqlite3_exec(db, schema_v1, NULL, NULL, NULL);
}

struct migration {
    int from;         /* turns version `from` into `from + 1` */
    const char *what; /* for the log */
    int (*run)(sqlite3 *db);
};

static const struct migration migrations[] = {
    {0, "create the tables", create_v1},
};

/* The statements of enum sq_stmt, in its order. */
static const char *const stmt_sql[SQ_STMT_COUNT] = {
    [SQ_BEGIN] = "BEGIN IMMEDIATE",
    [SQ_COMMIT] = "COMMIT",
    [SQ_ROLLBACK] = "ROLLBACK",
    [SQ_MSG_PUT] = "INSERT OR REPLACE INTO msg(seq, expiry, qos, retain, topic, props, payload)"
                   " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [SQ_MSG_DEL] = "DELETE FROM msg WHERE seq = ?1",
    [SQ_RETAIN_SET] = "INSERT OR REPLACE INTO retained(topic, msg) VALUES(?1, ?2)",
    [SQ_RETAIN_DEL] = "DELETE FROM retained WHERE topic = ?1",
    [SQ_SESSION_PUT] = "INSERT OR REPLACE INTO session(seq, expiry_interval, will_msg, will_delay,"
                       " offline_at, next_pid, client_id, username)"
                       " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [SQ_SESSION_DEL] = "DELETE FROM session WHERE seq = ?1",
    [SQ_SESSION_DEL_SUBS] = "DELETE FROM sub WHERE sess = ?1",
    [SQ_SESSION_DEL_QOS2] = "DELETE FROM qos2 WHERE key BETWEEN ?1 AND ?2",
    [SQ_SUB_PUT] = "INSERT OR REPLACE INTO sub(sess, opts, sub_id, filter) VALUES(?1, ?2, ?3, ?4)",
    [SQ_SUB_DEL] = "DELETE FROM sub WHERE sess = ?1 AND filter = ?2",
    [SQ_ENTRY_PUT] = "INSERT OR REPLACE INTO entry(seq, sess, msg, qos, flags, state, pid, sub_id)"
                     " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [SQ_ENTRY_UPDATE] = "UPDATE entry SET state = ?2, pid = ?3 WHERE seq = ?1",
    [SQ_ENTRY_DEL] = "DELETE FROM entry WHERE seq = ?1",
    [SQ_QOS2_PUT] = "INSERT OR REPLACE INTO qos2(key) VALUES(?1)",
    [SQ_QOS2_DEL] = "DELETE FROM qos2 WHERE key = ?1",
};

static int count_tables(sqlite3 *db, int *n)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &s, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *n = sqlite3_column_int(s, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(s);
    return rc;
}

int sq_schema_version(sqlite3 *db, int *version, char *why, size_t cap)
{
    int tables = 0, rc = count_tables(db, &tables);
    if (rc != SQLITE_OK)
        return -rc;
    *version = 0;
    if (tables == 0)
        return 0;
    sqlite3_stmt *s;
    rc =
        sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &s, NULL);
    if (rc == SQLITE_ERROR) {
        snprintf(why, cap, "it has tables but no meta table: not a Petrel store");
        return 1;
    }
    if (rc != SQLITE_OK)
        return -rc;
    rc = sqlite3_step(s);
    int type = rc == SQLITE_ROW ? sqlite3_column_type(s, 0) : SQLITE_NULL;
    sqlite3_int64 v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return -rc;
    if (type != SQLITE_INTEGER || v < 1) {
        snprintf(why, cap, "its meta table has no valid schema_version");
        return 1;
    }
    if (v > SQ_SCHEMA_VERSION) {
        snprintf(why, cap, "its schema version %lld is newer than this petrel knows (%d)",
                 (long long)v, SQ_SCHEMA_VERSION);
        return 1;
    }
    *version = (int)v;
    return 0;
}

static int set_version(sqlite3 *db, int version)
{
    char sql[96];
    snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO meta VALUES('schema_version', %d)", version);
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

int sq_schema_migrate(sqlite3 *db, int version, char *why, size_t cap)
{
    if (version == SQ_SCHEMA_VERSION)
        return 0;
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    for (size_t i = 0; rc == SQLITE_OK && i < sizeof migrations / sizeof migrations[0]; i++) {
        if (migrations[i].from != version)
            continue;
        rc = migrations[i].run(db);
        if (rc == SQLITE_OK)
            rc = set_version(db, ++version);
        if (rc != SQLITE_OK)
            snprintf(why, cap, "schema step '%s' (to version %d): %s", migrations[i].what, version,
                     sqlite3_errmsg(db));
    }
    if (rc == SQLITE_OK && version != SQ_SCHEMA_VERSION) {
        snprintf(why, cap, "no migration from schema version %d", version);
        rc = SQLITE_ERROR;
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        if (!sqlite3_get_autocommit(db))
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -rc;
    }
    return 0;
}

int sq_schema_prepare(sqlite3 *db, sqlite3_stmt **stmt)
{
    for (int i = 0; i < SQ_STMT_COUNT; i++) {
        int rc = sqlite3_prepare_v3(db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &stmt[i], NULL);
        if (rc != SQLITE_OK) {
            for (int j = 0; j < i; j++) {
                sqlite3_finalize(stmt[j]);
                stmt[j] = NULL;
            }
            return rc;
        }
    }
    return SQLITE_OK;
}
