/*
 * test_auth.c - struct auth (src/auth/auth.c): loading files, the CONNECT
 * rules, merging password_file with users_file, the log warnings, load
 * errors, and reference counting across threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>

#include "auth/auth_int.h"
#include "helpers.h"
#include "util/log.h"

static char err[512];

static struct auth *load(bool anon, const char *pw, const char *users, const char *groups,
                         const char *acl)
{
    struct auth_config cfg = {anon, pw, users, groups, acl};
    err[0] = '\0';
    struct auth *a = auth_load(&cfg, err, sizeof err);
    if (a == NULL)
        fprintf(stderr, "# auth_load: %s\n", err);
    return a;
}

static enum auth_result check(const struct auth *a, const char *user, const char *pw)
{
    struct slice u = slice_cstr(user), p = slice_cstr(pw);
    return auth_check_password(a, user ? &u : NULL, pw ? &p : NULL);
}

static bool slow(const struct auth *a, const char *user)
{
    struct slice u = slice_cstr(user);
    return auth_check_is_slow(a, user ? &u : NULL);
}

/* Loads with the log going to a scratch file; returns what was logged. */
static char *with_log(struct auth **out, bool anon, const char *pw, const char *users)
{
    char path[] = "/tmp/petrel-auth-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    log_set_fd(fd);
    *out = load(anon, pw, users, NULL, NULL);
    log_set_fd(-1); /* back to stderr; closes fd */
    char *text = th_read(path);
    unlink(path);
    return text;
}

