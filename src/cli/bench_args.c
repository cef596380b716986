/*
 * bench_args.c - petrel-bench's command line: the mode word, mosquitto's
 * short flags where they mean the same (-h -p -q -V -u -P -i -t -k), long
 * flags for everything, and the mode's defaults.
 *
 * Durations are decimal seconds ("0.5"); counts and sizes are strict
 * decimals. Every value is range-checked here, so the run never sees an
 * option it cannot honour.
 */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/bench.h"
#include "cli/common.h"

/* Long-only options. */
enum {
    OPT_PUBS = 256,
    OPT_SUBS,
    OPT_PAIRS,
    OPT_CONNS,
    OPT_SIZE,
    OPT_DURATION,
    OPT_WARMUP,
    OPT_DRAIN,
    OPT_CONNECT_TIMEOUT,
    OPT_RATE,
    OPT_WINDOW,
    OPT_E2E,
    OPT_THREADS,
    OPT_SOURCES,
    OPT_QUIET,
    OPT_PERSISTENT,
    OPT_HELP,
    OPT_VERSION,
};

static const struct option long_opts[] = {
    {"host", required_argument, NULL, 'h'},
    {"port", required_argument, NULL, 'p'},
    {"qos", required_argument, NULL, 'q'},
    {"protocol", required_argument, NULL, 'V'},
    {"username", required_argument, NULL, 'u'},
    {"password", required_argument, NULL, 'P'},
    {"id-prefix", required_argument, NULL, 'i'},
    {"topic", required_argument, NULL, 't'},
    {"keepalive", required_argument, NULL, 'k'},
    {"pubs", required_argument, NULL, OPT_PUBS},
    {"subs", required_argument, NULL, OPT_SUBS},
    {"pairs", required_argument, NULL, OPT_PAIRS},
    {"conns", required_argument, NULL, OPT_CONNS},
    {"size", required_argument, NULL, OPT_SIZE},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"warmup", required_argument, NULL, OPT_WARMUP},
    {"drain", required_argument, NULL, OPT_DRAIN},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"rate", required_argument, NULL, OPT_RATE},
    {"window", required_argument, NULL, OPT_WINDOW},
    {"e2e-window", required_argument, NULL, OPT_E2E},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"sources", required_argument, NULL, OPT_SOURCES},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"persistent-subs", no_argument, NULL, OPT_PERSISTENT},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

const char *bench_mode_name(enum bench_mode m)
{
    switch (m) {
    case BENCH_FANIN:
        return "fanin";
    case BENCH_FANOUT:
        return "fanout";
    case BENCH_PAIRS:
        return "pairs";
    case BENCH_CONN:
        return "conn";
    }
    return "?";
}

static const char usage_short[] =
    "usage: petrel-bench fanin|fanout|pairs|conn [-h HOST] [-p PORT] [-q 0|1|2] [-V 311|5]\n"
    "                    [--pubs N] [--subs N] [--pairs N] [--conns N] [--size BYTES]\n"
    "                    [--duration S] [--warmup S] [--rate N] [--window N] [--e2e-window N]\n"
    "                    [--threads N] [-u USER] [-P PASSWORD] [-i PREFIX] [-t TOPIC] ...\n";

static const char usage_long[] =
    "\nModes:\n"
    "  fanin    --pubs P publishers on TOPIC/i -> --subs S subscribers on TOPIC/#\n"
    "           (default 100 -> 1)\n"
    "  fanout   P publishers on TOPIC -> S subscribers on TOPIC (default 1 -> 100)\n"
    "  pairs    --pairs N publisher/subscriber pairs on TOPIC/i (default 100)\n"
    "  conn     --conns C idle connections held for the duration (default 1000)\n"
    "\nOptions:\n"
    "  -h, --host HOST          broker address (default 127.0.0.1)\n"
    "  -p, --port PORT          broker port (default 1883)\n"
    "  -q, --qos 0|1|2          QoS of publications and subscriptions (default 0)\n"
    "  -V, --protocol 311|5     MQTT version (default 311)\n"
    "  -u, --username USER      -P, --password PASSWORD\n"
    "  -i, --id-prefix PREFIX   client ids PREFIX-p<i>, -s<i>, -c<i> (default bench-PID)\n"
    "  -t, --topic TOPIC        topic prefix (default bench/PID)\n"
    "  -k, --keepalive S        keep-alive seconds (default 60)\n"
    "      --size BYTES         payload size, at least 24 (default 32)\n"
    "      --duration S         measured seconds (default 10; conn: seconds held)\n"
    "      --warmup S           seconds published before measuring (default 1)\n"
    "      --drain S            longest wait for the last deliveries (default 2)\n"
    "      --connect-timeout S  longest time to connect everyone (default 30)\n"
    "      --rate N             messages/s per publisher; 0 = as fast as the windows\n"
    "                           allow (default 0)\n"
    "      --window N           QoS 1/2 messages in flight per publisher (default 20)\n"
    "      --e2e-window N       how far a publisher may run ahead of what its\n"
    "                           subscribers received (default 100)\n"
    "      --threads N          event loops in the generator (default 1)\n"
    "      --sources N          spread connections over source addresses 127.0.0.1..N\n"
    "                           (default: one per 25000 connections; loopback only)\n"
    "      --quiet              no progress lines (they go to stderr on a terminal)\n"
    "      --persistent-subs    subscribers keep their session (3.1.1: Clean Session\n"
    "                           0; 5: Session Expiry 300 s): a durable broker stores\n"
    "                           what it queues for them\n"
    "      --help, --version\n"
    "\nOutput: one line of key=value pairs on stdout at the end.\n"
    "\nExit status:\n"
    "  0  ok\n"
    "  1  bad arguments\n"
    "  2  a client could not connect or subscribe\n"
    "  3  correctness: loss at QoS 1/2, duplicates, or misrouted messages\n"
    "  4  a connection was lost during the run, or the run overran its deadline\n";

