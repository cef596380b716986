/*
 * test_args.c - src/cli/common_args.c: the command line of petrel-pub and
 * petrel-sub: defaults, every flag, mosquitto's spellings, and each
 * refused combination with the sentence a user reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli/common.h"

#define MAX_ARGS 32

/* Parses a NULL-terminated list of arguments (after the program name). */
static int parse_list(struct cli_opts *o, enum cli_tool tool, va_list ap)
{
    static char *argv[MAX_ARGS];
    int argc = 0;
    argv[argc++] = (char *)"prog";
    for (const char *a; (a = va_arg(ap, const char *)) != NULL;) {
        assert_true(argc < MAX_ARGS);
        argv[argc++] = (char *)a;
    }
    return cli_opts_parse(o, tool, argc, argv);
}

static int parse(struct cli_opts *o, enum cli_tool tool, ...)
{
    va_list ap;
    va_start(ap, tool);
    int rc = parse_list(o, tool, ap);
    va_end(ap);
    return rc;
}

/* Expects the arguments to be refused with exactly `want`. */
static void refused(enum cli_tool tool, const char *want, ...)
{
    struct cli_opts o;
    va_list ap;
    va_start(ap, want);
    int rc = parse_list(&o, tool, ap);
    va_end(ap);
    assert_int_equal(rc, CLI_PARSE_ERROR);
    assert_string_equal(o.err, want);
    cli_opts_fini(&o);
}

static void test_pub_defaults(void **state)
{
    struct cli_opts o;
    assert_int_equal(parse(&o, CLI_PUB, "-t", "a/b", "-m", "hi", NULL), CLI_PARSE_OK);
    assert_string_equal(o.host, "localhost");
    assert_int_equal(o.port, 1883);
    assert_int_equal(o.version, MQTT_V311);
    assert_int_equal(o.keep_alive, 60);
    assert_int_equal(o.qos, 0);
    assert_true(o.clean);
    assert_false(o.retain);
    assert_false(o.debug);
    assert_null(o.id);
    assert_int_equal(o.repeat, 1);
    assert_int_equal(o.session_expiry, 0);
    assert_int_equal(o.source, CLI_SRC_MESSAGE);
    assert_string_equal(o.topic, "a/b");
    assert_string_equal(o.message, "hi");
    cli_opts_fini(&o);
}

static void test_pub_every_flag(void **state)
{
    struct cli_opts o;
    assert_int_equal(parse(&o, CLI_PUB, "-h", "::1", "-p", "1884", "-t", "t", "-f", "/x", "-q", "2",
                           "-r", "-i", "me", "-u", "user", "-P", "pw", "-k", "0", "-V", "mqttv5",
                           "-d", "--repeat", "3", "--repeat-delay", "0.25", NULL),
                     CLI_PARSE_OK);
    assert_string_equal(o.host, "::1");
    assert_int_equal(o.port, 1884);
    assert_int_equal(o.source, CLI_SRC_FILE);
    assert_string_equal(o.file, "/x");
    assert_int_equal(o.qos, 2);
    assert_true(o.retain);
    assert_string_equal(o.id, "me");
    assert_string_equal(o.username, "user");
    assert_string_equal(o.password, "pw");
    assert_int_equal(o.keep_alive, 0);
    assert_int_equal(o.version, MQTT_V5);
    assert_true(o.debug);
    assert_int_equal(o.repeat, 3);
    assert_int_equal(o.repeat_delay_ms, 250);
    cli_opts_fini(&o);
}

static void test_long_names(void **state)
{
    struct cli_opts o;
    assert_int_equal(parse(&o, CLI_PUB, "--host", "h", "--port", "2", "--topic", "t", "--qos", "1",
                           "--stdin-line", "--retain", "--id", "i", "--username", "u", "--pw", "p",
                           "--keepalive", "5", "--protocol-version", "31", "--debug", NULL),
                     CLI_PARSE_OK);
    assert_string_equal(o.host, "h");
    assert_int_equal(o.port, 2);
    assert_int_equal(o.source, CLI_SRC_LINES);
    assert_int_equal(o.version, MQTT_V31);
    assert_int_equal(o.keep_alive, 5);
    cli_opts_fini(&o);
}

