/*
 * sqlite_open.c - opening the store file: the directory, the checks that
 * decide whether a file is usable, setting an unusable one aside, and the
 * pragmas.
 *
 * Unusable means: not an SQLite database, shorter than its header says
 * (truncated), failing PRAGMA quick_check, or a schema version this build
 * does not know (no meta table, or newer). Such a file is renamed, with
 * its -wal and -shm, to petrel.db.corrupt-YYYYMMDDTHHMMSSZ, the rename is
 * logged at error level, and an empty store takes its place: the broker
 * starts (DESIGN.md: durability contract). Problems that are not the
 * file's content (a directory we cannot use, another process holding the
 * store, I/O errors) fail the open instead: setting aside a good store
 * because of a transient error would lose it.
 *
 * The pragmas, and why:
 *   locking_mode EXCLUSIVE: the broker is the store's only user; holding
 *       the lock for good keeps a second broker off the same file and
 *       lets WAL work without the shared-memory file.
 *   journal_mode WAL: commits append to the log, readers never block.
 *   synchronous: FULL / NORMAL / OFF from persistence_sync.
 *   page_size 8 KiB, the middle of what bench/store_bench.c showed (no
 *       cancellation, one loop thread; instructions per message from
 *       callgrind, throughput with sync FULL on a 2-core VM):
 *                      64-byte payload        1 KiB payload      4 KiB
 *         4 KiB pages  18.6k instr, 310k/s    30.8k, 97k/s       36k/s
 *         8 KiB pages  20.1k instr, 267-310k  30.5k, 106-120k/s  43k/s
 *        16 KiB pages  23.5k instr, 311k/s    32.4k, 142-149k/s  55k/s
 *       Larger pages spare 1-4 KiB payloads their overflow pages (I/O)
 *       but cost CPU on small ones, and the broker's loops share the CPU
 *       with the store thread. Only a new file takes the page size.
 *   cache 8 MiB, wal_autocheckpoint 16 MiB of pages, journal_size_limit
 *       64 MiB: no difference beyond the benchmark's noise for 2 to 64 MiB
 *       of cache or 4 to 64 MiB between checkpoints.
 *   auto_vacuum NONE: deleted rows' pages go to the free list and are
 *       reused by later inserts, so the file stays at its high-water mark
 *       and never grows past it for the same load (see sqlite_thread.c).
 *   max_page_count from persistence_max_size: past it, writes fail with
 *       SQLITE_FULL exactly as on a full disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/sqlite_int.h"
#include "util/log.h"

#define PAGE_SIZE 8192
#define CACHE_KIB 8192
#define WAL_AUTOCHECKPOINT 2048 /* pages: 16 MiB */
#define JOURNAL_SIZE_LIMIT (64 << 20)
#define BUSY_TIMEOUT_MS 1000

/* What a step of the open found. */
enum verdict {
    OPEN_OK = 0,
    OPEN_BAD,  /* the file is unusable: set it aside (why says why) */
    OPEN_FAIL, /* cannot open for another reason (err says why) */
};

struct attempt {
    char why[256];
    int errnum; /* with OPEN_FAIL */
};

static enum verdict fail(struct attempt *a, int errnum, const char *fmt, const char *detail)
{
    a->errnum = errnum;
    snprintf(a->why, sizeof a->why, fmt, detail);
    return OPEN_FAIL;
}

int sq_status(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return 0;
    case SQLITE_FULL:
        return -ENOSPC;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return -EBUSY;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
        return -EACCES;
    case SQLITE_NOMEM:
        return -ENOMEM;
    default:
        return -EIO;
    }
}

/* Sorts an SQLite failure: content problems make the file unusable, the
 * rest fail the open. */
static enum verdict classify(struct attempt *a, sqlite3 *db, int rc)
{
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    int primary = rc & 0xff;
    if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT || primary == SQLITE_FORMAT) {
        snprintf(a->why, sizeof a->why, "SQLite says: %s", msg);
        return OPEN_BAD;
    }
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
        return fail(a, EBUSY,
                    "it is in use by another process (%s); is another petrel "
                    "running on it?",
                    msg);
    return fail(a, -sq_status(rc), "%s", msg);
}

