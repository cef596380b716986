/*
 * pub.c - petrel-pub: publish one message, repeated messages, or one
 * message per line of stdin, then wait until each is acknowledged as its
 * QoS requires (PUBACK for 1, PUBCOMP for 2), send DISCONNECT and exit.
 *
 * The flags are mosquitto_pub's (common_args.c); the exit status is the
 * contract of common.h, printed by --help. A message read from a file or
 * stdin is read whole before connecting, so an unreadable file is an
 * argument error and not a half-made connection; -l instead reads stdin
 * while connected, through the client's poll loop, so keep-alive and
 * acknowledgements go on while the producer is slow.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/common.h"
#include "util/clock.h"

#define PROG "petrel-pub"
#define READ_CHUNK 65536u
/* -l stops reading stdin while this much is waiting for the socket. */
#define LINES_OUT_MAX (1u << 20)

/* The synopsis; with `full` (--help) every option and the exit statuses. */
static void usage(FILE *out, bool full)
{
    fputs(
        "Usage: " PROG " [-h HOST] [-p PORT] [-V 31|311|5] [-i ID] [-u USER [-P PASSWORD]]\n"
        "                  [-k KEEPALIVE] [-c] [-x EXPIRY] [-q QOS] [-r] [-d] -t TOPIC\n"
        "                  {-m MESSAGE | -f FILE | -l | -n | -s} [--repeat N] [--repeat-delay S]\n"
        "                  [--will-topic T [--will-payload P] [--will-qos Q] [--will-retain]]\n"
        "                  [-D COMMAND NAME VALUE | -D COMMAND user-property KEY VALUE]...\n"
        "       " PROG " --help | --version\n",
        out);
    if (!full) {
        fputs("Run '" PROG " --help' for every option and the exit statuses.\n", out);
        return;
    }
    fputs("\n"
          "Publishes a message to an MQTT broker and waits until it is acknowledged.\n"
          "\n"
          "  -h HOST      broker host name or address, IPv4 or IPv6 (default localhost)\n"
          "  -p PORT      broker port (default 1883)\n"
          "  -t TOPIC     topic to publish to\n"
          "  -m MESSAGE   the message\n"
          "  -f FILE      the whole file is the message (any bytes, zero bytes included)\n"
          "  -l           one message per line of stdin, without its newline\n"
          "  -n           an empty (null) message\n"
          "  -s           the whole of stdin is the message\n"
          "  -q QOS       0, 1 or 2 (default 0)\n"
          "  -r           retain the message\n"
          "  --repeat N   publish the message N times (with -m, -f, -n, -s)\n"
          "  --repeat-delay S  seconds between repeats (decimals allowed)\n"
          "  -i ID        client id (default petrel-pub-PID)\n"
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
          "               an MQTT 5 property; COMMAND is connect, publish, disconnect or\n"
          "               will; NAME one of user-property (KEY VALUE), content-type,\n"
          "               correlation-data, message-expiry-interval, payload-format-indicator,\n"
          "               response-topic, session-expiry-interval, receive-maximum,\n"
          "               maximum-packet-size, request-problem-information,\n"
          "               request-response-information, will-delay-interval\n"
          "  --help       this help;  --version  the version\n"
          "\n",
          out);
    cli_exit_codes_print(out, CLI_PUB);
}

struct pub {
    struct cli_opts o;
    struct cli_client c;
    struct buf input; /* -f, -s: the message; -l: stdin not yet published */
};

/* Appends everything readable from fd until end of file. */
static int read_all(int fd, struct buf *b, const char *what)
{
    for (;;) {
        if (buf_used(b) > MQTT_MAX_REMAINING_LENGTH) {
            cli_errorf(PROG, "%s is larger than an MQTT message can be", what);
            return CLI_EXIT_USAGE;
        }
        ssize_t n = read(fd, buf_reserve(b, READ_CHUNK), READ_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            cli_errorf(PROG, "cannot read %s: %s", what, strerror(errno));
            return CLI_EXIT_USAGE;
        }
        if (n == 0)
            return CLI_EXIT_OK;
        buf_commit(b, (size_t)n);
    }
}

static int load_message(struct pub *p, struct slice *msg)
{
    int rc = CLI_EXIT_OK;
    if (p->o.source == CLI_SRC_FILE) {
        int fd = open(p->o.file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            cli_errorf(PROG, "cannot open '%s': %s", p->o.file, strerror(errno));
            return CLI_EXIT_USAGE;
        }
        rc = read_all(fd, &p->input, p->o.file);
        close(fd);
    } else if (p->o.source == CLI_SRC_STDIN) {
        rc = read_all(STDIN_FILENO, &p->input, "stdin");
    }
    if (p->o.source == CLI_SRC_MESSAGE)
        *msg = slice_cstr(p->o.message);
    else if (buf_used(&p->input))
        *msg = slice_make(buf_head(&p->input), buf_used(&p->input));
    else
        *msg = SLICE_NULL; /* -n, or an empty file */
    return rc;
}