static void test_sources(void **state)
{
    static const struct {
        const char *flag;
        enum cli_source source;
    } cases[] = {{"-l", CLI_SRC_LINES},
                 {"-n", CLI_SRC_NULL},
                 {"-s", CLI_SRC_STDIN},
                 {"--null-message", CLI_SRC_NULL},
                 {"--stdin-file", CLI_SRC_STDIN}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cli_opts o;
        assert_int_equal(parse(&o, CLI_PUB, "-t", "t", cases[i].flag, NULL), CLI_PARSE_OK);
        assert_int_equal(o.source, cases[i].source);
        cli_opts_fini(&o);
    }
    refused(CLI_PUB, "only one of -m, -f, -l, -n, -s may be given", "-t", "t", "-m", "x", "-n",
            NULL);
    refused(CLI_PUB, "only one of -m, -f, -l, -n, -s may be given", "-t", "t", "-l", "-s", NULL);
    refused(CLI_PUB, "no message given: use one of -m, -f, -l, -n, -s", "-t", "t", NULL);
    refused(CLI_PUB, "--repeat and --repeat-delay do not go with -l", "-t", "t", "-l", "--repeat",
            "2", NULL);
}

static void test_value_may_start_with_dash(void **state)
{
    struct cli_opts o;
    assert_int_equal(parse(&o, CLI_PUB, "-t", "t", "-m", "-5", NULL), CLI_PARSE_OK);
    assert_string_equal(o.message, "-5");
    cli_opts_fini(&o);
}

static void test_versions(void **state)
{
    static const struct {
        const char *name;
        uint8_t version;
    } cases[] = {{"31", MQTT_V31},        {"mqttv31", MQTT_V31}, {"311", MQTT_V311},
                 {"mqttv311", MQTT_V311}, {"5", MQTT_V5},        {"mqttv5", MQTT_V5}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cli_opts o;
        assert_int_equal(parse(&o, CLI_SUB, "-t", "t", "-V", cases[i].name, NULL), CLI_PARSE_OK);
        assert_int_equal(o.version, cases[i].version);
        assert_true(o.version_set);
        cli_opts_fini(&o);
    }
    refused(CLI_SUB, "option -V: unknown MQTT version '4' (use 31, 311 or 5)", "-t", "t", "-V", "4",
            NULL);
}

static void test_numbers(void **state)
{
    refused(CLI_PUB, "option -p: '0' is not a number from 1 to 65535", "-p", "0", NULL);
    refused(CLI_PUB, "option -p: '65536' is not a number from 1 to 65535", "-p", "65536", NULL);
    refused(CLI_PUB, "option -p: '12a' is not a number from 1 to 65535", "-p", "12a", NULL);
    refused(CLI_PUB, "option -p: '+1' is not a number from 1 to 65535", "-p", "+1", NULL);
    refused(CLI_PUB, "option -k: '65536' is not a number from 0 to 65535", "-k", "65536", NULL);
    refused(CLI_PUB, "option -q: QoS must be 0, 1 or 2, not '3'", "-q", "3", NULL);
    refused(CLI_SUB, "option -C: '0' is not a number from 1 to 18446744073709551615", "-C", "0",
            NULL);
    refused(CLI_SUB, "option -W: '-1' is not a number from 1 to 4294967295", "-W", "-1", NULL);
    refused(CLI_PUB, "option --repeat-delay: 'soon' is not a number of seconds (0 to 86400)",
            "--repeat-delay", "soon", NULL);
    refused(CLI_PUB, "option --repeat-delay: 'nan' is not a number of seconds (0 to 86400)",
            "--repeat-delay", "nan", NULL);
    refused(CLI_PUB, "option -h: the host name is empty", "-h", "", NULL);
}

static void test_unknown_and_missing(void **state)
{
    refused(CLI_PUB, "unknown option '--nope'", "--nope", NULL);
    refused(CLI_PUB, "unexpected argument 'stray'", "-t", "t", "stray", NULL);
    refused(CLI_PUB, "option -p needs 1 value", "-t", "t", "-m", "x", "-p", NULL);
    refused(CLI_PUB, "option -D needs 3 values", "-D", "publish", "content-type", NULL);
    /* Flags of the other tool are unknown. */
    refused(CLI_SUB, "unknown option '-m'", "-t", "t", "-m", "x", NULL);
    refused(CLI_PUB, "unknown option '-v'", "-t", "t", "-m", "x", "-v", NULL);
    refused(CLI_PUB, "only one topic may be given (-t twice)", "-t", "a", "-t", "b", NULL);
}

static void test_help_and_version(void **state)
{
    struct cli_opts o;
    assert_int_equal(parse(&o, CLI_PUB, "--help", NULL), CLI_PARSE_HELP);
    cli_opts_fini(&o);
    assert_int_equal(parse(&o, CLI_SUB, "-t", "x", "--version", NULL), CLI_PARSE_VERSION);
    cli_opts_fini(&o);
}

