/*
 * test_corrupt.c - src/store/sqlite_open.c: a store file that is not
 * usable (truncated, garbage, failing its check, a schema version we do
 * not know) is renamed to petrel.db.corrupt-<time> with its -wal and -shm,
 * logged at error level, and an empty, working store takes its place;
 * problems that are not the file's content fail the open instead. Also
 * store_check() on good, bad, empty and missing stores.
 */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "helpers.h"
#include "store/store.h"
#include "util/log.h"

struct fixture {
    char *dir;
    char log_path[PATH_MAX];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->dir = th_tmpdir();
    if (f->dir == NULL)
        return -1;
    snprintf(f->log_path, sizeof f->log_path, "%s.log", f->dir);
    int fd = open(f->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    log_set_fd(fd);
    log_set_mask(LOG_MASK_ALL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    log_set_fd(-1);
    log_set_mask(0);
    th_rmtree(f->dir);
    unlink(f->log_path);
    free(f->dir);
    free(f);
    return 0;
}

static char *read_text(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        return strdup("");
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return strdup(buf);
}

static void write_bytes(const char *path, const void *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, p, n), (ssize_t)n);
    close(fd);
}

/* A store with one retained message, closed. */
static void make_store(const char *dir)
{
    struct store st;
    assert_int_equal(th_open(&st, dir, NULL), 0);
    struct store_batch b;
    store_batch_init(&b);
    for (uint64_t i = 1; i <= 200; i++) {
        char topic[32];
        snprintf(topic, sizeof topic, "sensors/%llu", (unsigned long long)i);
        struct store_msg_rec m = {.seq = i,
                                  .topic = slice_cstr(topic),
                                  .payload = SLICE_LIT("21.5 degrees and some more text"),
                                  .qos = 1};
        store_msg_put(&b, &m);
        store_retain_set(&b, slice_cstr(topic), i);
    }
    assert_int_equal(th_commit_wait(&st, &b), 0);
    store_batch_fini(&b);
    store_close(&st);
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

/* Names in dir starting with prefix, not counting -wal and -shm files;
 * returns how many, the first in out. */
static int find_files(const char *dir, const char *prefix, char *out, size_t cap)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && !ends_with(e->d_name, "-wal") &&
            !ends_with(e->d_name, "-shm")) {
            if (n++ == 0 && out)
                snprintf(out, cap, "%s", e->d_name);
        }
    }
    closedir(d);
    return n;
}

/* Opens dir expecting the file to be set aside for a reason containing
 * `why`, then checks the new store is empty and works. */
static void expect_set_aside(struct fixture *f, const char *why)
{
    struct store st;
    assert_int_equal(th_open(&st, f->dir, NULL), 0);
    char *d = th_dump(&st);
    assert_string_equal(d, "");
    free(d);
    char name[256];
    assert_int_equal(find_files(f->dir, "petrel.db.corrupt-", name, sizeof name), 1);
    /* petrel.db.corrupt-YYYYMMDDTHHMMSSZ */
    assert_int_equal(strlen(name), strlen("petrel.db.corrupt-") + 16);
    assert_int_equal(name[strlen(name) - 1], 'Z');
    char *log = read_text(f->log_path);
    assert_non_null(strstr(log, "error: store: "));
    assert_non_null(strstr(log, "is unusable"));
    assert_non_null(strstr(log, name));
    if (strstr(log, why) == NULL)
        fail_msg("log lacks '%s': %s", why, log);
    free(log);
    /* The empty store works. */
    struct store_batch b;
    store_batch_init(&b);
    struct store_msg_rec m = {.seq = 1, .topic = SLICE_LIT("t"), .qos = 1};
    store_msg_put(&b, &m);
    store_retain_set(&b, SLICE_LIT("t"), 1);
    assert_int_equal(th_commit_wait(&st, &b), 0);
    store_batch_fini(&b);
    store_close(&st);
    d = th_dump_dir(f->dir);
    assert_string_equal(d, "msg 1 qos=1 retain=0 expiry=0 topic=74 props= payload=\n"
                           "retain msg=1 topic=74\n");
    free(d);
}

static void test_truncated(void **state)
{
    struct fixture *f = *state;
    make_store(f->dir);
    const char *db = th_path(f->dir, "petrel.db");
    struct stat sb;
    assert_int_equal(stat(db, &sb), 0);
    assert_true(sb.st_size >= 4 * 4096);
    assert_int_equal(truncate(db, sb.st_size / 2), 0);
    expect_set_aside(f, "truncated");
}

