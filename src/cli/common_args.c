/*
 * common_args.c - the command line of petrel-pub and petrel-sub.
 *
 * One table names every flag, which tool takes it and how many values
 * follow it; the flags and their meanings are mosquitto_pub's and
 * mosquitto_sub's, so scripts written for those work unchanged. Flags are
 * not bundled ("-vd" is not "-v -d") and a value is always the next
 * argument, even when it starts with '-' ("-m -5" publishes "-5"), as in
 * mosquitto. After the loop, check() judges the combination once, so each
 * handler only parses its own value.
 *
 * Pure: nothing is printed; a failure leaves one sentence in o->err.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/common.h"
#include "util/alloc.h"

#define TOOLS_BOTH (CLI_PUB | CLI_SUB)
#define WIRE_STR_MAX 65535u /* a 2-byte length prefix [MQTT-1.5.4] */

static int fail(struct cli_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct cli_opts *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->err, sizeof o->err, fmt, ap);
    va_end(ap);
    return -1;
}

bool cli_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    if (!s || *s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* Each handler gets the flag as typed and its values; returns 0 or -1. */
typedef int (*flag_fn)(struct cli_opts *o, const char *flag, char **v, int avail);

struct flag {
    const char *short_name; /* "-h", or NULL */
    const char *long_name;  /* "--host", or NULL */
    uint8_t tools;          /* CLI_PUB | CLI_SUB */
    uint8_t nargs;          /* values that must follow (-D may take one more) */
    flag_fn fn;             /* NULL: a string (1 value) or a switch (0) at `off` */
    size_t off;             /* offset of the const char * or bool the flag sets */
};

static int number(struct cli_opts *o, const char *flag, const char *s, unsigned long min,
                  unsigned long max, unsigned long *out)
{
    if (!cli_parse_ulong(s, min, max, out))
        return fail(o, "option %s: '%s' is not a number from %lu to %lu", flag, s, min, max);
    return 0;
}

static int f_host(struct cli_opts *o, const char *flag, char **v, int avail)
{
    if (!*v[0])
        return fail(o, "option %s: the host name is empty", flag);
    o->host = v[0];
    return 0;
}

static int f_port(struct cli_opts *o, const char *flag, char **v, int avail)
{
    unsigned long n = 0;
    if (number(o, flag, v[0], 1, 65535, &n))
        return -1;
    o->port = (uint16_t)n;
    return 0;
}

static int f_qos_into(struct cli_opts *o, const char *flag, const char *s, uint8_t *out)
{
    unsigned long n = 0;
    if (!cli_parse_ulong(s, 0, 2, &n))
        return fail(o, "option %s: QoS must be 0, 1 or 2, not '%s'", flag, s);
    *out = (uint8_t)n;
    return 0;
}

static int f_qos(struct cli_opts *o, const char *flag, char **v, int avail)
{
    return f_qos_into(o, flag, v[0], &o->qos);
}

static int f_keepalive(struct cli_opts *o, const char *flag, char **v, int avail)
{
    unsigned long n = 0;
    if (number(o, flag, v[0], 0, 65535, &n))
        return -1;
    o->keep_alive = (uint16_t)n;
    return 0;
}

static int f_version(struct cli_opts *o, const char *flag, char **v, int avail)
{
    static const struct {
        const char *name;
        uint8_t version;
    } names[] = {{"31", MQTT_V31},        {"mqttv31", MQTT_V31}, {"311", MQTT_V311},
                 {"mqttv311", MQTT_V311}, {"5", MQTT_V5},        {"mqttv5", MQTT_V5}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(v[0], names[i].name) == 0) {
            o->version = names[i].version;
            o->version_set = true;
            return 0;
        }
    }
    return fail(o, "option %s: unknown MQTT version '%s' (use 31, 311 or 5)", flag, v[0]);
}

static int f_will_payload(struct cli_opts *o, const char *flag, char **v, int avail)
{
    if (strlen(v[0]) > WIRE_STR_MAX)
        return fail(o, "option %s: longer than %u bytes", flag, WIRE_STR_MAX);
    o->will_payload = v[0];
    o->will_opts_set = true;
    return 0;
}

static int f_will_retain(struct cli_opts *o, const char *flag, char **v, int avail)
{
    o->will_retain = o->will_opts_set = true;
    return 0;
}

static int f_no_clean(struct cli_opts *o, const char *flag, char **v, int avail)
{
    o->clean = false;
    return 0;
}

static int f_will_qos(struct cli_opts *o, const char *flag, char **v, int avail)
{
    o->will_opts_set = true;
    return f_qos_into(o, flag, v[0], &o->will_qos);
}

static int strv_push(struct cli_strv *sv, const char *s)
{
    sv->v = xrealloc(sv->v, (sv->n + 1) * sizeof *sv->v);
    sv->v[sv->n++] = s;
    return 0;
}

