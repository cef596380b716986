/*
 * test_acl.c - ACL files and decisions (src/auth/acl.c, acl_parse.c):
 * the anonymous, user and group blocks, patterns with %c/%u and the
 * injection cases, deny precedence, SUBSCRIBE filter coverage including
 * '#', '+', $SYS and shared subscriptions, and parse errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "auth/auth_int.h"
#include "mqtt/mqtt.h"

/* ---- Filter coverage ---------------------------------------------------- */

static const struct {
    const char *entry, *filter;
    bool covers;
} cover_cases[] = {
    {"a/#", "a/+/c", true},
    {"a/#", "a/#", true},
    {"a/#", "a", true},
    {"a/#", "a/b/c/d", true},
    {"a/#", "b", false},
    {"a/#", "ab/c", false},
    {"a/+", "a/#", false},
    {"a/+", "a/b", true},
    {"a/+", "a/+", true},
    {"a/+", "a", false},
    {"a/+", "a/b/c", false},
    {"a/b", "a/+", false},
    {"a/b", "a/b", true},
    {"a/b", "a/b/c", false},
    {"a/b/c", "a/b", false},
    {"a/+/#", "a/#", false},
    {"a/+/#", "a/b", true},
    {"a/+/c", "a/+/c", true},
    {"a/+/c", "a/b/+", false},
    {"+/+", "a/b", true},
    {"+/+", "+/+", true},
    {"+/+", "a/b/c", false},
    {"+", "+", true},
    {"+", "a/b", false},
    {"+", "#", false},
    {"+/#", "#", true},
    {"#", "+", true},
    {"#", "#", true},
    {"#", "a/b", true},
    {"#", "/", true},
    {"/#", "/a", true},
    {"+/a", "/a", true},
    {"a/+/b", "a//b", true},
    {"a//b", "a/+/b", false},
    /* [MQTT-4.7.2-1]: first-level wildcards do not reach '$' topics. */
    {"#", "$SYS/#", false},
    {"#", "$SYS/x", false},
    {"+/#", "$SYS/x", false},
    {"+/x", "$SYS/x", false},
    {"$SYS/#", "$SYS/broker/load", true},
    {"$SYS/#", "$SYS/#", true},
    {"$SYS/#", "$SYS", true},
    {"$SYS/+", "$SYS/#", false},
    {"$SYS/broker/#", "$SYS/#", false},
    {"#", "+/$x", true}, /* '$' only matters in the first level */
};

/* Topics to check the claim "entry covers filter" against matching. */
static const char *const sample_topics[] = {
    "a",    "a/b",  "a/b/c",  "a/b/c/d",          "a/x/c", "a//b",  "/",   "/a", "//", "b",
    "ab/c", "$SYS", "$SYS/x", "$SYS/broker/load", "x/$y",  "a/b/x", "a/c",
};

static void test_covers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cover_cases / sizeof cover_cases[0]; i++) {
        struct slice e = slice_cstr(cover_cases[i].entry), f = slice_cstr(cover_cases[i].filter);
        assert_true(mqtt_topic_filter_valid(e) && mqtt_topic_filter_valid(f));
        if (auth_filter_covers(e, f) != cover_cases[i].covers)
            fail_msg("covers(%s, %s) should be %d", cover_cases[i].entry, cover_cases[i].filter,
                     cover_cases[i].covers);
        if (!cover_cases[i].covers)
            continue;
        /* A claimed cover holds on every sample topic. */
        for (size_t t = 0; t < sizeof sample_topics / sizeof sample_topics[0]; t++) {
            struct slice topic = slice_cstr(sample_topics[t]);
            if (mqtt_topic_matches(f, topic) && !mqtt_topic_matches(e, topic))
                fail_msg("%s covers %s but misses %s", cover_cases[i].entry, cover_cases[i].filter,
                         sample_topics[t]);
        }
    }
}

/* ---- Decisions ----------------------------------------------------------- */

static const char groups_text[] = "admins=carol\nops=dave|alice\nempty=\n";

static const char acl_text[] = "# anonymous clients\n"
                               "topic read public/#\n"
                               "topic deny public/secret\n"
                               "\n"
                               "user alice\n"
                               "topic readwrite alice/#\n"
                               "topic write shared/in\n"
                               "topic read $SYS/broker/#\n"
                               "\n"
                               "user bob\n"
                               "topic bob/#\n"
                               "topic deny bob/private/#\n"
                               "\n"
                               "group ops\n"
                               "topic read ops/#\n"
                               "topic deny ops/hidden\n"
                               "\n"
                               "group admins\n"
                               "topic readwrite #\n"
                               "\n"
                               "pattern read devices/%c/cmd\n"
                               "pattern write devices/%c/status\n"
                               "pattern readwrite users/%u/#\n"
                               "pattern deny %u/forbidden\n"
                               "user alice\n"
                               "topic read more/alice\n"
                               "group empty\n"
                               "topic read empty/#\n";

