/*
 * test_store_tool.c - src/app/store_*.c: where a config's store lives,
 * opening it, and export -> import into a fresh directory reproducing the
 * same load; what import refuses (not an export, a newer version, a bad
 * line, a truncated file, a store that is not empty) and that a refused
 * import leaves the target as it was.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "../store/helpers.h"
#include "app/store_tool.h"
#include "util/log.h"

struct fixture {
    char *tmp;
    char src[512], dst[512];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->tmp = th_tmpdir();
    if (f->tmp == NULL)
        return -1;
    snprintf(f->src, sizeof f->src, "%s/src", f->tmp);
    snprintf(f->dst, sizeof f->dst, "%s/dst", f->tmp);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    th_rmtree(f->tmp);
    free(f->tmp);
    free(f);
    return 0;
}

/* A store using every kind of row, odd bytes included. */
static void make_source(const char *dir)
{
    static const uint8_t bad_utf8[] = {'t', 0xff, '/', 0}; /* not UTF-8, has NUL */
    static const uint8_t payload[] = {0, 1, 2, 3, 0xfe, 0xff, '\n', '"'};
    struct store st;
    assert_int_equal(th_open(&st, dir, NULL), 0);
    struct store_batch b;
    store_batch_init(&b);
    struct store_msg_rec m1 = {.seq = 1,
                               .topic = SLICE_LIT("caf\xc3\xa9/\"quoted\"\\\n"),
                               .payload = slice_make(payload, sizeof payload),
                               .props = SLICE_LIT("\x26\x00\x01k\x00\x01v"),
                               .qos = 2,
                               .retain = true,
                               .expiry_ms = 4102444800000ull};
    struct store_msg_rec m2 = {.seq = 2, .topic = slice_make(bad_utf8, sizeof bad_utf8), .qos = 1};
    struct store_msg_rec will = {
        .seq = 3, .topic = SLICE_LIT("will"), .payload = SLICE_LIT("bye"), .qos = 1};
    store_msg_put(&b, &m1);
    store_msg_put(&b, &m2);
    store_msg_put(&b, &will);
    struct store_session_rec s1 = {.seq = 10,
                                   .client_id = SLICE_LIT("sensor-1"),
                                   .has_username = true,
                                   .username = SLICE_LIT("alice"),
                                   .expiry_interval = UINT32_MAX,
                                   .will_msg = 3,
                                   .will_delay = 5,
                                   .offline_at_ms = 1700000000000ull,
                                   .next_pid = 65535};
    struct store_session_rec s2 = {.seq = 11, .client_id = slice_make(bad_utf8, 3)};
    store_session_put(&b, &s1);
    store_session_put(&b, &s2);
    struct store_sub_rec sub = {
        .sess = 10, .filter = SLICE_LIT("caf\xc3\xa9/#"), .opts = 0x2a, .sub_id = 268435455};
    store_sub_put(&b, &sub);
    struct store_entry_rec e1 = {.seq = 20,
                                 .sess = 10,
                                 .msg = 1,
                                 .qos = 2,
                                 .flags = 1,
                                 .state = STORE_ENTRY_WAIT_PUBREC,
                                 .pid = 65535,
                                 .sub_id = 9};
    struct store_entry_rec e2 = {.seq = 21, .sess = 11, .msg = 2, .qos = 1};
    struct store_entry_rec e3 = {
        .seq = 22, .sess = 10, .msg = 0, .qos = 2, .state = STORE_ENTRY_WAIT_PUBCOMP, .pid = 7};
    store_entry_put(&b, &e1);
    store_entry_put(&b, &e2);
    store_entry_put(&b, &e3);
    store_qos2_put(&b, 10, 1);
    store_qos2_put(&b, 11, 65535);
    store_retain_set(&b, m1.topic, 1);
    store_retain_set(&b, slice_make(bad_utf8, sizeof bad_utf8), 2);
    assert_int_equal(th_commit_wait(&st, &b), 0);
    store_batch_fini(&b);
    store_close(&st);
}

static char *export_text(const char *dir, struct app_store_counts *c)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    char err[512];
    int rc = app_store_export(dir, out, c, err, sizeof err);
    fclose(out);
    if (rc != 0)
        fail_msg("export: %s", err);
    return text;
}

static int import_text(const char *dir, const char *text, char *err, size_t errlen)
{
    FILE *in = fmemopen((void *)text, strlen(text), "r");
    struct app_store_counts c;
    int rc = app_store_import(dir, in, "in.jsonl", &c, err, errlen);
    fclose(in);
    return rc;
}

