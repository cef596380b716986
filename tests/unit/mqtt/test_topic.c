/*
 * test_topic.c - topic names, topic filters, shared subscriptions,
 * matching and level counting (MQTT 5.0 sections 4.7 and 4.8).
 */
#include "codec_test.h"

static bool name_ok(const char *s)
{
    return mqtt_topic_name_valid(slice_cstr(s));
}

static bool filter_ok(const char *s)
{
    return mqtt_topic_filter_valid(slice_cstr(s));
}

static void topic_names(void **state)
{
    (void)state;
    assert_true(name_ok("a"));
    assert_true(name_ok("a/b"));
    assert_true(name_ok("/"));
    assert_true(name_ok("a//b"));
    assert_true(name_ok(" "));
    assert_true(name_ok("$SYS/broker"));
    assert_false(name_ok(""));  /* [MQTT-4.7.3-1] */
    assert_false(name_ok("+")); /* [MQTT-3.3.2-2] */
    assert_false(name_ok("#"));
    assert_false(name_ok("a/+"));
    assert_false(name_ok("a#"));
    assert_false(name_ok("\xC0\xAF")); /* [MQTT-1.5.4-1] */
    assert_false(mqtt_topic_name_valid(SLICE_LIT("a\0b")));
}

static void topic_length_limits(void **state)
{
    (void)state;
    uint8_t *b = malloc(65536);
    assert_non_null(b);
    memset(b, 'a', 65536);
    assert_true(mqtt_topic_name_valid(slice_make(b, 65535)));
    assert_false(mqtt_topic_name_valid(slice_make(b, 65536)));
    assert_true(mqtt_topic_filter_valid(slice_make(b, 65535)));
    assert_false(mqtt_topic_filter_valid(slice_make(b, 65536)));
    free(b);
}

/* [MQTT-4.7.1-2] '#' last and alone; [MQTT-4.7.1-3] '+' a whole level. */
static void topic_filters_wildcards(void **state)
{
    (void)state;
    static const char *const good[] = {"#",  "+",   "+/+", "a/#", "a/+/b",  "/#",  "+/",
                                       "/+", "a/b", "//",  "+/#", "$SYS/#", "a/+", "$share"};
    static const char *const bad[] = {"",     "a#",   "a/#/b", "#/", "a+", "+a",
                                      "a/b+", "a/#b", "##",    "++", "#+", "a/+b/c"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!filter_ok(good[i]))
            fail_msg("should be valid: \"%s\"", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (filter_ok(bad[i]))
            fail_msg("should be invalid: \"%s\"", bad[i]);
    assert_false(mqtt_topic_filter_valid(SLICE_LIT("a/\xFF")));
}

/* [MQTT-4.8.2-1] [MQTT-4.8.2-2]: $share/{ShareName}/{filter}. */
static void shared_subscriptions(void **state)
{
    (void)state;
    assert_true(filter_ok("$share/g/a/b"));
    assert_true(filter_ok("$share/g/#"));
    assert_true(filter_ok("$share/g/+/x"));
    assert_true(filter_ok("$share/g//"));
    assert_false(filter_ok("$share/g"));  /* no filter */
    assert_false(filter_ok("$share/g/")); /* empty filter */
    assert_false(filter_ok("$share//a")); /* empty share name */
    assert_false(filter_ok("$share/"));
    assert_false(filter_ok("$share/g+/a")); /* wildcard in the share name */
    assert_false(filter_ok("$share/#/a"));
    assert_false(filter_ok("$share/g/a#"));

    struct slice group = SLICE_LIT("untouched"), real = group;
    assert_true(mqtt_topic_shared_split(SLICE_LIT("$share/grp/a/b"), &group, &real));
    assert_true(slice_eq_cstr(group, "grp"));
    assert_true(slice_eq_cstr(real, "a/b"));
    assert_true(mqtt_topic_shared_split(SLICE_LIT("$share/grp"), &group, &real));
    assert_true(slice_eq_cstr(group, "grp"));
    assert_int_equal(real.len, 0);
    group = real = SLICE_LIT("untouched");
    assert_false(mqtt_topic_shared_split(SLICE_LIT("$SHARE/g/a"), &group, &real));
    assert_false(mqtt_topic_shared_split(SLICE_LIT("$share"), &group, &real));
    assert_true(slice_eq_cstr(group, "untouched"));
    assert_true(slice_eq_cstr(real, "untouched"));
}

static void matching(void **state)
{
    (void)state;
    static const struct {
        const char *filter, *topic;
        bool match;
    } cases[] = {
        {"a/b", "a/b", true},
        {"a/b", "a/c", false},
        {"a/b", "a/b/", false},
        {"a/+", "a/b", true},
        {"a/+", "a/b/c", false},
        {"a/+/c", "a//c", true},
        {"a/#", "a", true}, /* the parent level too (4.7.1.2) */
        {"a/#", "a/b/c", true},
        {"a/#", "ab", false},
        {"#", "a/b", true},
        {"+", "a", true},
        {"+", "/", false},
        {"+/+", "/", true},
        {"/+", "/x", true},
        {"sport/+", "sport", false},
        {"sport/+", "sport/", true},
        {"sport/tennis/player1/#", "sport/tennis/player1", true},
        /* [MQTT-4.7.2-1]: no wildcard at the first level matches '$' topics. */
        {"#", "$SYS/x", false},
        {"+/x", "$SYS/x", false},
        {"+", "$", false},
        {"$SYS/#", "$SYS/x", true},
        {"$SYS/+", "$SYS/x", true},
        {"a/#", "a/$x", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool got = mqtt_topic_matches(slice_cstr(cases[i].filter), slice_cstr(cases[i].topic));
        if (got != cases[i].match)
            fail_msg("\"%s\" vs \"%s\": %d", cases[i].filter, cases[i].topic, got);
    }
}

static void levels(void **state)
{
    (void)state;
    assert_int_equal(mqtt_topic_levels(SLICE_LIT("a")), 1);
    assert_int_equal(mqtt_topic_levels(SLICE_LIT("a/b")), 2);
    assert_int_equal(mqtt_topic_levels(SLICE_LIT("/")), 2);
    assert_int_equal(mqtt_topic_levels(SLICE_LIT("a//b/")), 4);
    assert_int_equal(mqtt_topic_levels(SLICE_NULL), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(topic_names),
        cmocka_unit_test(topic_length_limits),
        cmocka_unit_test(topic_filters_wildcards),
        cmocka_unit_test(shared_subscriptions),
        cmocka_unit_test(matching),
        cmocka_unit_test(levels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