static int f_topic(struct cli_opts *o, const char *flag, char **v, int avail)
{
    if (o->tool == CLI_SUB)
        return strv_push(&o->topics, v[0]);
    if (o->topic)
        return fail(o, "only one topic may be given (%s twice)", flag);
    o->topic = v[0];
    return 0;
}

static int f_filter_out(struct cli_opts *o, const char *flag, char **v, int avail)
{
    return strv_push(&o->filter_out, v[0]);
}

static int f_unsubscribe(struct cli_opts *o, const char *flag, char **v, int avail)
{
    return strv_push(&o->unsubscribe, v[0]);
}

static int set_source(struct cli_opts *o, enum cli_source s)
{
    if (o->source != CLI_SRC_NONE)
        return fail(o, "only one of -m, -f, -l, -n, -s may be given");
    o->source = s;
    return 0;
}

static int f_message(struct cli_opts *o, const char *flag, char **v, int avail)
{
    o->message = v[0];
    return set_source(o, CLI_SRC_MESSAGE);
}

static int f_file(struct cli_opts *o, const char *flag, char **v, int avail)
{
    o->file = v[0];
    return set_source(o, CLI_SRC_FILE);
}

static int f_source(struct cli_opts *o, const char *flag, char **v, int avail)
{
    if (strcmp(flag, "-l") == 0 || strcmp(flag, "--stdin-line") == 0)
        return set_source(o, CLI_SRC_LINES);
    if (strcmp(flag, "-n") == 0 || strcmp(flag, "--null-message") == 0)
        return set_source(o, CLI_SRC_NULL);
    return set_source(o, CLI_SRC_STDIN);
}

static int f_count(struct cli_opts *o, const char *flag, char **v, int avail)
{
    return number(o, flag, v[0], 1, ULONG_MAX, &o->count);
}

static int f_timeout(struct cli_opts *o, const char *flag, char **v, int avail)
{
    return number(o, flag, v[0], 1, UINT32_MAX, &o->timeout_s);
}

static int f_repeat(struct cli_opts *o, const char *flag, char **v, int avail)
{
    o->repeat_set = true;
    return number(o, flag, v[0], 1, UINT32_MAX, &o->repeat);
}

static int f_repeat_delay(struct cli_opts *o, const char *flag, char **v, int avail)
{
    char *end;
    errno = 0;
    double s = strtod(v[0], &end);
    /* A day is far more than any test or sensor loop needs, and keeps the
     * millisecond value well inside 64 bits. */
    if (errno || end == v[0] || *end || !isfinite(s) || s < 0 || s > 86400)
        return fail(o, "option %s: '%s' is not a number of seconds (0 to 86400)", flag, v[0]);
    o->repeat_delay_ms = (uint64_t)(s * 1000.0 + 0.5);
    o->repeat_set = true;
    return 0;
}

static int f_session_expiry(struct cli_opts *o, const char *flag, char **v, int avail)
{
    /* mosquitto's spellings of "never expires". */
    if (strcmp(v[0], "-1") == 0 || strcmp(v[0], "\xe2\x88\x9e") == 0) {
        o->session_expiry = UINT32_MAX;
    } else {
        unsigned long n = 0;
        if (number(o, flag, v[0], 0, UINT32_MAX, &n))
            return -1;
        o->session_expiry = (uint32_t)n;
    }
    o->session_expiry_set = true;
    return 0;
}

/* -D COMMAND NAME VALUE, or -D COMMAND user-property KEY VALUE. */
static int f_property(struct cli_opts *o, const char *flag, char **v, int avail)
{
    bool pair = cli_prop_is_pair(v[1]);
    if (pair && avail < 4)
        return fail(o, "option %s: user-property needs a name and a value", flag);
    if (cli_props_add(o->props, o->tool, v[0], v[1], v[2], pair ? v[3] : NULL, o->err,
                      sizeof o->err))
        return -1;
    o->props_set = true;
    return pair ? 1 : 0; /* one value more than the table's three */
}

#define STR(field) offsetof(struct cli_opts, field)
#define SW(field) offsetof(struct cli_opts, field)