/* Checks dir, creating it when it is missing but its parent exists. */
static int ensure_dir(const char *dir, bool create, char *err, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno == ENOENT && create && mkdir(dir, 0700) == 0)
            return 0;
        int e = errno;
        snprintf(err, errlen, "%s: cannot %s the store directory: %s", dir,
                 errno == ENOENT && create ? "create" : "use", strerror(e));
        return -e;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: not a directory (persistence_location must name one)", dir);
        return -ENOTDIR;
    }
    int mode = create ? (R_OK | W_OK | X_OK) : (R_OK | X_OK);
    if (access(dir, mode) != 0) {
        int e = errno;
        snprintf(err, errlen, "%s: cannot use the store directory: %s", dir, strerror(e));
        return -e;
    }
    return 0;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Judges the file from its first 100 bytes and its size: SQLite itself
 * reads past the end of a truncated file as zeros and may not notice. */
static enum verdict check_header(const char *path, const struct stat *st, struct attempt *a)
{
    uint8_t h[100];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(a, errno, "cannot read it: %s", strerror(errno));
    ssize_t n = pread(fd, h, sizeof h, 0);
    int e = errno;
    close(fd);
    if (n < 0)
        return fail(a, e, "cannot read it: %s", strerror(e));
    if (n < (ssize_t)sizeof h || memcmp(h, "SQLite format 3", 16) != 0) {
        snprintf(a->why, sizeof a->why, "it is not an SQLite database (%s)",
                 n < (ssize_t)sizeof h ? "shorter than a header" : "no SQLite header");
        return OPEN_BAD;
    }
    uint32_t page = (uint32_t)h[16] << 8 | h[17];
    if (page == 1)
        page = 65536;
    /* The header's page count is valid only when its change counter
     * matches the "version valid for" field. */
    uint64_t pages = be32(h + 24) == be32(h + 92) ? be32(h + 28) : 0;
    if (page < 512 || (page & (page - 1)) != 0) {
        snprintf(a->why, sizeof a->why, "its header has an invalid page size (%u)", page);
        return OPEN_BAD;
    }
    if ((uint64_t)st->st_size < pages * page || st->st_size % page != 0) {
        snprintf(a->why, sizeof a->why, "it is truncated (%lld bytes; its header says %llu)",
                 (long long)st->st_size, (unsigned long long)(pages * page));
        return OPEN_BAD;
    }
    return OPEN_OK;
}

static enum verdict check_file(const struct sq *q, struct attempt *a)
{
    struct stat st;
    if (stat(q->path, &st) != 0) {
        if (errno == ENOENT && !q->opt.read_only)
            return OPEN_OK; /* a new store */
        if (errno == ENOENT)
            return fail(a, ENOENT, "%s",
                        "there is no store here (petrel creates " STORE_FILE_NAME
                        " when it starts with persistence true)");
        return fail(a, errno, "%s", strerror(errno));
    }
    if (!S_ISREG(st.st_mode))
        return fail(a, EINVAL, "%s", "it is not a regular file");
    return st.st_size == 0 ? OPEN_OK : check_header(q->path, &st, a);
}

static int exec_pragma(sqlite3 *db, const char *fmt, long long v)
{
    char sql[128];
    snprintf(sql, sizeof sql, fmt, v);
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* Runs a pragma that answers with one text row; copies it into out. */
static int pragma_text(sqlite3 *db, const char *sql, char *out, size_t cap)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(s, 0);
        snprintf(out, cap, "%s", t ? (const char *)t : "");
        rc = SQLITE_OK;
    }
    sqlite3_finalize(s);
    return rc;
}

