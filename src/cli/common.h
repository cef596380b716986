/*
 * common.h - what petrel-pub and petrel-sub share: the command line
 * (common_args.c), -D property parsing (common_props.c), the TCP
 * connection (common_net.c), the blocking MQTT client with keep-alive and
 * QoS 1/2 state in both directions (common.c, common_qos.c), and the words
 * for reason codes, exit codes and debug output (common_text.c).
 *
 * The client is built on src/mqtt only (never src/broker): packets are
 * encoded and decoded by the codec, and the client keeps just the state a
 * command-line tool needs: one connection, one poll(2) loop, the packet ids
 * in flight. Everything runs on the main thread; nothing here is
 * thread-safe, and there is no global state but the signal flag.
 *
 * Exit codes (enum cli_exit) are a contract with scripts: --help prints
 * them and they do not change meaning.
 */
#ifndef PETREL_CLI_COMMON_H
#define PETREL_CLI_COMMON_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mqtt/mqtt.h"
#include "util/buf.h"
#include "util/slice.h"

/* Exit statuses of both tools. */
enum cli_exit {
    CLI_EXIT_OK = 0,       /* pub: every message acknowledged; sub: -C reached or signal */
    CLI_EXIT_USAGE = 1,    /* bad argument, unreadable input file */
    CLI_EXIT_NETWORK = 2,  /* could not resolve or connect */
    CLI_EXIT_REFUSED = 3,  /* the broker said no: CONNACK, message or subscriptions */
    CLI_EXIT_TIMEOUT = 4,  /* -W passed */
    CLI_EXIT_PROTOCOL = 5, /* protocol error, or the connection was lost */
};

enum cli_tool {
    CLI_PUB = 1,
    CLI_SUB = 2,
};

/* The packets -D can attach properties to (mosquitto's "command"). */
enum cli_cmd {
    CLI_CMD_CONNECT = 0,
    CLI_CMD_PUBLISH,
    CLI_CMD_SUBSCRIBE,
    CLI_CMD_UNSUBSCRIBE,
    CLI_CMD_DISCONNECT,
    CLI_CMD_WILL,
    CLI_CMD_COUNT
};

/* The properties given for one packet. String values borrow from argv
 * (which lives as long as the program); user properties are kept encoded
 * in `user`, and p.passthrough points at them once cli_props_finish() ran. */
struct cli_props {
    struct mqtt_props p;
    struct buf user; /* owned: encoded User Property entries */
};

/* Where petrel-pub takes its message from (exactly one of -m -f -l -n -s). */
enum cli_source {
    CLI_SRC_NONE = 0,
    CLI_SRC_MESSAGE, /* -m */
    CLI_SRC_FILE,    /* -f */
    CLI_SRC_LINES,   /* -l */
    CLI_SRC_NULL,    /* -n */
    CLI_SRC_STDIN,   /* -s */
};

/* A list of command-line strings (the array is owned, the strings are argv's). */
struct cli_strv {
    const char **v;
    size_t n;
};

/* Everything the command line says. Strings borrow from argv. */
struct cli_opts {
    enum cli_tool tool;
    const char *host;
    uint16_t port;
    uint8_t version;  /* enum mqtt_version */
    bool version_set; /* -V given */
    const char *id;   /* NULL: the tool makes one up */
    const char *username;
    const char *password;
    uint16_t keep_alive;
    bool clean;              /* false with -c */
    bool session_expiry_set; /* -x, or -D connect session-expiry-interval */
    uint32_t session_expiry;
    bool debug;
    uint8_t qos;

    const char *will_topic; /* NULL: no will */
    const char *will_payload;
    uint8_t will_qos;
    bool will_retain;
    bool will_opts_set; /* a --will-* option other than --will-topic */

    /* petrel-pub */
    const char *topic;
    enum cli_source source;
    const char *message; /* -m */
    const char *file;    /* -f */
    bool retain;
    unsigned long repeat;     /* times to publish (>= 1) */
    uint64_t repeat_delay_ms; /* between repeats */
    bool repeat_set;

    /* petrel-sub */
    struct cli_strv topics;      /* -t */
    struct cli_strv filter_out;  /* -T */
    struct cli_strv unsubscribe; /* -U */
    bool verbose;                /* -v */
    bool no_newline;             /* -N */
    bool no_stale;               /* -R */
    unsigned long count;         /* -C; 0: no limit */
    unsigned long timeout_s;     /* -W; 0: none */

    struct cli_props props[CLI_CMD_COUNT]; /* -D */
    bool props_set;                        /* any -D given */

    char err[256]; /* why parsing failed */
};

enum cli_parse_result {
    CLI_PARSE_OK = 0,
    CLI_PARSE_ERROR, /* o->err says why */
    CLI_PARSE_HELP,
    CLI_PARSE_VERSION,
};

