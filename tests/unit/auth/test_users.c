/*
 * test_users.c - user and group files (src/auth/users.c, groups.c,
 * text.c): mosquitto password_file, Apollo users.properties with its
 * escapes, groups.properties, and the exact "file:line: why" messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "auth/auth_int.h"
#include "helpers.h"

static const char H7[] = "$7$101$w5fvsB6jcXtfC408$Ky5H96Si84njWMdPBek3hqvckGLRk5PBOvuXsqaJc5GRinu"
                         "BjgqQxma9sESzFd68ZhDTCgkCNt0tkZnW92TRUg=="; /* "secret" */

static char err[512];

static int parse(struct auth_users *u, enum auth_file_format fmt, const char *name,
                 const char *text, size_t len)
{
    memset(u, 0, sizeof *u);
    err[0] = '\0';
    return auth_users_parse(u, fmt, name, (const uint8_t *)text, len, err, sizeof err);
}

static int parse_str(struct auth_users *u, enum auth_file_format fmt, const char *text)
{
    return parse(u, fmt, fmt == AUTH_FMT_MOSQUITTO ? "pw" : "users.properties", text, strlen(text));
}

/* Parses text (a one-user file) expecting failure with message want. */
static void expect_error(enum auth_file_format fmt, const char *text, size_t len, const char *want)
{
    struct auth_users u;
    const char *name = fmt == AUTH_FMT_MOSQUITTO ? "pw" : "users.properties";
    if (parse(&u, fmt, name, text, len) != -1)
        fail_msg("accepted: %s", text);
    assert_string_equal(err, want);
    assert_int_equal(u.n, 0);
    assert_null(u.v);
}

static const char *stored(const struct auth_users *u, const char *name)
{
    const struct auth_user *e = auth_users_find(u, slice_cstr(name));
    return e ? e->stored : NULL;
}

static void test_passwd_file(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof text, "# comment\n\n  \nalice:%s\r\n  # indented comment\nbob:%s", H7,
             H7);
    struct auth_users u;
    assert_int_equal(parse_str(&u, AUTH_FMT_MOSQUITTO, text), 0);
    assert_int_equal(u.n, 2);
    assert_int_equal(u.plain, 0);
    assert_string_equal(stored(&u, "alice"), H7);
    assert_string_equal(stored(&u, "bob"), H7);
    assert_null(stored(&u, "carol"));
    assert_null(stored(&u, "alic"));
    assert_null(stored(&u, "alicee"));
    assert_int_equal(auth_users_find(&u, slice_cstr("bob"))->line, 6);
    auth_users_fini(&u);
    /* An empty file is an empty list. */
    assert_int_equal(parse_str(&u, AUTH_FMT_MOSQUITTO, ""), 0);
    assert_int_equal(u.n, 0);
    auth_users_fini(&u);
}

static void test_passwd_errors(void **state)
{
    (void)state;
    char text[1024];
    expect_error(AUTH_FMT_MOSQUITTO, "# c\nalice\n", 10, "pw:2: expected user:password");
    expect_error(AUTH_FMT_MOSQUITTO, ":x\n", 3, "pw:1: missing user name before ':'");
    expect_error(AUTH_FMT_MOSQUITTO, "a:\n", 3, "pw:1: user 'a': empty password");
    expect_error(AUTH_FMT_MOSQUITTO, "a:plain\n", 8,
                 "pw:1: user 'a': password is not a hash ($7$, $6$, $argon2id$ or $scram$); "
                 "hash the file with petrel-passwd -U");
    expect_error(AUTH_FMT_MOSQUITTO, "\n\na:$7$x$y$z", 11,
                 "pw:3: user 'a': iteration count is not a number from 1 to 2147483647");
    expect_error(AUTH_FMT_MOSQUITTO, "a:$6$AAAA$AAAA\n", 15,
                 "pw:1: user 'a': hash is not base64 of 64 bytes");
    expect_error(AUTH_FMT_MOSQUITTO, "a:$6$*$AAAA\n", 12,
                 "pw:1: user 'a': salt is not base64 of 1 to 64 bytes");
    expect_error(AUTH_FMT_MOSQUITTO, "a:x\0y\n", 6, "pw:1: NUL byte in line");
    int n = snprintf(text, sizeof text, "a:%s\nb:%s\n\na:%s\n", H7, H7, H7);
    expect_error(AUTH_FMT_MOSQUITTO, text, (size_t)n,
                 "pw:4: duplicate user 'a' (first defined on line 1)");
    /* Control bytes in a name are escaped in the message. */
    expect_error(AUTH_FMT_MOSQUITTO, "\x1b[2J:p\n", 7,
                 "pw:1: user '\\x1b[2J': password is not a hash ($7$, $6$, $argon2id$ or "
                 "$scram$); hash the file with petrel-passwd -U");
}