static int set_pragmas(const struct sq *q)
{
    static const char *const sync_words[] = {"FULL", "NORMAL", "OFF"};
    sqlite3 *db = q->db;
    char mode[16];
    int rc = sqlite3_exec(db, "PRAGMA locking_mode=EXCLUSIVE", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = exec_pragma(db, "PRAGMA page_size=%lld", PAGE_SIZE);
    if (rc == SQLITE_OK)
        rc = pragma_text(db, "PRAGMA journal_mode=WAL", mode, sizeof mode);
    if (rc == SQLITE_OK && strcmp(mode, "wal") != 0)
        rc = SQLITE_IOERR; /* WAL is refused only where it cannot work */
    if (rc == SQLITE_OK) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA synchronous=%s", sync_words[q->opt.sync % 3]);
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK)
        rc = exec_pragma(db, "PRAGMA wal_autocheckpoint=%lld", WAL_AUTOCHECKPOINT);
    if (rc == SQLITE_OK)
        rc = exec_pragma(db, "PRAGMA journal_size_limit=%lld", JOURNAL_SIZE_LIMIT);
    if (rc == SQLITE_OK)
        rc = exec_pragma(db, "PRAGMA cache_size=%lld", -CACHE_KIB);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL);
    return rc;
}

/* persistence_max_size as pages of the file's own size (an older file
 * may have another); SQLite keeps at least the current size. */
static int set_max_size(const struct sq *q)
{
    if (q->opt.max_size == 0)
        return SQLITE_OK;
    char text[32];
    int rc = pragma_text(q->db, "PRAGMA page_size", text, sizeof text);
    long long page = rc == SQLITE_OK ? atoll(text) : 0;
    if (page <= 0)
        return rc == SQLITE_OK ? SQLITE_ERROR : rc;
    long long pages = (long long)(q->opt.max_size / (uint64_t)page);
    return exec_pragma(q->db, "PRAGMA max_page_count=%lld", pages > 0 ? pages : 1);
}

static enum verdict quick_check(sqlite3 *db, struct attempt *a)
{
    char first[200];
    int rc = pragma_text(db, "PRAGMA quick_check(1)", first, sizeof first);
    if (rc != SQLITE_OK)
        return classify(a, db, rc);
    if (strcmp(first, "ok") != 0) {
        snprintf(a->why, sizeof a->why, "it fails PRAGMA quick_check: %s", first);
        return OPEN_BAD;
    }
    return OPEN_OK;
}