struct fixture {
    struct auth_groups groups;
    struct auth_acl acl;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    char err[256];
    if (auth_groups_parse(&f->groups, "groups", (const uint8_t *)groups_text, strlen(groups_text),
                          err, sizeof err) < 0 ||
        auth_acl_parse(&f->acl, &f->groups, "acl", (const uint8_t *)acl_text, strlen(acl_text), err,
                       sizeof err) < 0) {
        fprintf(stderr, "setup: %s\n", err);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    auth_acl_fini(&f->acl);
    auth_groups_fini(&f->groups);
    free(f);
    return 0;
}

#define R AUTH_ACCESS_READ
#define W AUTH_ACCESS_WRITE
#define S AUTH_ACCESS_SUBSCRIBE

/* user NULL: anonymous. */
static bool allow(void **state, const char *cid, const char *user, const char *topic,
                  enum auth_access a)
{
    struct fixture *f = *state;
    struct slice u = slice_cstr(user);
    return auth_acl_check(&f->acl, slice_cstr(cid), user ? &u : NULL, slice_cstr(topic), a);
}

static void test_anonymous(void **state)
{
    assert_true(allow(state, "c", NULL, "public/a", R));
    assert_false(allow(state, "c", NULL, "public/a", W));
    assert_false(allow(state, "c", NULL, "public/secret", R)); /* deny wins */
    assert_true(allow(state, "c", NULL, "public/secret/x", R));
    assert_true(allow(state, "c", NULL, "public/#", S));       /* deny only overlaps */
    assert_false(allow(state, "c", NULL, "public/secret", S)); /* deny covers */
    assert_false(allow(state, "c", NULL, "#", S));
    assert_false(allow(state, "c", NULL, "alice/x", R));
    assert_false(allow(state, "c", NULL, "users//x", R));           /* %u needs a user name */
    assert_true(allow(state, "dev1", NULL, "devices/dev1/cmd", R)); /* patterns apply */
}

static void test_user_block(void **state)
{
    assert_true(allow(state, "c", "alice", "alice/x", R));
    assert_true(allow(state, "c", "alice", "alice/x", W));
    assert_true(allow(state, "c", "alice", "alice", W)); /* alice/# matches alice */
    assert_true(allow(state, "c", "alice", "alice/#", S));
    assert_false(allow(state, "c", "alice", "public/a", R)); /* anonymous block is not hers */
    assert_true(allow(state, "c", "alice", "shared/in", W));
    assert_false(allow(state, "c", "alice", "shared/in", R));
    assert_false(allow(state, "c", "alice", "shared/in", S));
    assert_true(allow(state, "c", "alice", "$SYS/broker/load", R));
    assert_true(allow(state, "c", "alice", "$SYS/broker/#", S));
    assert_false(allow(state, "c", "alice", "$SYS/#", S));
    assert_true(allow(state, "c", "alice", "more/alice", R)); /* second block merged */
    assert_true(allow(state, "c", "bob", "bob/x", W));
    assert_false(allow(state, "c", "bob", "bob/private/x", W));
    assert_true(allow(state, "c", "bob", "bob/#", S));
    assert_false(allow(state, "c", "bob", "bob/private/#", S));
    assert_false(allow(state, "c", "bob", "bob/private/a", S));
    assert_false(allow(state, "c", "bob", "alice/x", R));
    /* A user name that is a prefix of another is another user. */
    assert_false(allow(state, "c", "alic", "alice/x", R));
    /* The empty user name is a user, not anonymous. */
    assert_false(allow(state, "c", "", "public/a", R));
}

static void test_group_block(void **state)
{
    assert_true(allow(state, "c", "alice", "ops/x", R)); /* alice is in ops */
    assert_false(allow(state, "c", "alice", "ops/x", W));
    assert_false(allow(state, "c", "alice", "ops/hidden", R));
    assert_true(allow(state, "c", "alice", "ops/#", S));
    assert_false(allow(state, "c", "alice", "ops/hidden", S));
    assert_true(allow(state, "c", "dave", "ops/x", R)); /* no user block, group only */
    assert_false(allow(state, "c", "dave", "dave/x", R));
    assert_false(allow(state, "c", "bob", "ops/x", R));
    /* admins: readwrite #, but not $SYS [MQTT-4.7.2-1], nor a pattern's deny. */
    assert_true(allow(state, "c", "carol", "anything/at/all", W));
    assert_true(allow(state, "c", "carol", "#", S));
    assert_true(allow(state, "c", "carol", "+/x", S));
    assert_false(allow(state, "c", "carol", "$SYS/x", R));
    assert_false(allow(state, "c", "carol", "$SYS/#", S));
    assert_false(allow(state, "c", "carol", "carol/forbidden", W));
    assert_false(allow(state, "c", "carol", "carol/forbidden", S));
    assert_true(allow(state, "c", "carol", "carol/forbidden/not", W));
}

static void test_patterns(void **state)
{
    assert_true(allow(state, "dev1", "zed", "devices/dev1/cmd", R));
    assert_false(allow(state, "dev1", "zed", "devices/dev1/cmd", W));
    assert_true(allow(state, "dev1", "zed", "devices/dev1/status", W));
    assert_false(allow(state, "dev1", "zed", "devices/dev2/cmd", R));
    assert_true(allow(state, "dev1", "zed", "devices/dev1/cmd", S));
    assert_false(allow(state, "dev1", "zed", "devices/+/cmd", S));
    assert_true(allow(state, "x", "zed", "users/zed/a/b", W));
    assert_true(allow(state, "x", "zed", "users/zed/#", S));
    assert_false(allow(state, "x", "zed", "users/zeb/a", R));
    assert_false(allow(state, "x", "zed", "zed/forbidden", R));
    /* An empty client id substitutes as an empty level. */
    assert_true(allow(state, "", "zed", "devices//cmd", R));
}

/* A client id or user name holding '+', '#' or '/' must not widen a
 * pattern: "+" would make devices/%c/cmd cover devices/+/cmd. */
static void test_pattern_injection(void **state)
{
    assert_false(allow(state, "+", "zed", "devices/+/cmd", S));
    assert_false(allow(state, "+", "zed", "devices/x/cmd", R));
    assert_false(allow(state, "#", "zed", "devices/x/cmd", R));
    assert_false(allow(state, "#", "zed", "devices/#", S));
    assert_false(allow(state, "a/b", "zed", "devices/a/b/cmd", R));
    assert_false(allow(state, "x", "+", "users/+/#", S));
    assert_false(allow(state, "x", "+", "users/bob/a", R));
    assert_false(allow(state, "x", "#", "users/#", S));
    assert_false(allow(state, "x", "a/b", "users/a/b/c", R));
    /* A deny pattern with such a value fails closed: everything is refused,
     * even what another pattern grants. */
    assert_true(allow(state, "dev1", "ab", "devices/dev1/cmd", R));
    assert_false(allow(state, "dev1", "a+b", "devices/dev1/cmd", R));
    assert_false(allow(state, "dev1", "a/b", "devices/dev1/cmd", R));
    /* The other patterns still work for such a client. */
    assert_true(allow(state, "ok", "zed", "devices/ok/cmd", R));
}

static void test_leading_dollar(void **state)
{
    (void)state;
    const char text[] = "pattern read %c/#\npattern read x/%c\n";
    struct auth_acl acl = {0};
    char err[256];
    assert_int_equal(
        auth_acl_parse(&acl, NULL, "acl", (const uint8_t *)text, strlen(text), err, sizeof err), 0);
    struct slice u = SLICE_LIT("u");
    assert_true(auth_acl_check(&acl, SLICE_LIT("dev"), &u, SLICE_LIT("dev/a"), R));
    /* Client id "$SYS" must not turn %c/# into $SYS/#. */
    assert_false(auth_acl_check(&acl, SLICE_LIT("$SYS"), &u, SLICE_LIT("$SYS/x"), R));
    assert_false(auth_acl_check(&acl, SLICE_LIT("$SYS"), &u, SLICE_LIT("$SYS/#"), S));
    /* Later in the topic a '$' is an ordinary character. */
    assert_true(auth_acl_check(&acl, SLICE_LIT("$x"), &u, SLICE_LIT("x/$x"), R));
    auth_acl_fini(&acl);
}

static void test_shared(void **state)
{
    assert_true(allow(state, "c", "alice", "$share/g/alice/#", S));
    assert_true(allow(state, "c", "alice", "$share/g/ops/+", S));
    assert_false(allow(state, "c", "alice", "$share/g/public/#", S));
    assert_true(allow(state, "c", NULL, "$share/grp/public/#", S));
    assert_false(allow(state, "c", NULL, "$share/grp/public/secret", S));
    assert_false(allow(state, "c", "bob", "$share/g/bob/private/x", S));
    /* $share is only special for SUBSCRIBE. */
    assert_false(allow(state, "c", "alice", "$share/g/alice/x", R));
}

/* Deny wins whatever the order of the lines. */
static void test_deny_order(void **state)
{
    (void)state;
    const char text[] = "user u\ntopic deny a/b\ntopic readwrite a/#\n"
                        "user v\ntopic readwrite a/#\ntopic deny a/b\n";
    struct auth_acl acl = {0};
    char err[256];
    assert_int_equal(
        auth_acl_parse(&acl, NULL, "acl", (const uint8_t *)text, strlen(text), err, sizeof err), 0);
    struct slice u = SLICE_LIT("u"), v = SLICE_LIT("v");
    struct slice c = SLICE_LIT("c");
    assert_false(auth_acl_check(&acl, c, &u, SLICE_LIT("a/b"), W));
    assert_false(auth_acl_check(&acl, c, &v, SLICE_LIT("a/b"), W));
    assert_true(auth_acl_check(&acl, c, &u, SLICE_LIT("a/c"), W));
    assert_true(auth_acl_check(&acl, c, &v, SLICE_LIT("a/c"), R));
    auth_acl_fini(&acl);
}

/* ---- Parsing -------------------------------------------------------------- */

static void test_parse_forms(void **state)
{
    (void)state;
    const char text[] = "  # indented comment\r\n"
                        "topic a/b\r\n"           /* one word: readwrite */
                        "topic read with space\n" /* the rest of the line is the filter */
                        "topic\twrite\ttabbed/x  \n"
                        "user  spaced name  \n"
                        "topic read s/#\n";
    struct auth_acl acl = {0};
    char err[256];
    assert_int_equal(
        auth_acl_parse(&acl, NULL, "acl", (const uint8_t *)text, strlen(text), err, sizeof err), 0);
    struct slice c = SLICE_LIT("c"), sp = SLICE_LIT("spaced name");
    assert_true(auth_acl_check(&acl, c, NULL, SLICE_LIT("a/b"), R));
    assert_true(auth_acl_check(&acl, c, NULL, SLICE_LIT("a/b"), W));
    assert_true(auth_acl_check(&acl, c, NULL, SLICE_LIT("with space"), R));
    assert_false(auth_acl_check(&acl, c, NULL, SLICE_LIT("with space"), W));
    assert_true(auth_acl_check(&acl, c, NULL, SLICE_LIT("tabbed/x"), W));
    assert_true(auth_acl_check(&acl, c, &sp, SLICE_LIT("s/t"), R));
    auth_acl_fini(&acl);
}

static void expect_acl_error(const char *text, bool with_groups, const char *want)
{
    struct auth_groups g = {0};
    struct auth_acl acl = {0};
    char err[256] = "";
    assert_int_equal(auth_groups_parse(&g, "groups", (const uint8_t *)groups_text,
                                       strlen(groups_text), err, sizeof err),
                     0);
    int rc = auth_acl_parse(&acl, with_groups ? &g : NULL, "acl.conf", (const uint8_t *)text,
                            strlen(text), err, sizeof err);
    if (rc != -1)
        fail_msg("accepted: %s", text);
    assert_string_equal(err, want);
    assert_int_equal(acl.nusers + acl.ngroups + acl.anon.n + acl.patterns.n, 0);
    auth_groups_fini(&g);
}

static void test_parse_errors(void **state)
{
    (void)state;
    expect_acl_error("topic\n", false, "acl.conf:1: missing topic filter after 'topic'");
    expect_acl_error("# c\n\npattern   \n", false,
                     "acl.conf:3: missing topic filter after 'pattern'");
    expect_acl_error("topic reed a/b\n", false,
                     "acl.conf:1: bad access 'reed' (expected read, write, readwrite or deny)");
    expect_acl_error("user a\ntopic read a/#/b\n", false,
                     "acl.conf:2: invalid topic filter 'a/#/b'");
    expect_acl_error("topic a+\n", false, "acl.conf:1: invalid topic filter 'a+'");
    expect_acl_error("topic read $share/g/a\n", false,
                     "acl.conf:1: shared subscription filter '$share/g/a' in an ACL (write the "
                     "filter without $share/GROUP/)");
    expect_acl_error("user\n", false, "acl.conf:1: missing name after 'user'");
    expect_acl_error("group  \n", true, "acl.conf:1: missing name after 'group'");
    expect_acl_error("topic a\ngroup ops\n", false,
                     "acl.conf:2: group 'ops' but no groups_file is configured");
    expect_acl_error("group nope\n", true,
                     "acl.conf:1: group 'nope' is not defined in groups_file");
    expect_acl_error("toppic a\n", false,
                     "acl.conf:1: unknown directive 'toppic' (expected user, group, topic or "
                     "pattern)");
    expect_acl_error("user a\ntopic a\xff\n", false, "acl.conf:2: invalid topic filter 'a\\xff'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_covers),
        cmocka_unit_test_setup_teardown(test_anonymous, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_block, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_block, setup, teardown),
        cmocka_unit_test_setup_teardown(test_patterns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pattern_injection, setup, teardown),
        cmocka_unit_test(test_leading_dollar),
        cmocka_unit_test_setup_teardown(test_shared, setup, teardown),
        cmocka_unit_test(test_deny_order),
        cmocka_unit_test(test_parse_forms),
        cmocka_unit_test(test_parse_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
