/*
 * client.h - one MQTT connection: its state machine, protocol limits and
 * the packets it sends.
 *
 * States:
 *   NEW       accepted, waiting for CONNECT (connect_timeout applies);
 *   AUTH      CONNECT received, credentials being checked (maybe in the
 *             thread pool); reading is paused and later packets wait in
 *             the input buffer, to be handled in order after CONNACK;
 *   CHALLENGE MQTT 5 enhanced authentication (eauth.h): AUTH 0x18 sent,
 *             waiting for the client's AUTH; only AUTH and DISCONNECT may
 *             come [MQTT-3.1.2-30];
 *   MOVING    on its way to the worker that owns its session (inbox);
 *   ACTIVE    CONNACK sent; packets flow;
 *   CLOSING   closed by us or the peer; freed at the end of the pass.
 *
 * A client is owned by the worker whose loop it is attached to (it moves
 * once, in MOVING). Never freed inside its own callbacks: client_close()
 * queues it and the worker frees it at the end of the pass.
 */
#ifndef PETREL_BROKER_CLIENT_H
#define PETREL_BROKER_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "broker/alias.h"
#include "broker/server.h"
#include "mqtt/mqtt.h"
#include "net/conn.h"

struct session;
struct msg;
struct eauth_method;

enum client_state {
    CLIENT_NEW = 1,
    CLIENT_AUTH,
    CLIENT_CHALLENGE,
    CLIENT_MOVING,
    CLIENT_ACTIVE,
    CLIENT_CLOSING,
};

/* What CONNECT asked for, copied out of the input buffer while the
 * credentials are checked and the client moves. */
struct connect_req {
    struct task_ptr move; /* inbox node for TASK_MIGRATE */
    struct worker *dest;  /* the worker that owns the session (while MOVING) */
    uv_work_t work;       /* thread-pool password check */
    struct auth *auth;    /* reference held while the check runs */
    int auth_result;      /* enum auth_result */
    char *client_id;      /* owned; NUL-terminated */
    size_t client_id_len;
    bool assigned_id;     /* the broker made the id up */
    char *username, *password; /* owned or NULL */
    size_t username_len, password_len;
    bool clean_start;
    uint16_t keepalive;       /* effective (max_keepalive applied) */
    uint16_t keepalive_asked; /* as the client sent it */
    uint32_t session_expiry; /* v5 property, or 0 / never for 3.1.1 */
    uint16_t receive_max;    /* client's Receive Maximum (65535 when absent) */
    uint32_t max_packet;     /* client's Maximum Packet Size (0 = none) */
    uint16_t topic_alias_max; /* client's Topic Alias Maximum (0 when absent) */
    bool request_problem_info;
    bool request_response_info; /* Request Response Information 1 */
    struct msg *will;        /* owned reference, or NULL */
    uint32_t will_delay;
    uint8_t *auth_data; /* enhanced auth: Authentication Data for CONNACK; owned or NULL */
    size_t auth_data_len;
};

/* Topic Alias tables of one connection (alias.h). */
struct client_aliases {
    struct alias_in in;   /* the client's */
    struct alias_out out; /* ours, for topics we send it */
};

struct client {
    struct conn conn;       /* first member: a struct conn * is a struct client * */
    struct list node;       /* worker->clients */
    struct list dirty_node; /* worker->dirty while output waits for the pass end */
    struct list close_node; /* worker->closing, or worker->moving while MOVING */
    struct worker *w;       /* current owner */
    unsigned listener;      /* index of the listener it came in on */

    uint8_t state;   /* enum client_state */
    uint8_t version; /* enum mqtt_version, once CONNECT is decoded */
    bool read_paused;
    bool disconnect_sent; /* we sent DISCONNECT: no more packets */
    bool auth_running;    /* a thread-pool job still points at this client */
    bool in_input;        /* client_process_input is running (no re-entry) */
    bool over_quota;      /* accepted past max_connections: CONNECT gets 0x97 */
    bool problem_info;    /* MQTT 5 Request Problem Information (default 1) */

    struct connect_req *req; /* during AUTH and MOVING */
    struct session *sess;    /* attached session while ACTIVE */

    char *username; /* owned copy, or NULL */
    size_t username_len;
    struct msg *will; /* owned; published on abnormal close [MQTT-3.1.2-8] (will.c) */
    uint32_t will_delay;

    /* MQTT 5 enhanced authentication (eauth.h): the method the connection
     * authenticated with (NULL = none), and its exchange in progress. */
    const struct eauth_method *eauth;
    void *eauth_state; /* owned by eauth->free, or NULL */