static void test_export_import_round_trip(void **state)
{
    struct fixture *f = *state;
    make_source(f->src);
    struct app_store_counts c;
    char *text = export_text(f->src, &c);
    assert_int_equal(c.msgs, 3);
    assert_int_equal(c.sessions, 2);
    assert_int_equal(c.subs, 1);
    assert_int_equal(c.entries, 3);
    assert_int_equal(c.qos2, 2);
    assert_int_equal(c.retained, 2);
    assert_true(strncmp(text, "{\"format\":\"petrel-store-export\",\"version\":1,", 44) == 0);
    assert_non_null(strstr(text, "\"topic\":\"caf\xc3\xa9/\\\"quoted\\\"\\\\\\n\""));
    assert_non_null(strstr(text, "\"topic_b64\":\"dP8vAA==\""));
    assert_non_null(strstr(text, "\"expiry\":4102444800000"));
    assert_non_null(strstr(text, "\"username\":null"));
    assert_non_null(strstr(text, "{\"type\":\"end\",\"rows\":13}\n"));

    char err[512];
    assert_int_equal(import_text(f->dst, text, err, sizeof err), 0);
    char *a = th_dump_dir(f->src), *b = th_dump_dir(f->dst);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a, b);
    /* The import leaves only the store behind. */
    DIR *dir = opendir(f->dst);
    struct dirent *e;
    while ((e = readdir(dir)) != NULL)
        assert_null(strstr(e->d_name, ".petrel-import-"));
    closedir(dir);
    /* Exporting the copy gives the same rows. */
    char *again = export_text(f->dst, &c);
    assert_string_equal(strchr(again, '\n'), strchr(text, '\n'));
    free(a);
    free(b);
    free(text);
    free(again);
}

