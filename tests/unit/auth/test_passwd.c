/*
 * test_passwd.c - the petrel-passwd tool (src/cli/passwd.c), run as a
 * program from the build tree: -c, -b, -D, -U, --scram, passwords on
 * stdin, both file formats, errors, and files shared with the real
 * mosquitto_passwd. Every file it writes is checked by loading it the way
 * the broker does (SCRAM secrets also by a SCRAM exchange).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "auth/auth_int.h"
#include "helpers.h"
#include "scram_client.h"

static char tool[PATH_MAX + 32];
static char *dir;
static char out_path[PATH_MAX];

/* Runs petrel-passwd with the given arguments (NULL-terminated) and stdin
 * text; its output lands in out_path. Returns the exit status. */
static int passwd_run(const char *input, ...)
{
    char *argv[16];
    int n = 0;
    argv[n++] = tool;
    va_list ap;
    va_start(ap, input);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && n < 15)
        argv[n++] = (char *)a;
    va_end(ap);
    argv[n] = NULL;
    return th_run(argv, input, out_path);
}

static char *output(void)
{
    return th_read(out_path);
}

static void expect_output(const char *needle)
{
    char *o = output();
    if (o == NULL || strstr(o, needle) == NULL)
        fail_msg("output lacks \"%s\": %s", needle, o ? o : "(none)");
    free(o);
}

/* Parses file like the broker and returns the stored value for user. */
static char *stored_of(const char *file, enum auth_file_format fmt, const char *user)
{
    char *text = th_read(file);
    assert_non_null(text);
    struct auth_users u = {0};
    char err[512];
    if (auth_users_parse(&u, fmt, file, (const uint8_t *)text, strlen(text), err, sizeof err))
        fail_msg("%s", err);
    free(text);
    const struct auth_user *e = auth_users_find(&u, slice_cstr(user));
    char *s = e ? strdup(e->stored) : NULL;
    auth_users_fini(&u);
    return s;
}

static bool verifies(const char *file, enum auth_file_format fmt, const char *user, const char *pw)
{
    char *s = stored_of(file, fmt, user);
    bool ok =
        s && auth_hash_kind_of(s) != AUTH_HASH_PLAIN && auth_verify_password(s, slice_cstr(pw));
    free(s);
    return ok;
}

/* The line of text starting with prefix, copied, or NULL. */
static char *line_of(const char *file, const char *prefix)
{
    char *text = th_read(file);
    char *res = NULL;
    for (char *l = text; l && *l;) {
        char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t)(nl - l) : strlen(l);
        if (strncmp(l, prefix, strlen(prefix)) == 0) {
            res = strndup(l, n);
            break;
        }
        l = nl ? nl + 1 : NULL;
    }
    free(text);
    return res;
}

static int setup(void **state)
{
    (void)state;
    dir = th_tmpdir();
    snprintf(out_path, sizeof out_path, "%s/output", dir);
    return dir && access(tool, X_OK) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    th_rmdir(dir);
    dir = NULL;
    return 0;
}