static void test_sub_flags(void **state)
{
    struct cli_opts o;
    assert_int_equal(parse(&o, CLI_SUB, "-t", "a/#", "-t", "+/b", "-T", "a/x", "-U", "c", "-v",
                           "-N", "-R", "-C", "5", "-W", "3", "-q", "1", NULL),
                     CLI_PARSE_OK);
    assert_int_equal(o.topics.n, 2);
    assert_string_equal(o.topics.v[0], "a/#");
    assert_string_equal(o.topics.v[1], "+/b");
    assert_int_equal(o.filter_out.n, 1);
    assert_int_equal(o.unsubscribe.n, 1);
    assert_true(o.verbose);
    assert_true(o.no_newline);
    assert_true(o.no_stale);
    assert_int_equal(o.count, 5);
    assert_int_equal(o.timeout_s, 3);
    assert_int_equal(o.qos, 1);
    cli_opts_fini(&o);
    /* -U alone (a persistent session's cleanup) is enough. */
    assert_int_equal(parse(&o, CLI_SUB, "-U", "x", "-c", "-i", "me", NULL), CLI_PARSE_OK);
    cli_opts_fini(&o);
}

static void test_topics_checked(void **state)
{
    refused(CLI_PUB, "no topic given (-t)", "-m", "x", NULL);
    refused(CLI_PUB, "'a/#' is not a valid topic name (no + or #, not empty)", "-t", "a/#", "-m",
            "x", NULL);
    refused(CLI_PUB, "'' is not a valid topic name (no + or #, not empty)", "-t", "", "-m", "x",
            NULL);
    refused(CLI_SUB, "no topic given (-t)", "-v", NULL);
    refused(CLI_SUB, "-t 'a/#/b' is not a valid topic filter", "-t", "a/#/b", NULL);
    refused(CLI_SUB, "-T 'a+' is not a valid topic filter", "-t", "a", "-T", "a+", NULL);
    refused(CLI_SUB, "-U '' is not a valid topic filter", "-t", "a", "-U", "", NULL);
    refused(CLI_SUB, "-t '\xff' is not a valid topic filter", "-t", "\xff", NULL);
}

static void test_sessions(void **state)
{
    struct cli_opts o;
    refused(CLI_SUB, "-c (persistent session) needs a client id (-i)", "-t", "t", "-c", NULL);
    /* v5 -c: the session never expires unless -x says otherwise. */
    assert_int_equal(parse(&o, CLI_SUB, "-t", "t", "-c", "-i", "me", "-V", "5", NULL),
                     CLI_PARSE_OK);
    assert_false(o.clean);
    assert_int_equal(o.session_expiry, UINT32_MAX);
    cli_opts_fini(&o);
    assert_int_equal(parse(&o, CLI_SUB, "-t", "t", "-c", "-i", "me", "-V", "311", NULL),
                     CLI_PARSE_OK);
    assert_int_equal(o.session_expiry, 0);
    cli_opts_fini(&o);
    /* -x alone selects MQTT 5; its spellings of "never". */
    const char *never[] = {"-1", "4294967295", "\xe2\x88\x9e"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(parse(&o, CLI_SUB, "-t", "t", "-i", "me", "-x", never[i], NULL),
                         CLI_PARSE_OK);
        assert_int_equal(o.version, MQTT_V5);
        assert_int_equal(o.session_expiry, UINT32_MAX);
        cli_opts_fini(&o);
    }
    refused(CLI_SUB, "-x needs MQTT 5 (-V 5)", "-t", "t", "-i", "me", "-x", "10", "-V", "311",
            NULL);
    refused(CLI_SUB, "a session that outlives the connection (-x) needs a client id (-i)", "-t",
            "t", "-x", "10", NULL);
    assert_int_equal(parse(&o, CLI_SUB, "-t", "t", "-x", "0", NULL), CLI_PARSE_OK);
    cli_opts_fini(&o);
    refused(CLI_SUB, "option -x: '-2' is not a number from 0 to 4294967295", "-x", "-2", NULL);
}

static void test_session_expiry_by_property(void **state)
{
    struct cli_opts o;
    assert_int_equal(parse(&o, CLI_SUB, "-t", "t", "-i", "me", "-D", "connect",
                           "session-expiry-interval", "30", NULL),
                     CLI_PARSE_OK);
    assert_true(o.session_expiry_set);
    assert_int_equal(o.session_expiry, 30);
    /* Moved out of the property set: CONNECT writes it from o.session_expiry. */
    assert_false(MQTT_PROP_HAS(&o.props[CLI_CMD_CONNECT].p, MQTT_PROP_SESSION_EXPIRY_INTERVAL));
    cli_opts_fini(&o);
    refused(CLI_SUB, "-x and -D connect session-expiry-interval both given", "-t", "t", "-i", "me",
            "-x", "5", "-D", "connect", "session-expiry-interval", "30", NULL);
    refused(CLI_SUB,
            "a DISCONNECT session expiry needs a non-zero one at CONNECT (-x), see 3.14.2.2.2",
            "-t", "t", "-D", "disconnect", "session-expiry-interval", "30", NULL);
    assert_int_equal(parse(&o, CLI_SUB, "-t", "t", "-i", "me", "-x", "5", "-D", "disconnect",
                           "session-expiry-interval", "30", NULL),
                     CLI_PARSE_OK);
    cli_opts_fini(&o);
}