static enum verdict open_connection(struct sq *q, struct attempt *a)
{
    int flags =
        SQLITE_OPEN_NOMUTEX |
        (q->opt.read_only ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    int rc = sqlite3_open_v2(q->path, &q->db, flags, NULL);
    if (rc != SQLITE_OK && q->opt.read_only) {
        /* A tool on a store it may not write: read it as it is. */
        sqlite3_close(q->db);
        rc = sqlite3_open_v2(q->path, &q->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    }
    if (rc != SQLITE_OK)
        return classify(a, q->db, rc);
    sqlite3_busy_timeout(q->db, BUSY_TIMEOUT_MS);
    if (q->opt.read_only)
        rc = sqlite3_exec(q->db, "PRAGMA query_only=1", NULL, NULL, NULL);
    else
        rc = set_pragmas(q);
    /* Take the write lock now (held for good in exclusive mode), so a
     * store in use is reported here and not at the first commit. */
    if (rc == SQLITE_OK && !q->opt.read_only)
        rc = sqlite3_exec(q->db, "BEGIN IMMEDIATE; COMMIT", NULL, NULL, NULL);
    return rc == SQLITE_OK ? OPEN_OK : classify(a, q->db, rc);
}

static enum verdict check_schema(struct sq *q, struct attempt *a)
{
    int version = 0;
    int rc = sq_schema_version(q->db, &version, a->why, sizeof a->why);
    if (rc == 1)
        return OPEN_BAD;
    q->empty = rc == 0 && version == 0 && q->opt.read_only;
    if (q->empty)
        return OPEN_OK; /* a file with no tables yet holds nothing to read */
    if (rc == 0 && version != SQ_SCHEMA_VERSION && q->opt.read_only)
        return fail(a, EROFS, "%s",
                    "its schema version is older than this petrel's; start "
                    "petrel on it once to upgrade it");
    if (rc == 0 && !q->opt.read_only)
        rc = sq_schema_migrate(q->db, version, a->why, sizeof a->why);
    if (rc != 0)
        return classify(a, q->db, -rc);
    rc = sq_schema_prepare(q->db, q->stmt);
    if (rc == SQLITE_ERROR) {
        snprintf(a->why, sizeof a->why, "its tables are not those of schema version %d (%s)",
                 SQ_SCHEMA_VERSION, sqlite3_errmsg(q->db));
        return OPEN_BAD;
    }
    if (rc == SQLITE_OK)
        rc = set_max_size(q);
    return rc == SQLITE_OK ? OPEN_OK : classify(a, q->db, rc);
}

static enum verdict try_open(struct sq *q, struct attempt *a)
{
    enum verdict v = check_file(q, a);
    if (v == OPEN_OK)
        v = open_connection(q, a);
    if (v == OPEN_OK)
        v = quick_check(q->db, a);
    if (v == OPEN_OK)
        v = check_schema(q, a);
    if (v != OPEN_OK)
        sq_db_close(q);
    return v;
}

static void rename_if_there(const char *from, const char *to)
{
    if (rename(from, to) != 0 && errno != ENOENT)
        log_error("store: cannot move %s to %s: %s", from, to, strerror(errno));
}

/* Renames path (and its -wal and -shm) to path.corrupt-<UTC time>. */
static int set_aside(const char *path, const char *why, char *err, size_t errlen)
{
    char stamp[32], target[4096], from[4096], to[4096];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(target, sizeof target, "%s.corrupt-%s", path, stamp);
    for (int i = 2; access(target, F_OK) == 0 && i < 100; i++)
        snprintf(target, sizeof target, "%s.corrupt-%s-%d", path, stamp, i);
    if (rename(path, target) != 0 && errno != ENOENT) {
        int e = errno;
        snprintf(err, errlen, "%s is unusable (%s) and cannot be moved aside: %s", path, why,
                 strerror(e));
        return -e;
    }
    static const char *const sfx[] = {"-wal", "-shm"};
    for (int i = 0; i < 2; i++) {
        snprintf(from, sizeof from, "%s%s", path, sfx[i]);
        snprintf(to, sizeof to, "%s%s", target, sfx[i]);
        rename_if_there(from, to);
    }
    log_error("store: %s is unusable: %s. Moved it aside to %s and started with an EMPTY "
              "store: sessions, queued and retained messages in it are not loaded",
              path, why, target);
    return 0;
}

int sq_db_open(struct sq *q, char *err, size_t errlen)
{
    int rc = ensure_dir(q->dir, !q->opt.read_only, err, errlen);
    if (rc != 0)
        return rc;
    struct attempt a = {.why = "", .errnum = EIO};
    enum verdict v = try_open(q, &a);
    if (v == OPEN_BAD && q->opt.read_only) {
        snprintf(err, errlen, "%s: unusable: %s", q->path, a.why);
        return -EILSEQ;
    }
    if (v == OPEN_BAD) {
        if ((rc = set_aside(q->path, a.why, err, errlen)) != 0)
            return rc;
        v = try_open(q, &a);
    }
    if (v != OPEN_OK) {
        snprintf(err, errlen, "%s: %s", q->path, a.why);
        return v == OPEN_FAIL ? -a.errnum : -EIO;
    }
    return 0;
}

void sq_db_close(struct sq *q)
{
    for (int i = 0; i < SQ_STMT_COUNT; i++) {
        sqlite3_finalize(q->stmt[i]);
        q->stmt[i] = NULL;
    }
    sqlite3_close(q->db);
    q->db = NULL;
}