static size_t count_lines(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static void test_no_user_source(void **state)
{
    (void)state;
    struct auth *a = load(true, NULL, NULL, NULL, NULL);
    assert_non_null(a);
    /* Anonymous access decides, whatever the credentials. */
    assert_int_equal(check(a, NULL, NULL), AUTH_OK);
    assert_int_equal(check(a, "anyone", "anything"), AUTH_OK);
    assert_int_equal(check(a, "anyone", NULL), AUTH_OK);
    assert_false(slow(a, "anyone"));
    assert_false(auth_has_acl(a));
    assert_true(auth_acl_allows(a, SLICE_LIT("c"), NULL, SLICE_LIT("$SYS/x"), AUTH_ACCESS_WRITE));
    assert_int_equal(auth_user_count(a), 0);
    auth_unref(a);

    a = load(false, NULL, NULL, NULL, NULL);
    assert_int_equal(check(a, NULL, NULL), AUTH_NOT_AUTHORIZED);
    assert_int_equal(check(a, "anyone", "anything"), AUTH_NOT_AUTHORIZED);
    auth_unref(a);
}

static void test_password_file(void **state)
{
    (void)state;
    struct auth *a = load(false, th_fixture("mosquitto.passwd"), NULL, NULL, NULL);
    assert_non_null(a);
    assert_int_equal(auth_user_count(a), 4);
    assert_int_equal(check(a, "alice", "secret"), AUTH_OK);
    assert_int_equal(check(a, "bob", "hunter2"), AUTH_OK);
    assert_int_equal(check(a, "carol", "pass word:with=chars"), AUTH_OK);
    assert_int_equal(check(a, "alice", "hunter2"), AUTH_BAD_CREDENTIALS);
    assert_int_equal(check(a, "alice", NULL), AUTH_BAD_CREDENTIALS);
    assert_int_equal(check(a, "mallory", "secret"), AUTH_BAD_CREDENTIALS);
    assert_int_equal(check(a, NULL, NULL), AUTH_NOT_AUTHORIZED);
    assert_int_equal(check(a, NULL, "secret"), AUTH_NOT_AUTHORIZED);
    assert_true(slow(a, "alice"));
    assert_false(slow(a, "mallory"));
    assert_false(slow(a, NULL));
    auth_unref(a);

    /* allow_anonymous lets clients without a user name in, nobody else. */
    a = load(true, th_fixture("mosquitto.passwd"), NULL, NULL, NULL);
    assert_int_equal(check(a, NULL, NULL), AUTH_OK);
    assert_int_equal(check(a, "mallory", "x"), AUTH_BAD_CREDENTIALS);
    assert_int_equal(check(a, "alice", "x"), AUTH_BAD_CREDENTIALS);
    assert_int_equal(check(a, "alice", "secret"), AUTH_OK);
    auth_unref(a);
}

static void test_users_file(void **state)
{
    (void)state;
    struct auth *a;
    char *log = with_log(&a, false, NULL, th_fixture("users.properties"));
    assert_non_null(a);
    /* One warning for the whole file, naming it and the count. */
    char want[3 * PATH_MAX + 256];
    snprintf(want, sizeof want,
             "warning: %s: 5 users have a plain-text password; hash them with petrel-passwd -U "
             "%s\n",
             th_fixture("users.properties"), th_fixture("users.properties"));
    assert_non_null(strstr(log, want));
    assert_int_equal(count_lines(log, "\n"), 1);
    free(log);
    assert_int_equal(auth_user_count(a), 8);
    assert_int_equal(check(a, "admin", "password"), AUTH_OK);
    assert_int_equal(check(a, "admin", "Password"), AUTH_BAD_CREDENTIALS);
    assert_false(slow(a, "admin")); /* plain text: no hash to compute */
    assert_int_equal(check(a, "argonuser", "correct horse"), AUTH_OK);
    assert_true(slow(a, "argonuser"));
    assert_int_equal(check(a, "hashed", "secret"), AUTH_OK);
    assert_int_equal(check(a, "esc=key:x\\y", "val=ue:z\\w "), AUTH_OK);
    auth_unref(a);
}

static void test_both_sources(void **state)
{
    (void)state;
    char *dir = th_tmpdir();
    const char *users = th_path(dir, "users.properties");
    assert_int_equal(th_write(users, "alice=not-secret\nextra=pw\nadmin=x\n"), 0);
    struct auth *a;
    char *log = with_log(&a, false, th_fixture("mosquitto.passwd"), users);
    assert_non_null(a);
    /* password_file wins for alice, with a warning; the others are added. */
    char want[3 * PATH_MAX + 256];
    snprintf(want, sizeof want, "user 'alice' is in both %s and %s; the entry in %s is used",
             th_fixture("mosquitto.passwd"), users, th_fixture("mosquitto.passwd"));
    assert_non_null(strstr(log, want));
    assert_non_null(strstr(log, "3 users have a plain-text password"));
    free(log);
    assert_int_equal(auth_user_count(a), 6);
    assert_int_equal(check(a, "alice", "secret"), AUTH_OK);
    assert_int_equal(check(a, "alice", "not-secret"), AUTH_BAD_CREDENTIALS);
    assert_int_equal(check(a, "extra", "pw"), AUTH_OK);
    assert_int_equal(check(a, "bob", "hunter2"), AUTH_OK);
    auth_unref(a);
    th_rmdir(dir);
}

static void test_acl_loaded(void **state)
{
    (void)state;
    char *dir = th_tmpdir();
    const char *acl = th_path(dir, "acl.conf");
    assert_int_equal(th_write(acl, "topic read public/#\n"
                                   "group admins\ntopic readwrite #\n"
                                   "group empty\ntopic read e/#\n"),
                     0);
    struct auth *a =
        load(true, NULL, th_fixture("users.properties"), th_fixture("groups.properties"), acl);
    assert_non_null(a);
    assert_true(auth_has_acl(a));
    struct slice admin = SLICE_LIT("admin"), bob = SLICE_LIT("bob");
    struct slice c = SLICE_LIT("c");
    assert_true(auth_acl_allows(a, c, NULL, SLICE_LIT("public/x"), AUTH_ACCESS_READ));
    assert_false(auth_acl_allows(a, c, NULL, SLICE_LIT("public/x"), AUTH_ACCESS_WRITE));
    assert_true(auth_acl_allows(a, c, &admin, SLICE_LIT("any/x"), AUTH_ACCESS_WRITE));
    assert_true(auth_acl_allows(a, c, &admin, SLICE_LIT("#"), AUTH_ACCESS_SUBSCRIBE));
    assert_false(auth_acl_allows(a, c, &bob, SLICE_LIT("any/x"), AUTH_ACCESS_WRITE));
    auth_unref(a);

    /* An empty groups file still counts as configured. */
    const char *groups = th_path(dir, "groups.properties");
    assert_int_equal(th_write(groups, "# none yet\n"), 0);
    assert_int_equal(th_write(acl, "group admins\n"), 0);
    assert_null(load(true, NULL, NULL, groups, acl));
    char want[3 * PATH_MAX + 256];
    snprintf(want, sizeof want, "%s:1: group 'admins' is not defined in groups_file", acl);
    assert_string_equal(err, want);
    th_rmdir(dir);
}

static void test_load_errors(void **state)
{
    (void)state;
    char *dir = th_tmpdir();
    char want[3 * PATH_MAX + 256];
    const char *missing = th_path(dir, "missing");
    assert_null(load(false, missing, NULL, NULL, NULL));
    snprintf(want, sizeof want, "%s: No such file or directory", missing);
    assert_string_equal(err, want);

    const char *pw = th_path(dir, "pw");
    assert_int_equal(th_write(pw, "# users\nalice:secret\n"), 0);
    assert_null(load(false, pw, NULL, NULL, NULL));
    snprintf(want, sizeof want,
             "%s:2: user 'alice': password is not a hash ($7$, $6$, $argon2id$ or $scram$); "
             "hash the file with petrel-passwd -U",
             pw);
    assert_string_equal(err, want);

    const char *acl = th_path(dir, "acl");
    assert_int_equal(th_write(acl, "user a\n\ngroup ops\n"), 0);
    assert_null(load(false, NULL, NULL, NULL, acl));
    snprintf(want, sizeof want, "%s:3: group 'ops' but no groups_file is configured", acl);
    assert_string_equal(err, want);

    assert_int_equal(th_write(acl, "topic read a\nwhat now\n"), 0);
    assert_null(load(true, th_fixture("mosquitto.passwd"), th_fixture("users.properties"),
                     th_fixture("groups.properties"), acl));
    snprintf(want, sizeof want,
             "%s:2: unknown directive 'what' (expected user, group, topic or pattern)", acl);
    assert_string_equal(err, want);

    const char *groups = th_path(dir, "groups");
    assert_int_equal(th_write(groups, "a=x\na=y\n"), 0);
    assert_null(load(true, NULL, NULL, groups, NULL));
    snprintf(want, sizeof want, "%s:2: duplicate group 'a' (first defined on line 1)", groups);
    assert_string_equal(err, want);

    assert_null(load(true, NULL, dir, NULL, NULL));
    snprintf(want, sizeof want, "%s: is a directory", dir);
    assert_string_equal(err, want);
    th_rmdir(dir);
}

static void *ref_worker(void *arg)
{
    struct auth *a = arg;
    for (int i = 0; i < 20000; i++) {
        struct auth *r = auth_ref(a);
        if (r != a || check(r, "x", "y") != AUTH_OK)
            return (void *)1;
        auth_unref(r);
    }
    auth_unref(a); /* the reference the main thread gave this worker */
    return NULL;
}

static void test_refcount(void **state)
{
    (void)state;
    auth_unref(NULL);
    struct auth *a = load(true, NULL, NULL, NULL, NULL);
    assert_ptr_equal(auth_ref(a), a);
    auth_unref(a);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, ref_worker, auth_ref(a)), 0);
    /* The creator's reference goes while the workers still run; the
     * object lives until the last worker lets go (ASan checks the rest). */
    auth_unref(a);
    for (int i = 0; i < 4; i++) {
        void *rc;
        assert_int_equal(pthread_join(t[i], &rc), 0);
        assert_null(rc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_user_source), cmocka_unit_test(test_password_file),
        cmocka_unit_test(test_users_file),     cmocka_unit_test(test_both_sources),
        cmocka_unit_test(test_acl_loaded),     cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_refcount),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
