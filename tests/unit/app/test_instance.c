/*
 * test_instance.c - src/app/instance.c: `petrel create DIR`.
 *
 * Each test works in its own mkdtemp directory under /tmp and removes it.
 */
#include <ctype.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/instance.h"
#include "auth/auth.h"
#include "cfg/config.h"

struct fixture {
    char tmp[64];   /* the mkdtemp directory */
    char dir[128];  /* tmp/mybroker: the instance */
    char out[8192]; /* what instance_create printed */
    char password[64];
};

static int unlink_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    strcpy(f->tmp, "/tmp/petrel-test-instXXXXXX");
    if (mkdtemp(f->tmp) == NULL)
        return -1;
    snprintf(f->dir, sizeof f->dir, "%s/mybroker", f->tmp);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    nftw(f->tmp, unlink_cb, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static char *slurp(const char *dir, const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        return NULL;
    static char buf[16384];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return strdup(buf);
}

static int create(const char *dir, char *out, size_t cap, char *err, size_t errlen)
{
    FILE *fp = fmemopen(out, cap, "w");
    assert_non_null(fp);
    int r = instance_create(dir, fp, err, errlen);
    fclose(fp);
    return r;
}

/* Creates f->dir and picks the password out of the printed summary. */
static void create_ok(struct fixture *f)
{
    char err[512] = "";
    assert_int_equal(create(f->dir, f->out, sizeof f->out, err, sizeof err), 0);
    assert_string_equal(err, "");
    const char *p = strstr(f->out, "  password:  ");
    assert_non_null(p);
    p += strlen("  password:  ");
    size_t n = strcspn(p, "\n");
    assert_int_equal(n, 16);
    memcpy(f->password, p, n);
    f->password[n] = '\0';
    for (size_t i = 0; i < n; i++)
        assert_true(isalnum((unsigned char)f->password[i]));
}

static mode_t mode_of(const char *dir, const char *rel)
{
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode;
}

static void test_creates_the_files(void **state)
{
    struct fixture *f = *state;
    create_ok(f);
    assert_true(S_ISDIR(mode_of(f->dir, "etc")));
    assert_true(S_ISDIR(mode_of(f->dir, "data")));
    assert_true(S_ISDIR(mode_of(f->dir, "log")));
    assert_true(S_ISREG(mode_of(f->dir, "etc/petrel.conf")));
    assert_int_equal(mode_of(f->dir, "etc/users.properties") & 07777, 0600);
    char *groups = slurp(f->dir, "etc/groups.properties");
    assert_non_null(strstr(groups, "\nadmins=admin\n"));
    free(groups);
    char *acl = slurp(f->dir, "etc/acl.conf");
    assert_non_null(strstr(acl, "\ngroup admins\ntopic readwrite #\ntopic read $SYS/#\n"));
    assert_non_null(strstr(acl, "\n#user "));
    assert_non_null(strstr(acl, "\n#pattern "));
    free(acl);
}

static void test_summary(void **state)
{
    struct fixture *f = *state;
    create_ok(f);
    char want[256];
    snprintf(want, sizeof want, "Created a Petrel broker instance in %s\n", f->dir);
    assert_non_null(strstr(f->out, want));
    snprintf(want, sizeof want, "\n  petrel run %s\n", f->dir);
    assert_non_null(strstr(f->out, want));
    assert_non_null(strstr(f->out, "  user name: admin\n"));
    assert_non_null(strstr(f->out, "shown only this once"));
    /* The password appears once in what is printed, and nowhere on disk. */
    const char *p = strstr(f->out, f->password);
    assert_null(strstr(p + 1, f->password));
    static const char *const files[] = {"etc/petrel.conf", "etc/users.properties",
                                        "etc/groups.properties", "etc/acl.conf"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *text = slurp(f->dir, files[i]);
        assert_non_null(text);
        assert_null(strstr(text, f->password));
        free(text);
    }
}

static void test_admin_hash_verifies(void **state)
{
    struct fixture *f = *state;
    create_ok(f);
    char *users = slurp(f->dir, "etc/users.properties");
    const char *line = strstr(users, "\nadmin=");
    assert_non_null(line);
    char hash[512];
    line += strlen("\nadmin=");
    size_t n = strcspn(line, "\n");
    assert_true(n > 0 && n < sizeof hash);
    memcpy(hash, line, n);
    hash[n] = '\0';
    assert_true(auth_verify_password(hash, slice_cstr(f->password)));
    assert_false(auth_verify_password(hash, slice_cstr("wrong password")));
    free(users);
}

static void test_config_loads(void **state)
{
    struct fixture *f = *state;
    create_ok(f);
    char path[512], err[512] = "";
    assert_int_equal(instance_config_path(f->dir, path, sizeof path), 0);
    struct config c;
    config_defaults(&c);
    assert_int_equal(config_load(&c, path, err, sizeof err), 0);
    assert_int_equal(c.listener_count, 2);
    assert_int_equal(c.listeners[0].port, 1883);
    assert_string_equal(c.listeners[0].address, "127.0.0.1");
    assert_int_equal(c.listeners[1].port, 61613);
    assert_string_equal(c.listeners[1].address, "127.0.0.1");
    assert_false(c.allow_anonymous);
    assert_false(c.persistence);
    assert_int_equal(c.log_dest, LOG_DEST_FILE);
    static const struct {
        size_t offset;
        const char *want; /* relative to the instance */
    } paths[] = {
        {offsetof(struct config, users_file), "etc/users.properties"},
        {offsetof(struct config, groups_file), "etc/groups.properties"},
        {offsetof(struct config, acl_file), "etc/acl.conf"},
        {offsetof(struct config, persistence_location), "data"},
        {offsetof(struct config, log_file), "log/petrel.log"},
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char *p = config_resolve_path(&c, *(char **)((char *)&c + paths[i].offset));
        char *real = realpath(p, NULL);
        char want[512], *want_real;
        snprintf(want, sizeof want, "%s/%s", f->dir, paths[i].want);
        want_real = realpath(want, NULL);
        /* log/petrel.log does not exist yet: compare its directory then. */
        if (real == NULL) {
            assert_string_equal(paths[i].want, "log/petrel.log");
            assert_true(strstr(p, "/etc/../log/petrel.log") != NULL);
        } else {
            assert_string_equal(real, want_real);
        }
        free(real);
        free(want_real);
        free(p);
    }
    config_fini(&c);
}

/* The instance's user, group and ACL files load as the broker loads them:
 * admin logs in with the printed password and may use every topic, $SYS
 * included; nobody else gets in. */
static void test_auth_files_load(void **state)
{
    struct fixture *f = *state;
    create_ok(f);
    char path[512], err[512] = "";
    struct config c;
    config_defaults(&c);
    assert_int_equal(instance_config_path(f->dir, path, sizeof path), 0);
    assert_int_equal(config_load(&c, path, err, sizeof err), 0);
    char *users = config_resolve_path(&c, c.users_file);
    char *groups = config_resolve_path(&c, c.groups_file);
    char *acl = config_resolve_path(&c, c.acl_file);
    struct auth_config ac = {.allow_anonymous = c.allow_anonymous,
                             .users_file = users,
                             .groups_file = groups,
                             .acl_file = acl};
    struct auth *a = auth_load(&ac, err, sizeof err);
    assert_non_null(a);
    struct slice admin = slice_cstr("admin"), other = slice_cstr("guest");
    struct slice pw = slice_cstr(f->password), bad = slice_cstr("not-the-password");
    struct slice id = slice_cstr("c1");
    assert_int_equal(auth_user_count(a), 1);
    assert_int_equal(auth_check_password(a, &admin, &pw), AUTH_OK);
    assert_int_not_equal(auth_check_password(a, &admin, &bad), AUTH_OK);
    assert_int_not_equal(auth_check_password(a, &other, &pw), AUTH_OK);
    assert_int_not_equal(auth_check_password(a, NULL, NULL), AUTH_OK);
    assert_true(auth_acl_allows(a, id, &admin, slice_cstr("temperature"), AUTH_ACCESS_WRITE));
    assert_true(auth_acl_allows(a, id, &admin, slice_cstr("a/b/c"), AUTH_ACCESS_READ));
    assert_true(auth_acl_allows(a, id, &admin, slice_cstr("$SYS/#"), AUTH_ACCESS_SUBSCRIBE));
    assert_true(auth_acl_allows(a, id, &admin, slice_cstr("$SYS/broker/uptime"), AUTH_ACCESS_READ));
    assert_false(auth_acl_allows(a, id, &other, slice_cstr("temperature"), AUTH_ACCESS_WRITE));
    auth_unref(a);
    free(users);
    free(groups);
    free(acl);
    config_fini(&c);
}

/* The limits shown commented out are the defaults: uncommenting them
 * changes nothing. */
static void test_commented_limits_are_defaults(void **state)
{
    struct fixture *f = *state;
    create_ok(f);
    char *text = slurp(f->dir, "etc/petrel.conf");
    static const char *const keys[] = {
        "threads",          "connect_timeout",       "max_keepalive",
        "max_packet_size",  "max_inflight_messages", "max_queued_messages",
        "max_queued_bytes", "max_write_buffer",      "max_topic_length",
        "max_topic_levels", "max_subscriptions",     "sys_interval"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "\n#%s ", keys[i]);
        char *at = strstr(text, needle);
        assert_non_null(at);
        at[1] = ' '; /* uncomment */
    }
    struct config c, d;
    char err[512] = "";
    config_defaults(&c);
    config_defaults(&d);
    assert_int_equal(config_load_string(&c, "petrel.conf", text, err, sizeof err), 0);
    assert_int_equal(c.threads, d.threads);
    assert_int_equal(c.connect_timeout, d.connect_timeout);
    assert_int_equal(c.max_keepalive, d.max_keepalive);
    assert_int_equal(c.max_packet_size, d.max_packet_size);
    assert_int_equal(c.max_inflight_messages, d.max_inflight_messages);
    assert_int_equal(c.max_queued_messages, d.max_queued_messages);
    assert_int_equal(c.max_queued_bytes, d.max_queued_bytes);
    assert_int_equal(c.max_write_buffer, d.max_write_buffer);
    assert_int_equal(c.max_topic_length, d.max_topic_length);
    assert_int_equal(c.max_topic_levels, d.max_topic_levels);
    assert_int_equal(c.max_subscriptions, d.max_subscriptions);
    assert_int_equal(c.sys_interval, d.sys_interval);
    config_fini(&c);
    config_fini(&d);
    free(text);
}