    uint16_t keepalive;     /* effective, seconds; 0 = none */
    uint16_t window;        /* outgoing QoS 1/2 inflight limit for this client */
    uint32_t send_quota;    /* QoS 1/2 PUBLISHes we may still send now (deliver.c), <= window */
    uint32_t max_packet_out; /* client's Maximum Packet Size, 0 = none */
    uint16_t receive_max;    /* our Receive Maximum for it (v5); 0 = not enforced */
    uint32_t rx_unacked;     /* QoS 1/2 PUBLISHes received here, PUBACK/PUBCOMP not yet sent */
    /* Topic Aliases (v5, this connection only), allocated only when either
     * direction has any: a 3.1.1 connection does without. */
    struct client_aliases *aliases;
    struct subtree_cache *route_cache; /* its last PUBLISH's matches; made by its first */
    uint64_t created_ms;
    uint64_t last_rx_ms;
    uint64_t last_io_ms; /* for releasing idle buffers */
    uint32_t held_until; /* responses to it wait for this store ticket (durable.h) */
    uint32_t glitches;   /* odd but legal behaviour, counted */
};

/* Accepted socket on worker w from listener index `listener`. */
void client_accept(struct worker *w, int fd, const struct sockaddr *peer, unsigned listener);

/* Reads and handles what the peer sent; the conn event callback. */
void client_on_event(struct conn *c, int events);

/* Handles every whole packet buffered in the input (after CONNECT
 * completes, pipelined packets are handled here in order). */
void client_process_input(struct client *c);

/* Closes the connection: publishes the will when send_will (will.c: now
 * or after its delay), detaches the session, and queues the client to be
 * freed at the end of the pass. A v5 client past CONNACK is sent
 * DISCONNECT with `reason` and Reason String `why` first when reason != 0
 * and send_disconnect is true. Idempotent. Owner thread. */
void client_close(struct client *c, uint8_t reason, bool send_disconnect, bool send_will,
                  const char *why);

/* Protocol error: log (rate-limited) with client id and address, v5
 * DISCONNECT with rc, close with the will [MQTT-4.8.0-1]. rc is positive. */
void client_protocol_error(struct client *c, uint8_t rc, const char *why);

/* Appends bytes of an encoded packet to the output; marks the client
 * dirty so the pass end writes it. Returns a pointer to `size` bytes to
 * fill, or NULL when the client is closing. */
uint8_t *client_out_reserve(struct client *c, size_t size);
void client_out_commit(struct client *c, size_t size);

/* The Reason String a packet of `type` sent to c may carry: `why`, or
 * SLICE_NULL when none may go. None before MQTT 5, none when the
 * reason_strings option is off, and with Request Problem Information 0
 * none but on CONNACK and DISCONNECT [MQTT-3.1.2-29]. The caller still
 * leaves it out when it would make the packet larger than the client's
 * Maximum Packet Size ([MQTT-3.2.2-19] and the like). */
struct slice client_reason_string(const struct client *c, uint8_t type, const char *why);

/* True when a packet of n bytes may be sent to c: within the client's
 * Maximum Packet Size [MQTT-3.1.2-24]. */
static inline bool client_packet_fits(const struct client *c, size_t n)
{
    return c->max_packet_out == 0 || n <= c->max_packet_out;
}

/* Encoders into the output. An ack with a failure code (>= 0x80) carries
 * its name as Reason String when client_reason_string() allows. */
void client_send_ack(struct client *c, uint8_t type, uint16_t pid, uint8_t reason);
void client_send_connack(struct client *c, bool session_present, uint8_t reason,
                         const struct mqtt_props *props);
/* v5 DISCONNECT with `reason`; Reason String `why` (NULL: the code's
 * name); Server Reference for 0x9C / 0x9D when server_reference is set. */
void client_send_disconnect(struct client *c, uint8_t reason, const char *why);

/* True when the output holds less than max_write_buffer (QoS 0 may be
 * written, queued QoS 1/2 may be released). */
bool client_can_send(const struct client *c);

/* Updates the most-clients-at-once figure after a connect. */
void worker_note_clients_max(struct worker *w);

/* The worker's end-of-pass work for this client: write its output. */
void client_flush(struct client *c);

/* Frees a client queued by client_close (end of pass). */
void client_free(struct client *c);

/* Short printable id for logs: the client id, or "-" before CONNECT. */
const char *client_log_id(const struct client *c, char *buf, size_t cap);

#endif
