/*
 * sub.c - petrel-sub: subscribe to topic filters and print each message's
 * payload as raw bytes and a newline (-v: "topic payload"), until -C
 * messages were printed, -W seconds passed, or SIGINT/SIGTERM.
 *
 * The flags are mosquitto_sub's (common_args.c); the exit status is the
 * contract of common.h, printed by --help. All filters go in one
 * SUBSCRIBE, then -U filters in one UNSUBSCRIBE. Messages are written with
 * fwrite (payloads may hold zero bytes) and flushed one by one, so a pipe
 * reader sees each as it arrives.
 *
 * Stopping is clean in every case that is not an error: once the goal is
 * reached no new message is taken (it stays unacknowledged, so a persistent
 * session keeps it), QoS 2 messages already taken finish their PUBREL/
 * PUBCOMP exchange (bounded), and DISCONNECT goes out, so no will fires.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/common.h"
#include "util/clock.h"

#define PROG "petrel-sub"
/* How long a stop waits for QoS 2 exchanges already begun. */
#define FINISH_MS 2000u

/* The synopsis; with `full` (--help) every option and the exit statuses. */
static void usage(FILE *out, bool full)
{
    fputs("Usage: " PROG " [-h HOST] [-p PORT] [-V 31|311|5] [-i ID] [-u USER [-P PASSWORD]]\n"
          "                  [-k KEEPALIVE] [-c] [-x EXPIRY] [-q QOS] [-d] [-v] [-N] [-R]\n"
          "                  [-C COUNT] [-W SECONDS] [-T FILTER]... [-U FILTER]...\n"
          "                  [--will-topic T [--will-payload P] [--will-qos Q] [--will-retain]]\n"
          "                  [-D COMMAND NAME VALUE | -D COMMAND user-property KEY VALUE]...\n"
          "                  -t FILTER...\n"
          "       " PROG " --help | --version\n",
          out);
    if (!full) {
        fputs("Run '" PROG " --help' for every option and the exit statuses.\n", out);
        return;
    }
    fputs("\n"
          "Subscribes to topic filters on an MQTT broker and prints the messages.\n"
          "\n"
          "  -h HOST      broker host name or address, IPv4 or IPv6 (default localhost)\n"
          "  -p PORT      broker port (default 1883)\n"
          "  -t FILTER    topic filter to subscribe to (repeatable)\n"
          "  -q QOS       maximum QoS of the subscriptions: 0, 1 or 2 (default 0)\n"
          "  -v           print \"topic payload\" instead of the payload alone\n"
          "  -N           no newline after each message\n"
          "  -R           do not print stale (retained) messages\n"
          "  -C COUNT     exit after COUNT messages\n"
          "  -W SECONDS   exit after SECONDS (counted from the connection), status 4\n"
          "  -T FILTER    do not print messages whose topic matches FILTER (repeatable)\n"
          "  -U FILTER    unsubscribe from FILTER (repeatable; after the -t subscriptions)\n"
          "  -i ID        client id (default petrel-sub-PID)\n"
          "  -u USER      user name;  -P PASSWORD  password\n"
          "  -k SECONDS   keep-alive (default 60; 0 disables)\n"
          "  -V VERSION   MQTT version: 31, 311 or 5 (also mqttv31, mqttv311, mqttv5;\n"
          "               default 311; -D and -x select 5)\n"
          "  -c           persistent session (clean session off; needs -i)\n"
          "  -x SECONDS   MQTT 5 session expiry interval (-1: never)\n"
          "  -d           print every packet sent and received on stderr\n"
          "  --will-topic, --will-payload, --will-qos, --will-retain\n"
          "               the will, published by the broker if the connection breaks\n"
          "  -D COMMAND NAME VALUE\n"
          "               an MQTT 5 property; COMMAND is connect, subscribe, unsubscribe,\n"
          "               disconnect or will; NAME one of user-property (KEY VALUE),\n"
          "               session-expiry-interval, receive-maximum, maximum-packet-size,\n"
          "               request-problem-information, request-response-information,\n"
          "               subscription-identifier, and for will: content-type,\n"
          "               correlation-data, message-expiry-interval,\n"
          "               payload-format-indicator, response-topic, will-delay-interval\n"
          "  --help       this help;  --version  the version\n"
          "\n",
          out);
    cli_exit_codes_print(out, CLI_SUB);
}

struct sub {
    struct cli_opts o;
    struct cli_client c;
    unsigned long printed; /* messages printed so far (for -C) */
    uint16_t sub_id, unsub_id;
    int failed; /* exit code decided in a callback (every subscription refused) */
};

static bool filtered_out(const struct sub *s, const struct mqtt_publish *m)
{
    /* A retained flag on delivery marks a stale message: it is set only for
     * messages sent because of a new subscription (3.1.1 [MQTT-3.3.1-8]
     * [MQTT-3.3.1-9]; 5.0 [MQTT-3.3.1-12] without Retain As Published). */
    if (s->o.no_stale && m->retain)
        return true;
    for (size_t i = 0; i < s->o.filter_out.n; i++) {
        if (mqtt_topic_matches(slice_cstr(s->o.filter_out.v[i]), m->topic))
            return true;
    }
    return false;
}