static void test_refuses_non_empty_dir(void **state)
{
    struct fixture *f = *state;
    create_ok(f);
    char *before = slurp(f->dir, "etc/users.properties");
    char out[4096], err[512] = "", want[512];
    assert_int_equal(create(f->dir, out, sizeof out, err, sizeof err), -1);
    snprintf(want, sizeof want,
             "%s: directory is not empty; petrel create only fills a new or empty directory",
             f->dir);
    assert_string_equal(err, want);
    char *after = slurp(f->dir, "etc/users.properties");
    assert_string_equal(before, after);
    free(before);
    free(after);

    /* A file in the way. */
    char file[256];
    snprintf(file, sizeof file, "%s/etc/petrel.conf", f->dir);
    assert_int_equal(create(file, out, sizeof out, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: exists and is not a directory", file);
    assert_string_equal(err, want);
    assert_int_equal(create("", out, sizeof out, err, sizeof err), -1);
    assert_string_equal(err, "no directory given");
}

static void test_empty_and_nested_dirs(void **state)
{
    struct fixture *f = *state;
    /* An existing empty directory is filled. */
    assert_int_equal(mkdir(f->dir, 0755), 0);
    create_ok(f);
    char first[64];
    strcpy(first, f->password);
    /* Missing parents are created; each instance gets its own password. */
    snprintf(f->dir, sizeof f->dir, "%s/a/b/second/", f->tmp);
    create_ok(f);
    assert_true(S_ISREG(mode_of(f->dir, "etc/acl.conf")));
    assert_string_not_equal(first, f->password);
}

static void test_run_hint_quotes_odd_paths(void **state)
{
    struct fixture *f = *state;
    snprintf(f->dir, sizeof f->dir, "%s/it's here", f->tmp);
    create_ok(f);
    char want[256];
    snprintf(want, sizeof want, "\n  petrel run '%s/it'\\''s here'\n", f->tmp);
    assert_non_null(strstr(f->out, want));
}

static void test_config_path(void **state)
{
    char out[64];
    assert_int_equal(instance_config_path("mybroker", out, sizeof out), 0);
    assert_string_equal(out, "mybroker/etc/petrel.conf");
    assert_int_equal(instance_config_path("mybroker//", out, sizeof out), 0);
    assert_string_equal(out, "mybroker/etc/petrel.conf");
    assert_int_equal(instance_config_path("/srv/b", out, sizeof out), 0);
    assert_string_equal(out, "/srv/b/etc/petrel.conf");
    assert_int_equal(instance_config_path("/", out, sizeof out), 0);
    assert_string_equal(out, "/etc/petrel.conf");
    assert_int_equal(instance_config_path("mybroker", out, 10), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_creates_the_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_summary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_admin_hash_verifies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_loads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_files_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commented_limits_are_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_non_empty_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_and_nested_dirs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_hint_quotes_odd_paths, setup, teardown),
        cmocka_unit_test(test_config_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