static void test_truncated_mid_page(void **state)
{
    struct fixture *f = *state;
    make_store(f->dir);
    const char *db = th_path(f->dir, "petrel.db");
    struct stat sb;
    assert_int_equal(stat(db, &sb), 0);
    assert_int_equal(truncate(db, sb.st_size - 100), 0);
    expect_set_aside(f, "truncated");
}

static void test_garbage(void **state)
{
    struct fixture *f = *state;
    uint8_t junk[8192];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 7 + 3);
    write_bytes(th_path(f->dir, "petrel.db"), junk, sizeof junk);
    expect_set_aside(f, "not an SQLite database");
}

static void test_short_garbage(void **state)
{
    struct fixture *f = *state;
    write_bytes(th_path(f->dir, "petrel.db"), "hello", 5);
    expect_set_aside(f, "not an SQLite database");
}

/* A good header with its b-tree pages overwritten. */
static void test_damaged_pages(void **state)
{
    struct fixture *f = *state;
    make_store(f->dir);
    const char *db = th_path(f->dir, "petrel.db");
    struct stat sb;
    assert_int_equal(stat(db, &sb), 0);
    int fd = open(db, O_WRONLY);
    assert_true(fd >= 0);
    uint8_t junk[4096];
    memset(junk, 0xA5, sizeof junk);
    for (off_t off = 4096; off < sb.st_size; off += 4096)
        assert_int_equal(pwrite(fd, junk, sizeof junk, off), (ssize_t)sizeof junk);
    close(fd);
    expect_set_aside(f, "petrel.db is unusable: ");
}

static void set_meta(const char *dir, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(th_path(dir, "petrel.db"), &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

static void test_newer_schema_version(void **state)
{
    struct fixture *f = *state;
    make_store(f->dir);
    set_meta(f->dir, "UPDATE meta SET value = 2 WHERE key = 'schema_version'");
    expect_set_aside(f, "schema version 2 is newer than this petrel knows (1)");
}

static void test_bad_schema_version(void **state)
{
    struct fixture *f = *state;
    make_store(f->dir);
    set_meta(f->dir, "UPDATE meta SET value = 'one' WHERE key = 'schema_version'");
    expect_set_aside(f, "no valid schema_version");
}

static void test_zero_schema_version(void **state)
{
    struct fixture *f = *state;
    make_store(f->dir);
    set_meta(f->dir, "UPDATE meta SET value = 0 WHERE key = 'schema_version'");
    expect_set_aside(f, "no valid schema_version");
}

static void test_not_a_petrel_store(void **state)
{
    struct fixture *f = *state;
    set_meta(f->dir, "CREATE TABLE people(name TEXT); INSERT INTO people VALUES('x')");
    expect_set_aside(f, "not a Petrel store");
}

static void test_missing_table(void **state)
{
    struct fixture *f = *state;
    make_store(f->dir);
    set_meta(f->dir, "DROP TABLE entry");
    expect_set_aside(f, "tables are not those of schema version 1");
}

/* The -wal and -shm beside a bad file go with it. */
static void test_wal_and_shm_move_too(void **state)
{
    struct fixture *f = *state;
    write_bytes(th_path(f->dir, "petrel.db"), "garbage garbage garbage", 23);
    write_bytes(th_path(f->dir, "petrel.db-wal"), "wal", 3);
    write_bytes(th_path(f->dir, "petrel.db-shm"), "shm", 3);
    expect_set_aside(f, "not an SQLite database");
    char name[256];
    assert_int_equal(find_files(f->dir, "petrel.db.corrupt-", name, sizeof name), 1);
    char wal[300], shm[300];
    snprintf(wal, sizeof wal, "%s-wal", name);
    snprintf(shm, sizeof shm, "%s-shm", name);
    struct stat sb;
    assert_int_equal(stat(th_path(f->dir, wal), &sb), 0);
    assert_int_equal(sb.st_size, 3);
    assert_int_equal(stat(th_path(f->dir, shm), &sb), 0);
    assert_int_equal(sb.st_size, 3);
}

/* Two bad files within one second get different names. */
static void test_second_set_aside_same_second(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 2; i++) {
        write_bytes(th_path(f->dir, "petrel.db"), "garbage", 7);
        struct store st;
        assert_int_equal(th_open(&st, f->dir, NULL), 0);
        store_close(&st);
    }
    assert_int_equal(find_files(f->dir, "petrel.db.corrupt-", NULL, 0), 2);
}

static void test_empty_file_is_a_new_store(void **state)
{
    struct fixture *f = *state;
    write_bytes(th_path(f->dir, "petrel.db"), "", 0);
    char *d = th_dump_dir(f->dir);
    assert_string_equal(d, "");
    free(d);
    assert_int_equal(find_files(f->dir, "petrel.db.corrupt-", NULL, 0), 0);
}

static void test_directory_problems(void **state)
{
    struct fixture *f = *state;
    struct store st;
    char err[512];
    struct store_options opt = {.dir = th_path(f->dir, "file")};
    write_bytes(opt.dir, "x", 1);
    assert_int_equal(store_open(&st, &store_sqlite_ops, &opt, err, sizeof err), -ENOTDIR);
    assert_non_null(strstr(err, "not a directory"));
    char deep[PATH_MAX];
    snprintf(deep, sizeof deep, "%s/no/such/dir", f->dir);
    opt.dir = deep;
    assert_int_equal(store_open(&st, &store_sqlite_ops, &opt, err, sizeof err), -ENOENT);
    assert_non_null(strstr(err, "cannot create the store directory"));
    /* Only the last component missing: created. */
    opt.dir = th_path(f->dir, "data");
    assert_int_equal(store_open(&st, &store_sqlite_ops, &opt, err, sizeof err), 0);
    store_close(&st);
    if (geteuid() != 0) { /* root reads and writes any directory */
        chmod(opt.dir, 0500);
        opt.dir = th_path(f->dir, "data");
        assert_int_equal(store_open(&st, &store_sqlite_ops, &opt, err, sizeof err), -EACCES);
        assert_non_null(strstr(err, "cannot use the store directory"));
        chmod(opt.dir, 0700);
    }
}

static void test_in_use(void **state)
{
    struct fixture *f = *state;
    struct store a, b;
    assert_int_equal(th_open(&a, f->dir, NULL), 0);
    struct store_options opt = {.dir = f->dir};
    char err[512];
    assert_int_equal(store_open(&b, &store_sqlite_ops, &opt, err, sizeof err), -EBUSY);
    assert_non_null(strstr(err, "in use by another process"));
    assert_int_equal(find_files(f->dir, "petrel.db.corrupt-", NULL, 0), 0);
    store_close(&a);
}

static void test_read_only_never_sets_aside(void **state)
{
    struct fixture *f = *state;
    write_bytes(th_path(f->dir, "petrel.db"), "garbage", 7);
    struct store st;
    struct store_options opt = {.dir = f->dir, .read_only = true};
    char err[512];
    assert_int_equal(store_open(&st, &store_sqlite_ops, &opt, err, sizeof err), -EILSEQ);
    assert_non_null(strstr(err, "not an SQLite database"));
    assert_int_equal(find_files(f->dir, "petrel.db.corrupt-", NULL, 0), 0);
    opt.dir = th_path(f->dir, "missing");
    assert_int_equal(store_open(&st, &store_sqlite_ops, &opt, err, sizeof err), -ENOENT);
}

static char *check_output(const char *dir, int *rc)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    *rc = store_check(dir, out);
    fclose(out);
    return text;
}