/* ---- Command line (common_args.c) -------------------------------------- */

/* Parses argv[1..argc) for `tool` into *o (which it initialises first), then
 * checks the combination (required topic and message source, -c needs -i,
 * valid topics and filters, version rules). Returns enum cli_parse_result;
 * on CLI_PARSE_ERROR o->err holds one sentence. *o borrows argv; call
 * cli_opts_fini() on every result. Pure: no I/O. */
int cli_opts_parse(struct cli_opts *o, enum cli_tool tool, int argc, char **argv);

/* Frees what cli_opts_parse() allocated; *o may be zeroed or parsed. */
void cli_opts_fini(struct cli_opts *o);

/* Strict decimal parse of s into min..max. Returns false (and leaves *out
 * alone) for an empty string, a sign, trailing characters or a value out of
 * range. */
bool cli_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out);

/* ---- -D properties (common_props.c) ------------------------------------ */

/* Applies one -D: cmd is a packet name (connect, publish, subscribe,
 * unsubscribe, disconnect, will; any case), name a property name as in the
 * specification with '-' between words, value its value; value2 is the
 * second string of a user-property (NULL otherwise). `tool` limits the
 * packets (pub has no subscribe, sub no publish). Returns 0, or -1 with a
 * sentence in err. Strings borrow from the arguments. */
int cli_props_add(struct cli_props props[CLI_CMD_COUNT], enum cli_tool tool, const char *cmd,
                  const char *name, const char *value, const char *value2, char *err,
                  size_t err_len);

/* True when `name` is user-property (so -D takes one more argument). */
bool cli_prop_is_pair(const char *name);

/* Points each set's passthrough at its encoded user properties; call after
 * the last cli_props_add() and before encoding. */
void cli_props_finish(struct cli_props props[CLI_CMD_COUNT]);

void cli_props_fini(struct cli_props props[CLI_CMD_COUNT]);

/* ---- The client (common.c, common_qos.c, common_net.c) ----------------- */

/* One outgoing QoS 1/2 PUBLISH waiting for its acknowledgement. */
struct cli_tx {
    uint16_t id;
    uint8_t qos;
    uint8_t wait; /* MQTT_PUBACK, MQTT_PUBREC or MQTT_PUBCOMP: the packet awaited */
};

typedef void (*cli_message_fn)(void *arg, const struct mqtt_publish *m);
typedef void (*cli_ack_fn)(void *arg, const struct mqtt_suback *s);

/* A connection to the broker. Fields are read by the tools; only the
 * cli_client_* functions change them. */
struct cli_client {
    const struct cli_opts *opts;
    const char *prog; /* program name for messages */
    int fd;           /* -1 when closed */
    uint8_t version;
    struct buf in, out; /* owned */
    bool connected;     /* CONNACK with success seen */
    bool accept;        /* deliver incoming PUBLISH (false: leave them unacknowledged) */

    uint32_t max_in;     /* largest packet we accept (0: protocol maximum) */
    uint32_t max_out;    /* broker's Maximum Packet Size (0: none) */
    uint8_t max_qos;     /* broker's Maximum QoS */
    bool retain_ok;      /* broker's Retain Available */
    uint16_t keep_alive; /* seconds, after Server Keep Alive */
    uint64_t last_tx_ms; /* when we last sent a packet */
    uint64_t ping_ms;    /* when the unanswered PINGREQ went out */
    bool ping_pending;

    uint16_t next_id;
    struct cli_tx *tx; /* owned: outgoing QoS 1/2 in flight */
    size_t tx_n, tx_cap;
    uint16_t tx_max; /* window: our limit and the broker's Receive Maximum */
    uint16_t *rx;    /* owned: incoming QoS 2 ids that got PUBREC, awaiting PUBREL */
    size_t rx_n, rx_cap;
    unsigned long refused; /* messages the broker refused (v5 PUBACK/PUBREC >= 0x80) */

    const sigset_t *wait_mask; /* signal mask while polling (NULL: unchanged) */
    cli_message_fn on_message;
    cli_ack_fn on_ack; /* SUBACK and UNSUBACK */
    void *arg;
};

/* Sets up *c for the given options; no I/O. */
void cli_client_init(struct cli_client *c, const struct cli_opts *o, const char *prog);

/* Resolves and connects (TCP, IPv4 or IPv6), sends CONNECT built from the
 * options and waits for CONNACK until deadline_ms (monotonic; 0: a 30 s
 * default). Returns CLI_EXIT_OK, CLI_EXIT_NETWORK, CLI_EXIT_REFUSED (the
 * CONNACK code is printed in words) or CLI_EXIT_PROTOCOL. */
int cli_client_connect(struct cli_client *c, const char *client_id, uint64_t deadline_ms);