static void test_mosquitto_format(void **state)
{
    (void)state;
    const char *f = th_path(dir, "passwd");
    assert_int_equal(passwd_run(NULL, "-c", "-b", f, "alice", "secret", NULL), 0);
    struct stat st;
    assert_int_equal(stat(f, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_true(verifies(f, AUTH_FMT_MOSQUITTO, "alice", "secret"));
    char *l = line_of(f, "alice:");
    assert_non_null(l);
    assert_true(strncmp(l, "alice:$7$101$", 13) == 0);
    free(l);

    /* Add with a custom iteration count, keep comments, change in place. */
    char *text = th_read(f);
    char buf[1024];
    snprintf(buf, sizeof buf, "# users of the test\n%s\n# trailing comment\n", text);
    free(text);
    assert_int_equal(th_write(f, buf), 0);
    assert_int_equal(passwd_run(NULL, "-b", "-I", "1234", f, "bob", "hunter2", NULL), 0);
    assert_int_equal(passwd_run(NULL, "-b", f, "alice", "changed", NULL), 0);
    assert_true(verifies(f, AUTH_FMT_MOSQUITTO, "alice", "changed"));
    assert_false(verifies(f, AUTH_FMT_MOSQUITTO, "alice", "secret"));
    assert_true(verifies(f, AUTH_FMT_MOSQUITTO, "bob", "hunter2"));
    l = line_of(f, "bob:");
    assert_true(strncmp(l, "bob:$7$1234$", 12) == 0);
    free(l);
    text = th_read(f);
    assert_true(strncmp(text, "# users of the test\nalice:", 26) == 0);
    assert_non_null(strstr(text, "\n# trailing comment\nbob:"));
    free(text);

    /* Delete. */
    assert_int_equal(passwd_run(NULL, "-D", f, "alice", NULL), 0);
    assert_null(line_of(f, "alice:"));
    assert_true(verifies(f, AUTH_FMT_MOSQUITTO, "bob", "hunter2"));
    assert_int_equal(passwd_run(NULL, "-D", f, "alice", NULL), 1);
    expect_output("user 'alice' is not in");

    /* -c overwrites everything. */
    assert_int_equal(passwd_run(NULL, "-c", "-b", f, "carol", "c", NULL), 0);
    assert_null(line_of(f, "bob:"));
    assert_null(line_of(f, "#"));
}

static void test_update(void **state)
{
    (void)state;
    const char *f = th_path(dir, "plain");
    char hashed[256], buf[1024];
    assert_int_equal(auth_hash_password("kept", 0, hashed, sizeof hashed), 0);
    snprintf(buf, sizeof buf, "# plain file\nu1:one\nu2:%s\n\nu3:three:with:colons\n", hashed);
    assert_int_equal(th_write(f, buf), 0);
    assert_int_equal(passwd_run(NULL, "-U", f, NULL), 0);
    assert_true(verifies(f, AUTH_FMT_MOSQUITTO, "u1", "one"));
    assert_true(verifies(f, AUTH_FMT_MOSQUITTO, "u2", "kept"));
    assert_true(verifies(f, AUTH_FMT_MOSQUITTO, "u3", "three:with:colons"));
    char *l = line_of(f, "u2:");
    assert_string_equal(l + 3, hashed); /* hashes are not hashed again */
    free(l);
    l = line_of(f, "# plain");
    assert_non_null(l);
    free(l);
    /* Running it again changes nothing. */
    char *before = th_read(f);
    assert_int_equal(passwd_run(NULL, "-U", f, NULL), 0);
    char *after = th_read(f);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

static void test_apollo_format(void **state)
{
    (void)state;
    const char *f = th_path(dir, "users.properties");
    assert_int_equal(th_write(f, "# Apollo users\n! bang comment\nadmin=password\n"
                                 "guest : guest pw  \n"),
                     0);
    assert_int_equal(passwd_run(NULL, "-U", f, NULL), 0);
    assert_true(verifies(f, AUTH_FMT_PROPERTIES, "admin", "password"));
    assert_true(verifies(f, AUTH_FMT_PROPERTIES, "guest", "guest pw"));
    char *l = line_of(f, "! bang");
    assert_non_null(l);
    free(l);
    l = line_of(f, "guest=$7$");
    assert_non_null(l);
    free(l);
    /* Names with properties' special characters are escaped. */
    assert_int_equal(passwd_run(NULL, "-b", f, "we:ird = name\\", "p w", NULL), 0);
    l = line_of(f, "we\\:ird\\ \\=\\ name\\\\=$7$");
    assert_non_null(l);
    free(l);
    assert_true(verifies(f, AUTH_FMT_PROPERTIES, "we:ird = name\\", "p w"));
    assert_int_equal(passwd_run(NULL, "-b", f, "#hash", "x", NULL), 0);
    assert_true(verifies(f, AUTH_FMT_PROPERTIES, "#hash", "x"));
    assert_int_equal(passwd_run(NULL, "-D", f, "admin", NULL), 0);
    assert_null(stored_of(f, AUTH_FMT_PROPERTIES, "admin"));

    /* --format overrides the file name, both ways. */
    const char *g = th_path(dir, "users.txt");
    assert_int_equal(passwd_run(NULL, "--format", "apollo", "-c", "-b", g, "u", "p", NULL), 0);
    l = line_of(g, "u=$7$");
    assert_non_null(l);
    free(l);
    const char *h = th_path(dir, "other.properties");
    assert_int_equal(passwd_run(NULL, "--format=mosquitto", "-c", "-b", h, "u", "p", NULL), 0);
    assert_true(verifies(h, AUTH_FMT_MOSQUITTO, "u", "p"));
}

/* A SCRAM login of user with pw against file, loaded as the broker does. */
static enum auth_scram_status scram_login(const char *file, bool props, enum auth_scram_mech mech,
                                          const char *user, const char *pw)
{
    struct auth_config cfg = {false, props ? NULL : file, props ? file : NULL, NULL, NULL};
    char err[512];
    struct auth *a = auth_load(&cfg, err, sizeof err);
    if (a == NULL)
        fail_msg("%s", err);
    struct tc_scram c;
    struct auth_scram *s;
    struct slice r;
    tc_first(&c, mech, "n,,", user, "nonce", pw);
    assert_int_equal(auth_scram_start(&s, a, mech, slice_cstr(c.first), &r), AUTH_SCRAM_CONTINUE);
    assert_true(tc_final(&c, r, NULL));
    enum auth_scram_status st = auth_scram_finish(s, slice_cstr(c.final), &r);
    auth_scram_free(s);
    auth_unref(a);
    return st;
}

static void test_scram(void **state)
{
    (void)state;
    const char *f = th_path(dir, "scram");
    assert_int_equal(passwd_run(NULL, "-c", "-b", "--scram", f, "alice", "pencil", NULL), 0);
    char *l = line_of(f, "alice:");
    assert_non_null(l);
    assert_true(strncmp(l, "alice:$scram$4096$", 18) == 0);
    assert_non_null(strstr(l, "$sha256="));
    assert_non_null(strstr(l, "$sha512="));
    free(l);
    assert_true(verifies(f, AUTH_FMT_MOSQUITTO, "alice", "pencil"));
    assert_false(verifies(f, AUTH_FMT_MOSQUITTO, "alice", "pencil2"));
    assert_int_equal(scram_login(f, false, AUTH_SCRAM_SHA256, "alice", "pencil"),
                     AUTH_SCRAM_SUCCESS);
    assert_int_equal(scram_login(f, false, AUTH_SCRAM_SHA512, "alice", "pencil"),
                     AUTH_SCRAM_SUCCESS);
    assert_int_equal(scram_login(f, false, AUTH_SCRAM_SHA512, "alice", "pencil2"),
                     AUTH_SCRAM_FAILED);

    /* One digest, our own iteration count; $7$ users stay as they are. */
    assert_int_equal(passwd_run(NULL, "-b", "-I", "5000", "--scram=sha512", f, "bob", "b-pw", NULL),
                     0);
    assert_int_equal(passwd_run(NULL, "-b", f, "carol", "c-pw", NULL), 0);
    l = line_of(f, "bob:");
    assert_true(strncmp(l, "bob:$scram$5000$", 16) == 0);
    assert_null(strstr(l, "sha256="));
    free(l);
    l = line_of(f, "carol:");
    assert_true(strncmp(l, "carol:$7$101$", 13) == 0);
    free(l);
    assert_int_equal(scram_login(f, false, AUTH_SCRAM_SHA512, "bob", "b-pw"), AUTH_SCRAM_SUCCESS);
    assert_int_equal(scram_login(f, false, AUTH_SCRAM_SHA256, "bob", "b-pw"), AUTH_SCRAM_FAILED);
    assert_int_equal(scram_login(f, false, AUTH_SCRAM_SHA256, "carol", "c-pw"), AUTH_SCRAM_FAILED);
    assert_true(verifies(f, AUTH_FMT_MOSQUITTO, "carol", "c-pw"));
    assert_int_equal(passwd_run(NULL, "-b", "--scram=sha256,sha512", f, "carol", "c-pw", NULL), 0);
    assert_int_equal(scram_login(f, false, AUTH_SCRAM_SHA256, "carol", "c-pw"), AUTH_SCRAM_SUCCESS);

    /* Apollo users.properties: -U --scram turns plain text into secrets and
     * leaves hashes alone; escaped names log in by their real name. */
    const char *p = th_path(dir, "users.properties");
    char hashed[256], buf[1024];
    assert_int_equal(auth_hash_password("kept", 0, hashed, sizeof hashed), 0);
    snprintf(buf, sizeof buf, "# Apollo\nadmin=password\nold=%s\n", hashed);
    assert_int_equal(th_write(p, buf), 0);
    assert_int_equal(passwd_run(NULL, "-U", "--scram", p, NULL), 0);
    l = line_of(p, "admin=$scram$4096$");
    assert_non_null(l);
    free(l);
    l = line_of(p, "old=");
    assert_string_equal(l + 4, hashed);
    free(l);
    assert_int_equal(scram_login(p, true, AUTH_SCRAM_SHA512, "admin", "password"),
                     AUTH_SCRAM_SUCCESS);
    assert_int_equal(passwd_run(NULL, "-b", "--scram", p, "we:ird=name", "p w", NULL), 0);
    l = line_of(p, "we\\:ird\\=name=$scram$");
    assert_non_null(l);
    free(l);
    assert_int_equal(scram_login(p, true, AUTH_SCRAM_SHA256, "we:ird=3Dname", "p w"),
                     AUTH_SCRAM_SUCCESS);
    assert_true(verifies(p, AUTH_FMT_PROPERTIES, "we:ird=name", "p w"));

    /* Bad lists are refused before anything is written. */
    assert_int_equal(passwd_run(NULL, "-b", "--scram=sha1", p, "x", "y", NULL), 1);
    expect_output("--scram takes sha256, sha512 or sha256,sha512, not 'sha1'");
    assert_int_equal(passwd_run(NULL, "-b", "--scram=sha256,", p, "x", "y", NULL), 1);
    assert_int_equal(passwd_run(NULL, "-b", "--scram=", p, "x", "y", NULL), 1);
    assert_null(stored_of(p, AUTH_FMT_PROPERTIES, "x"));
}

static void test_stdin_password(void **state)
{
    (void)state;
    const char *f = th_path(dir, "stdin");
    assert_int_equal(passwd_run("from stdin\n", "-c", f, "u", NULL), 0);
    assert_true(verifies(f, AUTH_FMT_MOSQUITTO, "u", "from stdin"));
    assert_int_equal(passwd_run("crlf\r\n", f, "v", NULL), 0);
    assert_true(verifies(f, AUTH_FMT_MOSQUITTO, "v", "crlf"));
    assert_int_equal(passwd_run("", f, "w", NULL), 1);
    expect_output("no password given on standard input");
    assert_int_equal(passwd_run("\n", f, "w", NULL), 1);
    expect_output("empty password");
    assert_null(line_of(f, "w:"));
}

static void test_errors(void **state)
{
    (void)state;
    const char *f = th_path(dir, "errors");
    assert_int_equal(passwd_run(NULL, "-b", f, "u", "p", NULL), 1);
    expect_output("no such file (use -c to create it)");
    assert_int_equal(passwd_run(NULL, "-U", f, NULL), 1);
    expect_output("No such file or directory");
    assert_int_equal(passwd_run(NULL, NULL), 1);
    expect_output("usage: petrel-passwd");
    assert_int_equal(passwd_run(NULL, "--help", NULL), 0);
    expect_output("-U          hash every plain-text password");
    assert_int_equal(passwd_run(NULL, "-c", "-D", f, "u", NULL), 1);
    assert_int_equal(passwd_run(NULL, "-b", f, "u", NULL), 1); /* no password */
    assert_int_equal(passwd_run(NULL, "-I", "0", "-c", "-b", f, "u", "p", NULL), 1);
    expect_output("-I wants a number");
    assert_int_equal(passwd_run(NULL, "--format", "xml", "-c", "-b", f, "u", "p", NULL), 1);
    assert_int_equal(passwd_run(NULL, "-c", "-b", f, "a:b", "p", NULL), 1);
    expect_output("cannot be written in a mosquitto password file");
    assert_int_equal(passwd_run(NULL, "-c", "-b", f, "a\x01", "p", NULL), 1);
    assert_int_equal(passwd_run(NULL, "-c", "-b", f, "u", "", NULL), 1);
    expect_output("empty password");
    assert_int_equal(access(f, F_OK), -1); /* nothing was created */

    /* A line the broker would refuse stops the tool; the file is kept. */
    const char *p = th_path(dir, "bad.properties");
    assert_int_equal(th_write(p, "a=1\nb=2\\\n"), 0);
    assert_int_equal(passwd_run(NULL, "-b", p, "c", "3", NULL), 1);
    char want[PATH_MAX + 64];
    snprintf(want, sizeof want, "%s:2: a '\\' at the end of a line", p);
    expect_output(want);
    char *text = th_read(p);
    assert_string_equal(text, "a=1\nb=2\\\n");
    free(text);
}

/* Files written by the real mosquitto_passwd stay as mosquitto wrote
 * them when petrel-passwd edits other users, and the reverse. */
static void test_mosquitto_passwd_interop(void **state)
{
    (void)state;
    const char *found = th_which("mosquitto_passwd");
    if (found == NULL) {
        printf("# SKIP: mosquitto_passwd is not installed (Debian package mosquitto)\n");
        skip();
    }
    char mp[PATH_MAX];
    snprintf(mp, sizeof mp, "%s", found);
    const char *f = th_path(dir, "mixed");
    char *a1[] = {mp, "-c", "-b", (char *)f, "alice", "secret", NULL};
    char *a2[] = {mp, "-H", "sha512", "-b", (char *)f, "bob", "hunter2", NULL};
    assert_int_equal(th_run(a1, NULL, NULL), 0);
    assert_int_equal(th_run(a2, NULL, NULL), 0);
    char *alice = line_of(f, "alice:"), *bob = line_of(f, "bob:");

    assert_int_equal(passwd_run(NULL, "-b", f, "carol", "c-pw", NULL), 0);
    assert_int_equal(passwd_run(NULL, "-U", f, NULL), 0);
    char *alice2 = line_of(f, "alice:"), *bob2 = line_of(f, "bob:");
    assert_string_equal(alice, alice2);
    assert_string_equal(bob, bob2);
    assert_true(verifies(f, AUTH_FMT_MOSQUITTO, "alice", "secret"));
    assert_true(verifies(f, AUTH_FMT_MOSQUITTO, "bob", "hunter2"));
    assert_true(verifies(f, AUTH_FMT_MOSQUITTO, "carol", "c-pw"));
    assert_int_equal(passwd_run(NULL, "-D", f, "bob", NULL), 0);

    /* mosquitto_passwd edits the file petrel-passwd wrote, keeping ours,
     * SCRAM secrets included (but its -U would hash those again). */
    assert_int_equal(passwd_run(NULL, "-b", "--scram", f, "erin", "e-pw", NULL), 0);
    char *erin = line_of(f, "erin:");
    char *carol = line_of(f, "carol:");
    char *a3[] = {mp, "-b", (char *)f, "dave", "d-pw", NULL};
    assert_int_equal(th_run(a3, NULL, NULL), 0);
    char *carol2 = line_of(f, "carol:"), *erin2 = line_of(f, "erin:");
    assert_string_equal(carol, carol2);
    assert_string_equal(erin, erin2);
    assert_true(verifies(f, AUTH_FMT_MOSQUITTO, "dave", "d-pw"));

    /* And the broker loads the result. */
    struct auth_config cfg = {false, f, NULL, NULL, NULL};
    char err[512];
    struct auth *a = auth_load(&cfg, err, sizeof err);
    assert_non_null(a);
    struct slice u = SLICE_LIT("carol"), p = SLICE_LIT("c-pw");
    assert_int_equal(auth_check_password(a, &u, &p), AUTH_OK);
    assert_int_equal(auth_user_count(a), 4);
    auth_unref(a);
    free(alice);
    free(bob);
    free(alice2);
    free(bob2);
    free(carol);
    free(carol2);
    free(erin);
    free(erin2);
}

int main(int argc, char **argv)
{
    (void)argc;
    /* The tool is built into bin/ beside this test's tests/ directory. */
    char self[PATH_MAX];
    snprintf(self, sizeof self, "%s", argv[0]);
    char *slash = strrchr(self, '/');
    snprintf(tool, sizeof tool, "%s/../bin/petrel-passwd", slash ? (*slash = '\0', self) : ".");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mosquitto_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apollo_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scram, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stdin_password, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mosquitto_passwd_interop, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