static const struct flag flags[] = {
    {"-h", "--host", TOOLS_BOTH, 1, f_host, 0},
    {"-p", "--port", TOOLS_BOTH, 1, f_port, 0},
    {"-t", "--topic", TOOLS_BOTH, 1, f_topic, 0},
    {"-q", "--qos", TOOLS_BOTH, 1, f_qos, 0},
    {"-i", "--id", TOOLS_BOTH, 1, NULL, STR(id)},
    {"-u", "--username", TOOLS_BOTH, 1, NULL, STR(username)},
    {"-P", "--pw", TOOLS_BOTH, 1, NULL, STR(password)},
    {"-k", "--keepalive", TOOLS_BOTH, 1, f_keepalive, 0},
    {"-V", "--protocol-version", TOOLS_BOTH, 1, f_version, 0},
    {"-d", "--debug", TOOLS_BOTH, 0, NULL, SW(debug)},
    {"-c", "--disable-clean-session", TOOLS_BOTH, 0, f_no_clean, 0},
    {"-x", "--session-expiry", TOOLS_BOTH, 1, f_session_expiry, 0},
    {"-D", "--property", TOOLS_BOTH, 3, f_property, 0},
    {NULL, "--will-topic", TOOLS_BOTH, 1, NULL, STR(will_topic)},
    {NULL, "--will-payload", TOOLS_BOTH, 1, f_will_payload, 0},
    {NULL, "--will-qos", TOOLS_BOTH, 1, f_will_qos, 0},
    {NULL, "--will-retain", TOOLS_BOTH, 0, f_will_retain, 0},
    {"-m", "--message", CLI_PUB, 1, f_message, 0},
    {"-f", "--file", CLI_PUB, 1, f_file, 0},
    {"-l", "--stdin-line", CLI_PUB, 0, f_source, 0},
    {"-n", "--null-message", CLI_PUB, 0, f_source, 0},
    {"-s", "--stdin-file", CLI_PUB, 0, f_source, 0},
    {"-r", "--retain", CLI_PUB, 0, NULL, SW(retain)},
    {NULL, "--repeat", CLI_PUB, 1, f_repeat, 0},
    {NULL, "--repeat-delay", CLI_PUB, 1, f_repeat_delay, 0},
    {"-v", "--verbose", CLI_SUB, 0, NULL, SW(verbose)},
    {"-C", "--count", CLI_SUB, 1, f_count, 0},
    {"-W", "--timeout", CLI_SUB, 1, f_timeout, 0},
    {"-N", "--no-newline", CLI_SUB, 0, NULL, SW(no_newline)},
    {"-R", "--no-stale", CLI_SUB, 0, NULL, SW(no_stale)},
    {"-T", "--filter-out", CLI_SUB, 1, f_filter_out, 0},
    {"-U", "--unsubscribe", CLI_SUB, 1, f_unsubscribe, 0},
};

static const struct flag *flag_find(const char *arg, enum cli_tool tool)
{
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        const struct flag *f = &flags[i];
        if (!(f->tools & tool))
            continue;
        if ((f->short_name && strcmp(arg, f->short_name) == 0) ||
            (f->long_name && strcmp(arg, f->long_name) == 0))
            return f;
    }
    return NULL;
}

/* Handles argv[i]; returns the number of arguments used, or -1. */
static int parse_one(struct cli_opts *o, int argc, char **argv, int i)
{
    const struct flag *f = flag_find(argv[i], o->tool);
    if (!f) {
        if (argv[i][0] == '-')
            return fail(o, "unknown option '%s'", argv[i]);
        return fail(o, "unexpected argument '%s'", argv[i]);
    }
    int avail = argc - i - 1;
    if (avail < f->nargs)
        return fail(o, "option %s needs %d value%s", argv[i], f->nargs, f->nargs > 1 ? "s" : "");
    if (!f->fn) {
        char *field = (char *)o + f->off;
        if (f->nargs == 0) {
            *(bool *)field = true;
            return 1;
        }
        if (strlen(argv[i + 1]) > WIRE_STR_MAX)
            return fail(o, "option %s: longer than %u bytes", argv[i], WIRE_STR_MAX);
        *(const char **)field = argv[i + 1];
        return 2;
    }
    int extra = f->fn(o, argv[i], argv + i + 1, avail);
    return extra < 0 ? -1 : 1 + f->nargs + extra;
}

static void opts_init(struct cli_opts *o, enum cli_tool tool)
{
    memset(o, 0, sizeof *o);
    o->tool = tool;
    o->host = "localhost";
    o->port = 1883;
    o->version = MQTT_V311;
    o->keep_alive = 60;
    o->clean = true;
    o->repeat = 1;
}

static int check(struct cli_opts *o);

int cli_opts_parse(struct cli_opts *o, enum cli_tool tool, int argc, char **argv)
{
    opts_init(o, tool);
    for (int i = 1; i < argc;) {
        if (strcmp(argv[i], "--help") == 0)
            return CLI_PARSE_HELP;
        if (strcmp(argv[i], "--version") == 0)
            return CLI_PARSE_VERSION;
        int used = parse_one(o, argc, argv, i);
        if (used < 0)
            return CLI_PARSE_ERROR;
        i += used;
    }
    cli_props_finish(o->props);
    return check(o) ? CLI_PARSE_ERROR : CLI_PARSE_OK;
}