static void on_message(void *arg, const struct mqtt_publish *m)
{
    struct sub *s = arg;
    if (filtered_out(s, m))
        return;
    if (s->o.verbose) {
        fwrite(m->topic.ptr, 1, m->topic.len, stdout);
        fputc(' ', stdout);
    }
    if (m->payload.len)
        fwrite(m->payload.ptr, 1, m->payload.len, stdout);
    if (!s->o.no_newline)
        fputc('\n', stdout);
    fflush(stdout);
    s->printed++;
    if (s->o.count && s->printed >= s->o.count)
        s->c.accept = false; /* the goal is reached: take no more */
}

static void on_suback(struct sub *s, const struct mqtt_suback *a)
{
    size_t refused = 0;
    for (size_t i = 0; i < a->reasons.len && i < s->o.topics.n; i++) {
        uint8_t r = a->reasons.ptr[i];
        if (r < 0x80)
            continue;
        refused++;
        if (s->c.version >= MQTT_V5)
            cli_errorf(PROG, "subscription to '%s' refused: %s (0x%02x)", s->o.topics.v[i],
                       mqtt_rc_name(r), r);
        else
            cli_errorf(PROG, "subscription to '%s' refused (0x%02x)", s->o.topics.v[i], r);
    }
    if (refused && refused == a->reasons.len)
        s->failed = CLI_EXIT_REFUSED;
}

static void on_ack(void *arg, const struct mqtt_suback *a)
{
    struct sub *s = arg;
    if (a->type == MQTT_SUBACK && a->packet_id == s->sub_id) {
        on_suback(s, a);
        return;
    }
    for (size_t i = 0; i < a->reasons.len && i < s->o.unsubscribe.n; i++) {
        uint8_t r = a->reasons.ptr[i];
        if (r >= 0x80)
            cli_errorf(PROG, "unsubscribe from '%s' refused: %s (0x%02x)", s->o.unsubscribe.v[i],
                       mqtt_rc_name(r), r);
    }
}

static int start(struct sub *s)
{
    int rc = CLI_EXIT_OK;
    if (s->o.topics.n)
        rc = cli_client_subscribe(&s->c, &s->o.topics, s->o.qos, &s->o.props[CLI_CMD_SUBSCRIBE].p,
                                  &s->sub_id);
    if (!rc && s->o.unsubscribe.n)
        rc = cli_client_unsubscribe(&s->c, &s->o.unsubscribe, &s->o.props[CLI_CMD_UNSUBSCRIBE].p,
                                    &s->unsub_id);
    return rc;
}

/* Runs until the goal, the deadline (0: none), a signal or a failure. */
static int receive(struct sub *s, uint64_t deadline)
{
    while (!cli_stop_requested() && s->c.accept && !s->failed) {
        if (deadline && clock_mono_ms() >= deadline)
            return CLI_EXIT_TIMEOUT;
        int rc = cli_client_step(&s->c, deadline, -1, NULL);
        if (rc)
            return rc;
    }
    return s->failed;
}

static int run(struct sub *s, const sigset_t *wait_mask)
{
    char id[32];
    snprintf(id, sizeof id, "petrel-sub-%ld", (long)getpid());
    cli_client_init(&s->c, &s->o, PROG);
    s->c.wait_mask = wait_mask;
    s->c.on_message = on_message;
    s->c.on_ack = on_ack;
    s->c.arg = s;
    int rc = cli_client_connect(&s->c, s->o.id ? s->o.id : id, 0);
    if (rc || cli_stop_requested())
        return rc;
    uint64_t deadline = s->o.timeout_s ? clock_mono_ms() + s->o.timeout_s * 1000u : 0;
    rc = start(s);
    if (!rc)
        rc = receive(s, deadline);
    if (rc == CLI_EXIT_PROTOCOL || rc == CLI_EXIT_NETWORK)
        return rc;
    s->c.accept = false;
    /* A failure here was printed; what was printed before stands. */
    if (cli_client_drain(&s->c, clock_mono_ms() + FINISH_MS, true) == CLI_EXIT_PROTOCOL)
        return rc;
    int rc2 = cli_client_disconnect(&s->c, &s->o.props[CLI_CMD_DISCONNECT].p);
    return rc ? rc : rc2;
}

int main(int argc, char **argv)
{
    struct sub s;
    memset(&s, 0, sizeof s);
    int rc = CLI_EXIT_OK;
    switch (cli_opts_parse(&s.o, CLI_SUB, argc, argv)) {
    case CLI_PARSE_HELP:
        usage(stdout, true);
        break;
    case CLI_PARSE_VERSION:
        printf(PROG " %s\n", PETREL_VERSION);
        break;
    case CLI_PARSE_ERROR:
        fprintf(stderr, PROG ": %s\n", s.o.err);
        usage(stderr, false);
        rc = CLI_EXIT_USAGE;
        break;
    default: {
        sigset_t wait_mask;
        cli_signals_install(&wait_mask);
        rc = run(&s, &wait_mask);
        cli_client_fini(&s.c);
    }
    }
    cli_opts_fini(&s.o);
    return rc;
}