/* The committed Apollo users.properties fixture, every form in it. */
static void test_properties_fixture(void **state)
{
    (void)state;
    static const struct {
        const char *user, *pw;
    } known[] = {
        {"admin", "password"},
        {"spaced user name", "with trailing blanks"},
        {"colon", "also works"},
        {"blank", "the value after a blank"},
        {"esc=key:x\\y", "val=ue:z\\w "},
        {"argonuser", "correct horse"},
        {"hashed", "secret"},
        {"sha6", "pass word:with=chars"},
    };
    char *text = th_read(th_fixture("users.properties"));
    assert_non_null(text);
    struct auth_users u;
    assert_int_equal(parse_str(&u, AUTH_FMT_PROPERTIES, text), 0);
    assert_int_equal(u.n, 8);
    assert_int_equal(u.plain, 5);
    for (size_t i = 0; i < 8; i++) {
        const char *s = stored(&u, known[i].user);
        if (s == NULL)
            fail_msg("user '%s' missing", known[i].user);
        assert_true(auth_verify_password(s, slice_cstr(known[i].pw)));
        assert_false(auth_verify_password(s, slice_cstr("wrong")));
    }
    assert_string_equal(stored(&u, "esc=key:x\\y"), "val=ue:z\\w ");
    auth_users_fini(&u);
    free(text);
}

static void test_properties_forms(void **state)
{
    (void)state;
    struct auth_users u;
    assert_int_equal(parse_str(&u, AUTH_FMT_PROPERTIES,
                               "a=1\nb:2\nc 3\n d = 4 \n\te\t:\t5\t\nf==6\ng=x=y\n"
                               "h\\ i\\=j\\:k\\\\=\\ 7\\ \n"
                               "tab\\tkey=\\n\\r\\f\\q\n"
                               "#x=1\n!y=2\n   # z=3\r\n"),
                     0);
    assert_int_equal(u.n, 9);
    assert_string_equal(stored(&u, "a"), "1");
    assert_string_equal(stored(&u, "b"), "2");
    assert_string_equal(stored(&u, "c"), "3");
    assert_string_equal(stored(&u, "d"), "4");
    assert_string_equal(stored(&u, "e"), "5");
    assert_string_equal(stored(&u, "f"), "=6"); /* only one separator is eaten */
    assert_string_equal(stored(&u, "g"), "x=y");
    assert_string_equal(stored(&u, "h i=j:k\\"), " 7 ");
    assert_string_equal(stored(&u, "tab\tkey"), "\n\r\fq");
    assert_null(stored(&u, "#x"));
    assert_null(stored(&u, "!y"));
    auth_users_fini(&u);
}

static void test_properties_errors(void **state)
{
    (void)state;
    expect_error(AUTH_FMT_PROPERTIES, "=x\n", 3, "users.properties:1: missing name before '='");
    expect_error(AUTH_FMT_PROPERTIES, "# c\n:x\n", 7,
                 "users.properties:2: missing name before '='");
    expect_error(AUTH_FMT_PROPERTIES, "a=\n", 3, "users.properties:1: user 'a': empty password");
    expect_error(AUTH_FMT_PROPERTIES, "lonely\n", 7,
                 "users.properties:1: user 'lonely': empty password");
    expect_error(AUTH_FMT_PROPERTIES, "a=b\\\n  c\n", 9,
                 "users.properties:1: a '\\' at the end of a line (line continuation) is not "
                 "supported");
    expect_error(AUTH_FMT_PROPERTIES, "a\\u0041=b\n", 10,
                 "users.properties:1: \\u escapes are not supported; write the character in "
                 "UTF-8");
    expect_error(AUTH_FMT_PROPERTIES, "a=$7$101$AAAA\n", 14,
                 "users.properties:1: user 'a': missing '$' between salt and hash");
    expect_error(AUTH_FMT_PROPERTIES, "a=1\nb=2\na=3\n", 12,
                 "users.properties:3: duplicate user 'a' (first defined on line 1)");
    expect_error(AUTH_FMT_PROPERTIES, "a=\0\n", 4, "users.properties:1: NUL byte in line");
}