void bench_usage_print(FILE *out, bool full)
{
    fputs(usage_short, out);
    if (full)
        fputs(usage_long, out);
    else
        fputs("Run 'petrel-bench --help' for the whole text.\n", out);
}

static int fail(struct bench_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Puts one sentence in o->err; returns BENCH_PARSE_ERROR. */
static int fail(struct bench_opts *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->err, sizeof o->err, fmt, ap);
    va_end(ap);
    return BENCH_PARSE_ERROR;
}

static int num(struct bench_opts *o, const char *name, const char *s, unsigned long min,
               unsigned long max, unsigned long *out)
{
    if (cli_parse_ulong(s, min, max, out))
        return 0;
    fail(o, "%s: expected a whole number in %lu..%lu", name, min, max);
    return -1;
}

/* Decimal seconds in [min_s, max_s] into milliseconds. */
static int secs(struct bench_opts *o, const char *name, const char *s, double min_s, double max_s,
                uint64_t *out_ms)
{
    char *end = NULL;
    double v = s && *s ? strtod(s, &end) : NAN;
    if (!end || *end || !(v >= min_s && v <= max_s)) {
        fail(o, "%s: expected seconds from %g to %g", name, min_s, max_s);
        return -1;
    }
    *out_ms = (uint64_t)llround(v * 1000.0);
    return 0;
}

static int parse_mode(struct bench_opts *o, const char *w)
{
    static const enum bench_mode modes[] = {BENCH_FANIN, BENCH_FANOUT, BENCH_PAIRS, BENCH_CONN};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        if (strcmp(w, bench_mode_name(modes[i])) == 0) {
            o->mode = modes[i];
            return 0;
        }
    }
    fail(o, "unknown mode '%s' (fanin, fanout, pairs or conn)", w);
    return -1;
}

static void set_defaults(struct bench_opts *o)
{
    memset(o, 0, sizeof *o);
    o->host = "127.0.0.1";
    o->port = 1883;
    o->version = MQTT_V311;
    o->size = 32;
    o->duration_ms = 10000;
    o->warmup_ms = 1000;
    o->drain_ms = 2000;
    o->connect_timeout_ms = 30000;
    o->qos_window = 20;
    o->e2e_window = 100;
    o->keep_alive = 60;
    o->threads = 1;
    snprintf(o->id_buf, sizeof o->id_buf, "bench-%ld", (long)getpid());
    snprintf(o->topic_buf, sizeof o->topic_buf, "bench/%ld", (long)getpid());
    o->id_prefix = o->id_buf;
    o->topic = o->topic_buf;
}

/* Counts given on the command line (0: not given). */
struct counts {
    unsigned long pubs, subs, pairs, conns;
};

static int parse_version(struct bench_opts *o, const char *v)
{
    if (!strcmp(v, "311") || !strcmp(v, "mqttv311"))
        o->version = MQTT_V311;
    else if (!strcmp(v, "5") || !strcmp(v, "mqttv5"))
        o->version = MQTT_V5;
    else
        return fail(o, "-V: expected 311 or 5, not '%s'", v);
    return 0;
}