static void test_properties_select_v5(void **state)
{
    struct cli_opts o;
    assert_int_equal(
        parse(&o, CLI_PUB, "-t", "t", "-m", "x", "-D", "publish", "user-property", "k", "v", NULL),
        CLI_PARSE_OK);
    assert_int_equal(o.version, MQTT_V5);
    assert_true(o.props_set);
    /* Both strings of the pair were used, in order (regression: they were
     * swapped, found by 13-cli-interop). */
    static const uint8_t want[] = {0x26, 0, 1, 'k', 0, 1, 'v'};
    assert_int_equal(o.props[CLI_CMD_PUBLISH].p.passthrough.len, sizeof want);
    assert_memory_equal(o.props[CLI_CMD_PUBLISH].p.passthrough.ptr, want, sizeof want);
    cli_opts_fini(&o);
    refused(CLI_PUB, "-D needs MQTT 5 (-V 5)", "-V", "311", "-t", "t", "-m", "x", "-D", "publish",
            "content-type", "a", NULL);
    refused(CLI_PUB, "option -D: user-property needs a name and a value", "-t", "t", "-m", "x",
            "-D", "publish", "user-property", "k", NULL);
}

static void test_credentials(void **state)
{
    struct cli_opts o;
    refused(CLI_PUB, "a password (-P) needs a user name (-u) before MQTT 5 [MQTT-3.1.2-22]", "-t",
            "t", "-m", "x", "-P", "pw", NULL);
    assert_int_equal(parse(&o, CLI_PUB, "-t", "t", "-m", "x", "-P", "pw", "-V", "5", NULL),
                     CLI_PARSE_OK);
    cli_opts_fini(&o);
    refused(CLI_PUB, "MQTT 3.1 client ids are 1 to 23 characters", "-t", "t", "-m", "x", "-V", "31",
            "-i", "123456789012345678901234", NULL);
    refused(CLI_PUB, "the client id is not valid UTF-8", "-t", "t", "-m", "x", "-i", "\xc0\x80",
            NULL);
}

static void test_will(void **state)
{
    struct cli_opts o;
    assert_int_equal(parse(&o, CLI_SUB, "-t", "t", "--will-topic", "w", "--will-payload", "bye",
                           "--will-qos", "2", "--will-retain", NULL),
                     CLI_PARSE_OK);
    assert_string_equal(o.will_topic, "w");
    assert_string_equal(o.will_payload, "bye");
    assert_int_equal(o.will_qos, 2);
    assert_true(o.will_retain);
    cli_opts_fini(&o);
    refused(CLI_SUB, "--will-payload, --will-qos and --will-retain need --will-topic", "-t", "t",
            "--will-retain", NULL);
    refused(CLI_SUB, "-D will needs --will-topic", "-t", "t", "-D", "will", "content-type", "x",
            NULL);
    refused(CLI_SUB, "'w/+' is not a valid will topic (no + or #, not empty)", "-t", "t",
            "--will-topic", "w/+", NULL);
    refused(CLI_SUB, "option --will-qos: QoS must be 0, 1 or 2, not 'x'", "--will-qos", "x", NULL);
}

static void test_parse_ulong(void **state)
{
    unsigned long v = 7;
    assert_true(cli_parse_ulong("0", 0, 10, &v));
    assert_int_equal(v, 0);
    assert_true(cli_parse_ulong("10", 0, 10, &v));
    assert_false(cli_parse_ulong("11", 0, 10, &v));
    assert_false(cli_parse_ulong("", 0, 10, &v));
    assert_false(cli_parse_ulong(" 1", 0, 10, &v));
    assert_false(cli_parse_ulong("1 ", 0, 10, &v));
    assert_false(cli_parse_ulong("-1", 0, 10, &v));
    assert_false(cli_parse_ulong("99999999999999999999999", 0, ~0ul, &v));
    assert_int_equal(v, 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pub_defaults),
        cmocka_unit_test(test_pub_every_flag),
        cmocka_unit_test(test_long_names),
        cmocka_unit_test(test_sources),
        cmocka_unit_test(test_value_may_start_with_dash),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_unknown_and_missing),
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_sub_flags),
        cmocka_unit_test(test_topics_checked),
        cmocka_unit_test(test_sessions),
        cmocka_unit_test(test_session_expiry_by_property),
        cmocka_unit_test(test_properties_select_v5),
        cmocka_unit_test(test_credentials),
        cmocka_unit_test(test_will),
        cmocka_unit_test(test_parse_ulong),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