static void test_check_reports(void **state)
{
    struct fixture *f = *state;
    int rc;
    char *out = check_output(f->dir, &rc);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "there is no store here"));
    free(out);

    make_store(f->dir);
    out = check_output(f->dir, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "schema version: 1\n"));
    assert_non_null(strstr(out, "integrity: ok\n"));
    assert_non_null(strstr(out, "messages: 200 (retained topics 200, wills 0)\n"));
    assert_non_null(strstr(out, "sessions: 0 (offline 0)\n"));
    assert_non_null(strstr(out, "result: OK\n"));
    free(out);

    write_bytes(th_path(f->dir, "petrel.db"), "garbage", 7);
    out = check_output(f->dir, &rc);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "not an SQLite database"));
    assert_non_null(strstr(out, "result: PROBLEMS\n"));
    free(out);
    assert_int_equal(find_files(f->dir, "petrel.db.corrupt-", NULL, 0), 0);

    write_bytes(th_path(f->dir, "petrel.db"), "", 0);
    out = check_output(f->dir, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "an empty store"));
    free(out);
}

static void test_check_in_use(void **state)
{
    struct fixture *f = *state;
    struct store st;
    assert_int_equal(th_open(&st, f->dir, NULL), 0);
    int rc;
    char *out = check_output(f->dir, &rc);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "in use by another process"));
    free(out);
    store_close(&st);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_truncated),
        T(test_truncated_mid_page),
        T(test_garbage),
        T(test_short_garbage),
        T(test_damaged_pages),
        T(test_newer_schema_version),
        T(test_bad_schema_version),
        T(test_zero_schema_version),
        T(test_not_a_petrel_store),
        T(test_missing_table),
        T(test_wal_and_shm_move_too),
        T(test_second_set_aside_same_second),
        T(test_empty_file_is_a_new_store),
        T(test_directory_problems),
        T(test_in_use),
        T(test_read_only_never_sets_aside),
        T(test_check_reports),
        T(test_check_in_use),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