/* Options with a numeric or time value. */
static int parse_value(struct bench_opts *o, int c, const char *v, struct counts *n)
{
    unsigned long u = 0;
    int rc = 0;
    switch (c) {
    case 'p':
        rc = num(o, "-p", v, 1, 65535, &u);
        o->port = (uint16_t)u;
        break;
    case 'q':
        rc = num(o, "-q", v, 0, 2, &u);
        o->qos = (uint8_t)u;
        break;
    case 'k':
        rc = num(o, "-k", v, 0, 65535, &u);
        o->keep_alive = (uint16_t)u;
        break;
    case OPT_PUBS:
        return num(o, "--pubs", v, 1, 1000000, &n->pubs);
    case OPT_SUBS:
        return num(o, "--subs", v, 1, 1000000, &n->subs);
    case OPT_PAIRS:
        return num(o, "--pairs", v, 1, 1000000, &n->pairs);
    case OPT_CONNS:
        return num(o, "--conns", v, 1, 1000000, &n->conns);
    case OPT_SIZE:
        rc = num(o, "--size", v, BENCH_HEADER_SIZE, 16u << 20, &u);
        o->size = (uint32_t)u;
        break;
    case OPT_RATE:
        rc = num(o, "--rate", v, 0, 10000000, &u);
        o->rate = (uint32_t)u;
        break;
    case OPT_WINDOW:
        rc = num(o, "--window", v, 1, 32768, &u);
        o->qos_window = (uint16_t)u;
        break;
    case OPT_E2E:
        rc = num(o, "--e2e-window", v, 1, 100000000, &u);
        o->e2e_window = (uint32_t)u;
        break;
    case OPT_THREADS:
        rc = num(o, "--threads", v, 1, 64, &u);
        o->threads = (uint32_t)u;
        break;
    case OPT_SOURCES:
        rc = num(o, "--sources", v, 1, 254, &u);
        o->sources = (uint32_t)u;
        break;
    case OPT_DURATION:
        return secs(o, "--duration", v, 0.001, 86400, &o->duration_ms);
    case OPT_WARMUP:
        return secs(o, "--warmup", v, 0, 3600, &o->warmup_ms);
    case OPT_DRAIN:
        return secs(o, "--drain", v, 0, 600, &o->drain_ms);
    case OPT_CONNECT_TIMEOUT:
        return secs(o, "--connect-timeout", v, 0.1, 3600, &o->connect_timeout_ms);
    default:
        return -1;
    }
    return rc;
}

static int parse_one(struct bench_opts *o, int c, const char *v, struct counts *n)
{
    switch (c) {
    case 'h':
        o->host = v;
        return 0;
    case 'V':
        return parse_version(o, v) ? -1 : 0;
    case 'u':
        o->username = v;
        return 0;
    case 'P':
        o->password = v;
        return 0;
    case 'i':
        o->id_prefix = v;
        return 0;
    case 't':
        o->topic = v;
        return 0;
    case OPT_QUIET:
        o->quiet = true;
        return 0;
    case OPT_PERSISTENT:
        o->persistent_subs = true;
        return 0;
    }
    return parse_value(o, c, v, n);
}

/* Applies the mode's defaults and refuses counts that do not belong to it. */
static int apply_counts(struct bench_opts *o, const struct counts *n)
{
    const char *mode = bench_mode_name(o->mode);
    if (o->mode == BENCH_CONN) {
        if (n->pubs || n->subs || n->pairs)
            return fail(o, "%s mode takes --conns, not --pubs, --subs or --pairs", mode);
        o->conns = n->conns ? (uint32_t)n->conns : 1000;
        return 0;
    }
    if (n->conns)
        return fail(o, "--conns belongs to conn mode, not %s", mode);
    if (o->mode == BENCH_PAIRS) {
        if (n->pubs || n->subs)
            return fail(o, "%s mode takes --pairs, not --pubs or --subs", mode);
        o->pubs = o->subs = n->pairs ? (uint32_t)n->pairs : 100;
        return 0;
    }
    if (n->pairs)
        return fail(o, "--pairs belongs to pairs mode, not %s", mode);
    bool in = o->mode == BENCH_FANIN;
    o->pubs = (uint32_t)(n->pubs ? n->pubs : in ? 100 : 1);
    o->subs = (uint32_t)(n->subs ? n->subs : in ? 1 : 100);
    if ((uint64_t)o->pubs * o->subs > 10000000u)
        return fail(o, "--pubs times --subs is over 10000000 publisher/subscriber pairs");
    return 0;
}

static int check_names(struct bench_opts *o)
{
    if (!*o->topic || strchr(o->topic, '+') || strchr(o->topic, '#'))
        return fail(o, "-t: '%s' is not a topic prefix (empty, or with a wildcard)", o->topic);
    if (strlen(o->topic) > 200 || strlen(o->id_prefix) > 100)
        return fail(o, "-t or -i is too long");
    if (o->password && !o->username && o->version < MQTT_V5)
        return fail(o, "-P needs -u in MQTT 3.1.1");
    return 0;
}

int bench_opts_parse(struct bench_opts *o, int argc, char **argv)
{
    set_defaults(o);
    struct counts n = {0, 0, 0, 0};
    const char *mode = NULL;
    optind = 1;
    opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, "-h:p:q:V:u:P:i:t:k:", long_opts, NULL);
        if (c == -1)
            break;
        if (c == OPT_HELP)
            return BENCH_PARSE_HELP;
        if (c == OPT_VERSION)
            return BENCH_PARSE_VERSION;
        if (c == 1) { /* a word that is not an option */
            if (mode)
                return fail(o, "unexpected argument '%s'", optarg);
            mode = optarg;
            continue;
        }
        if (c == '?' || c == ':')
            return fail(o, "unknown option or missing value: '%s'", argv[optind - 1]);
        if (parse_one(o, c, optarg, &n))
            return BENCH_PARSE_ERROR;
    }
    if (!mode)
        return fail(o, "missing mode: fanin, fanout, pairs or conn");
    if (parse_mode(o, mode) || apply_counts(o, &n) || check_names(o))
        return BENCH_PARSE_ERROR;
    return BENCH_PARSE_OK;
}