static char gerr[512];

static int gparse(struct auth_groups *g, const char *text)
{
    memset(g, 0, sizeof *g);
    gerr[0] = '\0';
    return auth_groups_parse(g, "groups.properties", (const uint8_t *)text, strlen(text), gerr,
                             sizeof gerr);
}

static bool member(const struct auth_groups *g, const char *group, const char *user)
{
    const struct auth_group *grp = auth_groups_find(g, slice_cstr(group));
    return grp && auth_group_has(grp, slice_cstr(user));
}

static void test_groups(void **state)
{
    (void)state;
    char *text = th_read(th_fixture("groups.properties"));
    assert_non_null(text);
    struct auth_groups g;
    assert_int_equal(gparse(&g, text), 0);
    free(text);
    assert_int_equal(g.n, 3);
    assert_true(member(&g, "admins", "admin"));
    assert_true(member(&g, "admins", "alice"));
    assert_false(member(&g, "admins", "bob"));
    assert_true(member(&g, "ops", "bob"));
    assert_true(member(&g, "ops", "carol"));
    assert_true(member(&g, "ops", "dave@example"));
    assert_false(member(&g, "ops", "dave"));
    assert_non_null(auth_groups_find(&g, slice_cstr("empty")));
    assert_int_equal(auth_groups_find(&g, slice_cstr("empty"))->n, 0);
    assert_false(member(&g, "empty", ""));
    assert_null(auth_groups_find(&g, slice_cstr("nobody")));
    auth_groups_fini(&g);

    assert_int_equal(gparse(&g, "g = b|a|b||a , c,\n"), 0);
    assert_int_equal(g.v[0].n, 3); /* a, b, c once each */
    assert_true(member(&g, "g", "a") && member(&g, "g", "b") && member(&g, "g", "c"));
    auth_groups_fini(&g);

    assert_int_equal(gparse(&g, "g=a\n\nh=b\ng=c\n"), -1);
    assert_string_equal(gerr, "groups.properties:4: duplicate group 'g' (first defined on line 1)");
    assert_int_equal(g.n, 0);
    assert_int_equal(gparse(&g, "ok=a\n=b\n"), -1);
    assert_string_equal(gerr, "groups.properties:2: missing name before '='");
    assert_int_equal(gparse(&g, "g=a\\\n"), -1);
    assert_string_equal(gerr, "groups.properties:1: a '\\' at the end of a line (line "
                              "continuation) is not supported");
}

static void test_text_lines(void **state)
{
    (void)state;
    struct auth_text t;
    struct slice l;
    auth_text_init(&t, "x", (const uint8_t *)"a\r\n\nb\rc\nlast", 12);
    assert_true(auth_text_next(&t, &l) && slice_eq_cstr(l, "a"));
    assert_true(auth_text_next(&t, &l) && slice_eq_cstr(l, ""));
    assert_true(auth_text_next(&t, &l) && slice_eq_cstr(l, "b\rc"));
    assert_true(auth_text_next(&t, &l) && slice_eq_cstr(l, "last"));
    assert_int_equal(t.line, 4);
    assert_false(auth_text_next(&t, &l));
    /* Unreadable files: "file: why". */
    char *data;
    size_t len;
    assert_int_equal(auth_file_read("/nonexistent/petrel/users", &data, &len, err, sizeof err), -1);
    assert_string_equal(err, "/nonexistent/petrel/users: No such file or directory");
    assert_int_equal(auth_file_read("/", &data, &len, err, sizeof err), -1);
    assert_string_equal(err, "/: is a directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passwd_file),        cmocka_unit_test(test_passwd_errors),
        cmocka_unit_test(test_properties_fixture), cmocka_unit_test(test_properties_forms),
        cmocka_unit_test(test_properties_errors),  cmocka_unit_test(test_groups),
        cmocka_unit_test(test_text_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