/* Waits for the socket, for `watch_fd` (>= 0) to be readable, for the next
 * keep-alive event or for deadline_ms (0: none), whichever comes first, then
 * sends what is queued and handles every whole packet received. Returns
 * CLI_EXIT_OK (also when a signal interrupted the wait) or the exit code of
 * a failure, already reported on stderr. *watch_ready tells whether
 * watch_fd became readable. */
int cli_client_step(struct cli_client *c, uint64_t deadline_ms, int watch_fd, bool *watch_ready);

/* Queues a PUBLISH; for QoS 1/2 first waits (stepping) for room in the
 * window. Returns CLI_EXIT_OK or a failure code. */
int cli_client_publish(struct cli_client *c, struct slice topic, struct slice payload, uint8_t qos,
                       bool retain, const struct mqtt_props *props);

/* Queues SUBSCRIBE for every filter at `qos`; *id gets its packet id. */
int cli_client_subscribe(struct cli_client *c, const struct cli_strv *filters, uint8_t qos,
                         const struct mqtt_props *props, uint16_t *id);

/* Queues UNSUBSCRIBE for every filter; *id gets its packet id. */
int cli_client_unsubscribe(struct cli_client *c, const struct cli_strv *filters,
                           const struct mqtt_props *props, uint16_t *id);

/* Steps until nothing is queued, no outgoing message awaits an
 * acknowledgement and (when rx_too) no incoming QoS 2 awaits its PUBREL, or
 * until deadline_ms (0: none). Returns CLI_EXIT_OK, CLI_EXIT_TIMEOUT or a
 * failure code. */
int cli_client_drain(struct cli_client *c, uint64_t deadline_ms, bool rx_too);

/* Sends DISCONNECT (with props, v5), waits up to 2 s for the broker to
 * close, and closes. Returns CLI_EXIT_OK or a failure code. */
int cli_client_disconnect(struct cli_client *c, const struct mqtt_props *props);

/* Closes the socket (if open) and frees the buffers and tables. */
void cli_client_fini(struct cli_client *c);

/* Between common.c and common_qos.c; the tools do not call these. */

/* Handles a decoded PUBLISH, PUBACK, PUBREC, PUBREL or PUBCOMP from the
 * broker: delivers to on_message, answers, updates tx/rx. Returns
 * CLI_EXIT_OK or CLI_EXIT_PROTOCOL (an ack for an id not awaiting it, a
 * Topic Alias, another packet type), already reported. */
int cli_qos_on_packet(struct cli_client *c, const struct mqtt_packet *p);

/* Records an outgoing QoS 1/2 PUBLISH just queued with packet id `id`, as
 * awaiting PUBACK (QoS 1) or PUBREC (QoS 2). Returns CLI_EXIT_OK. */
int cli_qos_track(struct cli_client *c, uint16_t id, uint8_t qos);

/* The next packet id (1..65535, wrapping) not held by an outgoing message. */
uint16_t cli_qos_next_id(struct cli_client *c);

/* Queues PUBACK, PUBREC, PUBREL or PUBCOMP (type) for id with a v5 reason
 * code (ignored before v5). Returns CLI_EXIT_OK or a failure code. */
int cli_client_send_ack(struct cli_client *c, uint8_t type, uint16_t id, uint8_t reason);

/* Opens a TCP connection to host:port (host may be a name, an IPv4
 * address, or an IPv6 address with or without brackets), trying every
 * address until deadline_ms. Returns a non-blocking socket, or -1 after
 * printing why on stderr. */
int cli_net_connect(const char *prog, const char *host, uint16_t port, uint64_t deadline_ms);

/* Installs SIGINT and SIGTERM handlers that set the stop flag, blocks those
 * signals, and fills *wait_mask with the mask to poll under (the signals
 * unblocked), so a signal can only arrive during the wait (no lost wake-up). */
void cli_signals_install(sigset_t *wait_mask);

/* True once SIGINT or SIGTERM arrived. */
bool cli_stop_requested(void);

/* ---- Words (common_text.c) --------------------------------------------- */

/* "Connection refused: bad user name or password (0x86)" for a CONNACK code
 * of the given version (3.1.1 return codes print as "(4)"). Writes into out. */
void cli_connack_explain(uint8_t version, uint8_t code, char *out, size_t out_len);

/* Prints the exit-code table for --help. */
void cli_exit_codes_print(FILE *out, enum cli_tool tool);

/* Prints one packet for -d: "prog: sending PUBLISH (d0, q1, r0, m1, 't', ... (5 bytes))".
 * bytes is a whole frame; sender says which side built it. */
void cli_debug_packet(const char *prog, const char *verb, const uint8_t *bytes, size_t n,
                      uint8_t version, enum mqtt_sender sender);

/* Prints "prog: " and the formatted message and a newline on stderr. */
void cli_errorf(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