static int publish(struct pub *p, struct slice payload)
{
    return cli_client_publish(&p->c, slice_cstr(p->o.topic), payload, p->o.qos, p->o.retain,
                              &p->o.props[CLI_CMD_PUBLISH].p);
}

/* Keeps the connection served (acks, keep-alive) while waiting. */
static int pause_ms(struct pub *p, uint64_t ms)
{
    uint64_t until = clock_mono_ms() + ms;
    while (clock_mono_ms() < until) {
        int rc = cli_client_step(&p->c, until, -1, NULL);
        if (rc)
            return rc;
    }
    return CLI_EXIT_OK;
}

static int publish_repeated(struct pub *p, struct slice msg)
{
    for (unsigned long i = 0; i < p->o.repeat; i++) {
        int rc = publish(p, msg);
        if (!rc && i + 1 < p->o.repeat && p->o.repeat_delay_ms)
            rc = pause_ms(p, p->o.repeat_delay_ms);
        if (rc)
            return rc;
    }
    return CLI_EXIT_OK;
}

/* Publishes each whole line in the input buffer (and, at end of file, the
 * last line even without its newline). */
static int publish_lines_buffered(struct pub *p, bool eof)
{
    struct buf *in = &p->input;
    while (buf_used(in)) {
        const uint8_t *head = buf_head(in);
        const uint8_t *nl = memchr(head, '\n', buf_used(in));
        if (!nl && !eof)
            return CLI_EXIT_OK;
        size_t len = nl ? (size_t)(nl - head) : buf_used(in);
        int rc = publish(p, slice_make(head, len));
        if (rc)
            return rc;
        buf_consume(in, nl ? len + 1 : len);
    }
    return CLI_EXIT_OK;
}

static int publish_lines(struct pub *p)
{
    for (bool eof = false;;) {
        int rc = publish_lines_buffered(p, eof);
        if (rc || eof)
            return rc;
        /* Read more only when it can go out: the window has room and the
         * socket keeps up. */
        bool room =
            (p->o.qos == 0 || p->c.tx_n < p->c.tx_max) && buf_used(&p->c.out) < LINES_OUT_MAX;
        bool ready;
        rc = cli_client_step(&p->c, 0, room ? STDIN_FILENO : -1, &ready);
        if (rc || !ready)
            continue;
        ssize_t n = read(STDIN_FILENO, buf_reserve(&p->input, READ_CHUNK), READ_CHUNK);
        if (n > 0)
            buf_commit(&p->input, (size_t)n);
        else if (n == 0 || (errno != EINTR && errno != EAGAIN))
            eof = true; /* a read error ends the input like end of file */
    }
}

static int run(struct pub *p, struct slice msg)
{
    char id[32];
    snprintf(id, sizeof id, "petrel-pub-%ld", (long)getpid());
    int rc = cli_client_connect(&p->c, p->o.id ? p->o.id : id, 0);
    if (rc)
        return rc;
    rc = p->o.source == CLI_SRC_LINES ? publish_lines(p) : publish_repeated(p, msg);
    if (!rc)
        rc = cli_client_drain(&p->c, 0, false);
    if (rc != CLI_EXIT_PROTOCOL) {
        int rc2 = cli_client_disconnect(&p->c, &p->o.props[CLI_CMD_DISCONNECT].p);
        rc = rc ? rc : rc2;
    }
    if (!rc && p->c.refused)
        rc = CLI_EXIT_REFUSED;
    return rc;
}

int main(int argc, char **argv)
{
    struct pub p;
    memset(&p, 0, sizeof p);
    int rc = CLI_EXIT_OK;
    switch (cli_opts_parse(&p.o, CLI_PUB, argc, argv)) {
    case CLI_PARSE_HELP:
        usage(stdout, true);
        break;
    case CLI_PARSE_VERSION:
        printf(PROG " %s\n", PETREL_VERSION);
        break;
    case CLI_PARSE_ERROR:
        fprintf(stderr, PROG ": %s\n", p.o.err);
        usage(stderr, false);
        rc = CLI_EXIT_USAGE;
        break;
    default: {
        struct slice msg;
        rc = load_message(&p, &msg);
        if (rc)
            break;
        cli_client_init(&p.c, &p.o, PROG);
        rc = run(&p, msg);
        cli_client_fini(&p.c);
    }
    }
    buf_fini(&p.input);
    cli_opts_fini(&p.o);
    return rc;
}
