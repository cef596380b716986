/*
 * sqlite_check.c - `petrel store check`: what an operator wants to know
 * about a store file.
 *
 * It opens the store read-only (nothing is created, set aside or repaired;
 * SQLite may still fold the log a crashed broker left into the file, as
 * any open does; a store a running broker holds is reported as in use),
 * runs the full PRAGMA
 * integrity_check, and counts the rows. Rows that point at missing rows
 * are reported but are not problems: they are what a crash between two
 * threads' commits leaves, and the next start removes them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "store/sqlite_int.h"

#define INTEGRITY_LINES 10

/* The integer the query's first column gives, or -1 on error. */
static long long query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s;
    long long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

static void report_file(const struct sq *q, FILE *out)
{
    char wal[4200];
    snprintf(wal, sizeof wal, "%s-wal", q->path);
    fprintf(out, "  file: %lld bytes, %lld pages of %lld bytes, %lld free; WAL: %lld bytes\n",
            file_size(q->path), query_int(q->db, "PRAGMA page_count"),
            query_int(q->db, "PRAGMA page_size"), query_int(q->db, "PRAGMA freelist_count"),
            file_size(wal));
}

/* Prints the integrity check's findings; returns how many there were. */
static int report_integrity(sqlite3 *db, FILE *out)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check(10)", -1, &s, NULL);
    if (rc != SQLITE_OK) {
        fprintf(out, "  integrity: cannot run the check: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    int problems = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(s, 0);
        if (t && strcmp(t, "ok") == 0)
            break;
        if (problems++ < INTEGRITY_LINES)
            fprintf(out, "  integrity: %s\n", t ? t : "?");
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        fprintf(out, "  integrity: the check failed: %s\n", sqlite3_errmsg(db));
        problems++;
    }
    sqlite3_finalize(s);
    if (problems == 0)
        fprintf(out, "  integrity: ok\n");
    return problems;
}

static void report_counts(sqlite3 *db, FILE *out)
{
    fprintf(out, "  messages: %lld (retained topics %lld, wills %lld)\n",
            query_int(db, "SELECT count(*) FROM msg"),
            query_int(db, "SELECT count(*) FROM retained"),
            query_int(db, "SELECT count(*) FROM session WHERE will_msg != 0"));
    fprintf(out, "  sessions: %lld (offline %lld)\n", query_int(db, "SELECT count(*) FROM session"),
            query_int(db, "SELECT count(*) FROM session WHERE offline_at != 0"));
    fprintf(out, "  subscriptions: %lld\n", query_int(db, "SELECT count(*) FROM sub"));
    fprintf(
        out,
        "  queue entries: %lld (queued %lld, awaiting PUBACK %lld, PUBREC %lld, PUBCOMP %lld)\n",
        query_int(db, "SELECT count(*) FROM entry"),
        query_int(db, "SELECT count(*) FROM entry WHERE state = 0"),
        query_int(db, "SELECT count(*) FROM entry WHERE state = 1"),
        query_int(db, "SELECT count(*) FROM entry WHERE state = 2"),
        query_int(db, "SELECT count(*) FROM entry WHERE state = 3"));
    fprintf(out, "  QoS 2 ids awaiting PUBREL: %lld\n", query_int(db, "SELECT count(*) FROM qos2"));
}

static void report_dangling(sqlite3 *db, FILE *out)
{
    long long entries = query_int(db, "SELECT count(*) FROM entry WHERE sess NOT IN (SELECT seq "
                                      "FROM session) OR (msg != 0 AND msg NOT IN (SELECT seq FROM "
                                      "msg))");
    long long others = query_int(db, "SELECT (SELECT count(*) FROM sub WHERE sess NOT IN (SELECT "
                                     "seq FROM session)) + (SELECT count(*) FROM retained WHERE "
                                     "msg NOT IN (SELECT seq FROM msg))");
    long long orphans = query_int(db, "SELECT count(*) FROM msg WHERE seq NOT IN (SELECT msg FROM "
                                      "entry) AND seq NOT IN (SELECT msg FROM retained) AND seq "
                                      "NOT IN (SELECT will_msg FROM session)");
    if (entries > 0 || others > 0 || orphans > 0)
        fprintf(out,
                "  note: %lld entries and %lld other rows point at missing rows, %lld messages "
                "are unreferenced; the next start removes them\n",
                entries, others, orphans);
}

int store_check(const char *dir, FILE *out)
{
    struct store st;
    struct store_options opt = {.dir = dir, .read_only = true};
    char err[512] = "";
    fprintf(out, "store: %s/%s\n", dir && *dir ? dir : ".", STORE_FILE_NAME);
    int rc = store_open(&st, &store_sqlite_ops, &opt, err, sizeof err);
    if (rc != 0) {
        fprintf(out, "  problem: %s\n", err);
        if (rc == -EILSEQ)
            fprintf(out, "  (petrel moves such a file aside and starts empty)\n");
        fprintf(out, "result: PROBLEMS\n");
        return 1;
    }
    struct sq *q = st.impl;
    report_file(q, out);
    int problems = 0;
    if (q->empty) {
        fprintf(out, "  schema version: none yet (an empty store)\n");
    } else {
        fprintf(out, "  schema version: %d\n", SQ_SCHEMA_VERSION);
        problems = report_integrity(q->db, out);
        report_counts(q->db, out);
        report_dangling(q->db, out);
    }
    store_close(&st);
    fprintf(out, "result: %s\n", problems ? "PROBLEMS" : "OK");
    return problems ? 1 : 0;
}