static void test_import_refuses_bad_input(void **state)
{
    struct fixture *f = *state;
    static const char hdr[] = "{\"format\":\"petrel-store-export\",\"version\":1}\n";
    static const struct {
        const char *text;
        const char *want;
    } cases[] = {
        {"", "in.jsonl:0: empty input"},
        {"hello\n", "in.jsonl:1: not a JSON object"},
        {"{\"format\":\"other\"}\n", "in.jsonl:1: not a Petrel store export"},
        {"{\"format\":\"petrel-store-export\",\"version\":2}\n",
         "in.jsonl:1: export format version 2; this petrel reads version 1"},
        {"HDR{\"type\":\"msg\",\"seq\":1}\n", "in.jsonl:2: 'qos' is missing or not a number"},
        {"HDR{\"type\":\"msg\",\"seq\":-1}\n", "in.jsonl:2: 'seq' must be a whole number"},
        {"HDR{\"type\":\"msg\",\"seq\":1.5}\n", "in.jsonl:2: 'seq' must be a whole number"},
        {"HDR{\"type\":\"qos2\",\"session\":1,\"pid\":65536}\n", "in.jsonl:2: 'pid' must be"},
        {"HDR{\"type\":\"msg\",\"seq\":1,\"qos\":1,\"expiry\":0,\"retain\":false,\"topic\":\"t\","
         "\"props\":\"\",\"payload\":\"!!\"}\n",
         "in.jsonl:2: 'payload' is not base64"},
        {"HDR{\"type\":\"sub\",\"session\":1,\"opts\":0,\"sub_id\":0}\n",
         "in.jsonl:2: 'filter' is missing or not a string"},
        {"HDR{\"type\":\"table\"}\n", "in.jsonl:2: unknown row type 'table'"},
        {"HDR{\"type\":\"qos2\",\"session\":1,\"pid\":2}\n",
         "in.jsonl:2: the input ends without its end line: the export is truncated"},
        {"HDR{\"type\":\"end\",\"rows\":3}\n", "in.jsonl:2: the end line counts 3 rows"},
        {"HDR{\"type\":\"end\",\"rows\":0}\n{\"type\":\"end\",\"rows\":0}\n",
         "in.jsonl:3: a row after the end line"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[1024], err[512] = "";
        const char *t = cases[i].text;
        if (strncmp(t, "HDR", 3) == 0)
            snprintf(text, sizeof text, "%s%s", hdr, t + 3);
        else
            snprintf(text, sizeof text, "%s", t);
        assert_int_equal(import_text(f->dst, text, err, sizeof err), -1);
        if (strstr(err, cases[i].want) == NULL)
            fail_msg("case %zu: want '%s', got '%s'", i, cases[i].want, err);
        /* Nothing was installed. */
        assert_int_equal(access(th_path(f->dst, "petrel.db"), F_OK), -1);
    }
    /* An export with only the header and trailer makes an empty store. */
    char text[256], err[512];
    snprintf(text, sizeof text, "%s{\"type\":\"end\",\"rows\":0}\n", hdr);
    assert_int_equal(import_text(f->dst, text, err, sizeof err), 0);
    char *d = th_dump_dir(f->dst);
    assert_string_equal(d, "");
    free(d);
}

static void test_import_needs_empty_store(void **state)
{
    struct fixture *f = *state;
    make_source(f->src);
    struct app_store_counts c;
    char *text = export_text(f->src, &c);
    char err[512];
    assert_int_equal(import_text(f->src, text, err, sizeof err), -1);
    assert_non_null(strstr(err, "already holds 13 rows; import only fills an empty store"));
    /* Into an empty existing store it works. */
    struct store st;
    assert_int_equal(th_open(&st, f->dst, NULL), 0);
    store_close(&st);
    assert_int_equal(import_text(f->dst, text, err, sizeof err), 0);
    char *a = th_dump_dir(f->src), *b = th_dump_dir(f->dst);
    assert_string_equal(a, b);
    free(a);
    free(b);
    free(text);
}

static void test_export_refuses_missing_or_bad_store(void **state)
{
    struct fixture *f = *state;
    struct app_store_counts c;
    char err[512];
    FILE *out = fopen("/dev/null", "w");
    assert_int_equal(app_store_export(f->src, out, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot use the store directory: No such file or directory"));
    mkdir(f->src, 0700);
    assert_int_equal(app_store_export(f->src, out, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "there is no store here"));
    FILE *g = fopen(th_path(f->src, "petrel.db"), "w");
    fputs("garbage", g);
    fclose(g);
    assert_int_equal(app_store_export(f->src, out, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "not an SQLite database"));
    fclose(out);
}

static void test_store_dir(void **state)
{
    struct fixture *f = *state;
    struct config cfg;
    char err[256];
    config_defaults(&cfg);
    char *d = app_store_dir(&cfg);
    assert_string_equal(d, ".");
    free(d);
    config_fini(&cfg);
    /* An instance: DIR/etc/petrel.conf with DIR/data. */
    char etc[1024], data[1024], conf[1100], want[1100];
    snprintf(etc, sizeof etc, "%s/inst/etc", f->tmp);
    snprintf(data, sizeof data, "%s/inst/data", f->tmp);
    snprintf(conf, sizeof conf, "%s/petrel.conf", etc);
    mkdir(th_path(f->tmp, "inst"), 0700);
    mkdir(etc, 0700);
    config_defaults(&cfg);
    assert_int_equal(config_load_string(&cfg, conf, "persistence true\n", err, sizeof err), 0);
    d = app_store_dir(&cfg);
    assert_string_equal(d, "."); /* no data/ yet */
    free(d);
    mkdir(data, 0700);
    d = app_store_dir(&cfg);
    assert_string_equal(d, data);
    free(d);
    config_fini(&cfg);
    config_defaults(&cfg);
    assert_int_equal(
        config_load_string(&cfg, conf, "persistence_location ../elsewhere\n", err, sizeof err), 0);
    d = app_store_dir(&cfg);
    snprintf(want, sizeof want, "%s/../elsewhere", etc);
    assert_string_equal(d, want);
    free(d);
    config_fini(&cfg);
}

static void test_store_open_by_config(void **state)
{
    struct fixture *f = *state;
    struct config cfg;
    char err[256], text[PATH_MAX + 128];
    config_defaults(&cfg);
    struct store st;
    assert_int_equal(app_store_open(&cfg, &st, err, sizeof err), 0);
    assert_false(store_is_durable(&st));
    store_close(&st);
    config_fini(&cfg);
    snprintf(text, sizeof text,
             "persistence true\npersistence_location %s\npersistence_sync off\n"
             "persistence_commit_interval 1\npersistence_max_size 1M\n",
             f->dst);
    config_defaults(&cfg);
    assert_int_equal(config_load_string(&cfg, th_path(f->tmp, "p.conf"), text, err, sizeof err), 0);
    assert_int_equal(app_store_open(&cfg, &st, err, sizeof err), 0);
    assert_true(store_is_durable(&st));
    store_close(&st);
    assert_int_equal(access(th_path(f->dst, "petrel.db"), F_OK), 0);
    config_fini(&cfg);
    /* A directory it cannot use fails with the reason. */
    snprintf(text, sizeof text, "persistence true\npersistence_location %s/a/b/c\n", f->tmp);
    config_defaults(&cfg);
    assert_int_equal(config_load_string(&cfg, th_path(f->tmp, "p.conf"), text, err, sizeof err), 0);
    assert_int_equal(app_store_open(&cfg, &st, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot create the store directory"));
    config_fini(&cfg);
}

int main(void)
{
    log_set_mask(0);
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_export_import_round_trip),
        T(test_import_refuses_bad_input),
        T(test_import_needs_empty_store),
        T(test_export_refuses_missing_or_bad_store),
        T(test_store_dir),
        T(test_store_open_by_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