void cli_opts_fini(struct cli_opts *o)
{
    xfree(o->topics.v);
    xfree(o->filter_out.v);
    xfree(o->unsubscribe.v);
    o->topics.n = o->filter_out.n = o->unsubscribe.n = 0;
    cli_props_fini(o->props);
}

/* ---- The combination ---------------------------------------------------- */

static int check_version(struct cli_opts *o)
{
    struct mqtt_props *cp = &o->props[CLI_CMD_CONNECT].p;
    if (MQTT_PROP_HAS(cp, MQTT_PROP_SESSION_EXPIRY_INTERVAL)) {
        if (o->session_expiry_set)
            return fail(o, "-x and -D connect session-expiry-interval both given");
        o->session_expiry_set = true;
        o->session_expiry = cp->session_expiry_interval;
        cp->present &= ~MQTT_PROP_BIT(MQTT_PROP_SESSION_EXPIRY_INTERVAL);
    }
    /* -D makes the client an MQTT 5 client, as mosquitto's does. */
    if ((o->props_set || o->session_expiry_set) && o->version != MQTT_V5) {
        if (o->version_set)
            return fail(o, "%s needs MQTT 5 (-V 5)", o->props_set ? "-D" : "-x");
        o->version = MQTT_V5;
    }
    if (o->password && !o->username && o->version < MQTT_V5)
        return fail(o, "a password (-P) needs a user name (-u) before MQTT 5 [MQTT-3.1.2-22]");
    return 0;
}

static int check_session(struct cli_opts *o)
{
    if (!o->clean && !o->id)
        return fail(o, "-c (persistent session) needs a client id (-i)");
    if (o->version == MQTT_V5 && !o->clean && !o->session_expiry_set)
        o->session_expiry = UINT32_MAX; /* mosquitto: -c means "never expires" in v5 */
    if (o->session_expiry && !o->id)
        return fail(o, "a session that outlives the connection (-x) needs a client id (-i)");
    const struct mqtt_props *dp = &o->props[CLI_CMD_DISCONNECT].p;
    if (MQTT_PROP_HAS(dp, MQTT_PROP_SESSION_EXPIRY_INTERVAL) && dp->session_expiry_interval &&
        !o->session_expiry)
        return fail(o, "a DISCONNECT session expiry needs a non-zero one at CONNECT (-x), "
                       "see 3.14.2.2.2");
    if (o->id && !mqtt_utf8_valid(slice_cstr(o->id)))
        return fail(o, "the client id is not valid UTF-8");
    if (o->id && o->version == MQTT_V31 && (strlen(o->id) < 1 || strlen(o->id) > 23))
        return fail(o, "MQTT 3.1 client ids are 1 to 23 characters");
    return 0;
}

static int check_will(struct cli_opts *o)
{
    if (!o->will_topic) {
        if (o->will_opts_set)
            return fail(o, "--will-payload, --will-qos and --will-retain need --will-topic");
        if (o->props[CLI_CMD_WILL].p.present || o->props[CLI_CMD_WILL].user.len)
            return fail(o, "-D will needs --will-topic");
        return 0;
    }
    if (!mqtt_topic_name_valid(slice_cstr(o->will_topic)))
        return fail(o, "'%s' is not a valid will topic (no + or #, not empty)", o->will_topic);
    return 0;
}

static int check_filters(struct cli_opts *o, const struct cli_strv *sv, const char *flag)
{
    for (size_t i = 0; i < sv->n; i++) {
        if (strlen(sv->v[i]) > WIRE_STR_MAX || !mqtt_topic_filter_valid(slice_cstr(sv->v[i])))
            return fail(o, "%s '%s' is not a valid topic filter", flag, sv->v[i]);
    }
    return 0;
}

static int check_pub(struct cli_opts *o)
{
    if (!o->topic)
        return fail(o, "no topic given (-t)");
    if (strlen(o->topic) > WIRE_STR_MAX || !mqtt_topic_name_valid(slice_cstr(o->topic)))
        return fail(o, "'%s' is not a valid topic name (no + or #, not empty)", o->topic);
    if (o->source == CLI_SRC_NONE)
        return fail(o, "no message given: use one of -m, -f, -l, -n, -s");
    if (o->source == CLI_SRC_LINES && o->repeat_set)
        return fail(o, "--repeat and --repeat-delay do not go with -l");
    return 0;
}

static int check_sub(struct cli_opts *o)
{
    if (o->topics.n == 0 && o->unsubscribe.n == 0)
        return fail(o, "no topic given (-t)");
    if (check_filters(o, &o->topics, "-t") || check_filters(o, &o->filter_out, "-T") ||
        check_filters(o, &o->unsubscribe, "-U"))
        return -1;
    return 0;
}

static int check(struct cli_opts *o)
{
    if (check_version(o) || check_session(o) || check_will(o))
        return -1;
    return o->tool == CLI_PUB ? check_pub(o) : check_sub(o);
}
