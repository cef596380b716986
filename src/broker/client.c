/*
 * client.c - connection lifecycle: accept, read and frame, dispatch by
 * packet type, write, close.
 *
 * Reads are batched: one readiness event reads up to READ_BUDGET bytes,
 * then every whole packet in the buffer is handled before reading again.
 * Output goes to the connection's buffer and is written once at the end of
 * the loop pass (worker.c), so a burst of deliveries costs one send().
 *
 * Backpressure: when a client's unsent output reaches max_write_buffer we
 * stop reading from it (its acks cannot pile up), QoS 0 messages for it are
 * dropped and counted, and its QoS 1/2 messages wait in its session queue
 * (bounded by max_queued_messages/bytes). Reading resumes once the output
 * drains.
 */
#include "broker/client.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "broker/broker.h"
#include "broker/eauth.h"
#include "broker/msg.h"
#include "broker/session.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/log.h"

/* Bytes read per readiness event before other connections get a turn. */
#define READ_BUDGET (256 * 1024)
/* Reads go into the worker's buffer (READ_BORROWED at a time) while the
 * client holds at most READ_KEEP_MAX bytes of a partial packet; beyond
 * that, into its own buffer, READ_CHUNK at a time. */
#define READ_BORROWED (64 * 1024)
#define READ_KEEP_MAX (4 * 1024)
#define READ_CHUNK (16 * 1024)
/* Largest CONNECT accepted before the client is authenticated (STYLE.md
 * section 8: tighter limits before CONNECT succeeds). */
#define CONNECT_MAX_SIZE (1024 * 1024)
/* Connections past a listener's max_connections that are kept just long
 * enough to read their CONNECT and answer it with "Quota exceeded" (0x97;
 * 3.1.1: return code 3) instead of a bare close. Bounded, so a flood past
 * the limit costs a few sockets, not memory per attempt; beyond it the
 * socket is closed at once. They count against the listener while open. */
#define QUOTA_REFUSALS 16

const char *client_log_id(const struct client *c, char *buf, size_t cap)
{
    if (c->sess)
        return log_printable(c->sess->client_id, buf, cap);
    if (c->req)
        return log_printable(slice_make(c->req->client_id, c->req->client_id_len), buf, cap);
    snprintf(buf, cap, "-");
    return buf;
}

void client_accept(struct worker *w, int fd, const struct sockaddr *peer, unsigned listener)
{
    struct server *srv = w->srv;
    int limit = srv->cfg->listeners[listener].max_connections;
    int open = atomic_fetch_add(&srv->listener_conns[listener], 1);
    bool over = limit >= 0 && open >= limit;
    if (over && open - limit >= QUOTA_REFUSALS) {
        atomic_fetch_sub(&srv->listener_conns[listener], 1);
        if (worker_log_allowed(w))
            log_warn("listener %u: max_connections (%d) reached; connection closed",
                     srv->listener_ports[listener], limit);
        close(fd);
        return;
    }
    struct client *c = xcalloc(1, sizeof *c);
    c->over_quota = over;
    c->problem_info = true;
    conn_init(&c->conn, fd, &conn_tcp_ops, client_on_event, c);
    conn_format_addr(peer, c->conn.peer, sizeof c->conn.peer);
    c->w = w;
    c->listener = listener;
    c->state = CLIENT_NEW;
    c->created_ms = c->last_rx_ms = c->last_io_ms = w->now_ms;
    list_init(&c->dirty_node);
    list_init(&c->close_node);
    list_push(&w->clients, &c->node);
    STAT_ADD(w, connections_total, 1);
    if (conn_attach(&c->conn, &w->loop.uv) != 0) {
        client_close(c, 0, false, false, "cannot poll socket");
        return;
    }
    log_debug("new connection from %s", c->conn.peer);
}

uint8_t *client_out_reserve(struct client *c, size_t size)
{
    if (c->state == CLIENT_CLOSING && c->disconnect_sent)
        return NULL;
    return buf_reserve(&c->conn.out, size);
}

void client_out_commit(struct client *c, size_t size)
{
    buf_commit(&c->conn.out, size);
    STAT_ADD(c->w, packets_sent, 1);
    if (!list_linked(&c->dirty_node)) {
        list_push(&c->w->dirty, &c->dirty_node);
        loop_request_pass(&c->w->loop);
    }
}

bool client_can_send(const struct client *c)
{
    return c->state == CLIENT_ACTIVE &&
           buf_used(&c->conn.out) < c->w->srv->cfg->max_write_buffer;
}

struct slice client_reason_string(const struct client *c, uint8_t type, const char *why)
{
    if (c->version != MQTT_V5 || why == NULL || !c->w->srv->cfg->reason_strings)
        return SLICE_NULL;
    /* Request Problem Information 0: no Reason String but on PUBLISH,
     * CONNACK or DISCONNECT [MQTT-3.1.2-29] (we never put one on PUBLISH). */
    if (!c->problem_info && type != MQTT_CONNACK && type != MQTT_DISCONNECT)
        return SLICE_NULL;
    return slice_cstr(why);
}

/* Sets props' Reason String to rs when there is one. */
static void set_reason_string(struct mqtt_props *props, struct slice rs)
{
    if (rs.len == 0)
        return;
    props->present |= MQTT_PROP_BIT(MQTT_PROP_REASON_STRING);
    props->reason_string = rs;
}

/* Drops the Reason String when it would take the packet past the client's
 * Maximum Packet Size ([MQTT-3.2.2-19] CONNACK, [MQTT-3.4.2-2] PUBACK,
 * [MQTT-3.5.2-2] PUBREC, [MQTT-3.6.2-2] PUBREL, [MQTT-3.7.2-2] PUBCOMP,
 * [MQTT-3.14.2-3] DISCONNECT). Returns true when it dropped it. */
static bool drop_reason_if_large(const struct client *c, struct mqtt_props *props, size_t n)
{
    if (client_packet_fits(c, n) || !MQTT_PROP_HAS(props, MQTT_PROP_REASON_STRING))
        return false;
    props->present &= ~MQTT_PROP_BIT(MQTT_PROP_REASON_STRING);
    return true;
}

void client_send_ack(struct client *c, uint8_t type, uint16_t pid, uint8_t reason)
{
    if (reason < 0x80) { /* no Reason String: the common case, encoded without a struct */
        uint8_t *p = client_out_reserve(c, MQTT_ACK_PLAIN_MAX);
        if (p == NULL)
            return;
        size_t n = mqtt_ack_encode_plain(p, type, pid, reason, c->version);
        if (c->max_packet_out == 0 || n <= c->max_packet_out) /* else not sent [MQTT-3.1.2-24] */
            client_out_commit(c, n);
        return;
    }
    struct mqtt_ack a = {.type = type, .packet_id = pid, .reason = reason};
    if (reason >= 0x80)
        set_reason_string(&a.props, client_reason_string(c, type, mqtt_rc_name(reason)));
    size_t n = mqtt_ack_encode(NULL, 0, &a, c->version);
    if (drop_reason_if_large(c, &a.props, n))
        n = mqtt_ack_encode(NULL, 0, &a, c->version);
    if (c->max_packet_out && n > c->max_packet_out)
        return; /* not sent at all [MQTT-3.1.2-24]; it carries nothing to leave out */
    uint8_t *p = client_out_reserve(c, n);
    if (p == NULL)
        return;
    mqtt_ack_encode(p, n, &a, c->version);
    client_out_commit(c, n);
}

void client_send_connack(struct client *c, bool session_present, uint8_t reason,
                         const struct mqtt_props *props)
{
    struct mqtt_connack ca = {.session_present = session_present};
    if (c->version == MQTT_V5) {
        ca.reason = reason;
        if (props)
            ca.props = *props;
    } else {
        ca.reason = mqtt_rc_to_v3_connack(reason);
    }
    size_t n = mqtt_connack_encode(NULL, 0, &ca, c->version);
    if (drop_reason_if_large(c, &ca.props, n))
        n = mqtt_connack_encode(NULL, 0, &ca, c->version);
    uint8_t small[256];
    if (n <= sizeof small && buf_used(&c->conn.out) == 0 && c->conn.fd >= 0) {
        /* Written at once: a connection that then stays idle never
         * allocates an output buffer (the idle-connection footprint). */
        mqtt_connack_encode(small, n, &ca, c->version);
        ssize_t w = c->conn.ops->write(&c->conn, small, n);
        size_t done = w > 0 ? (size_t)w : 0;
        STAT_ADD(c->w, bytes_sent, done);
        if (done == n) {
            STAT_ADD(c->w, packets_sent, 1);
            return;
        }
        /* Partly written or an error: the rest goes the usual way, and the
         * pass end's flush sees any error. */
        uint8_t *p = client_out_reserve(c, n - done);
        if (p == NULL)
            return;
        memcpy(p, small + done, n - done);
        client_out_commit(c, n - done);
        return;
    }
    uint8_t *p = client_out_reserve(c, n);
    if (p == NULL)
        return;
    mqtt_connack_encode(p, n, &ca, c->version);
    client_out_commit(c, n);
}

void client_send_disconnect(struct client *c, uint8_t reason, const char *why)
{
    if (c->version != MQTT_V5 || c->disconnect_sent)
        return;
    struct mqtt_disconnect d = {.reason = reason};
    /* A Reason String says it in words; allowed on DISCONNECT whatever
     * Request Problem Information says [MQTT-3.1.2-29], and it lets clients
     * that skip a bare 2-byte body (paho 1.6) see the reason. */
    set_reason_string(&d.props,
                      client_reason_string(c, MQTT_DISCONNECT, why ? why : mqtt_rc_name(reason)));
    const char *ref = c->w->srv->cfg->server_reference;
    if (ref && (reason == MQTT_RC_USE_ANOTHER_SERVER || reason == MQTT_RC_SERVER_MOVED)) {
        /* Where to go instead (MQTT 5.0 section 4.11). */
        d.props.present |= MQTT_PROP_BIT(MQTT_PROP_SERVER_REFERENCE);
        d.props.server_reference = slice_cstr(ref);
    }
    size_t n = mqtt_disconnect_encode(NULL, 0, &d, c->version);
    if (drop_reason_if_large(c, &d.props, n))
        n = mqtt_disconnect_encode(NULL, 0, &d, c->version);
    if (!client_packet_fits(c, n))
        return; /* a Server Reference too long for the client: just close */
    uint8_t *p = client_out_reserve(c, n);
    if (p == NULL)
        return;
    mqtt_disconnect_encode(p, n, &d, c->version);
    client_out_commit(c, n);
    c->disconnect_sent = true;
}

void client_close(struct client *c, uint8_t reason, bool send_disconnect, bool send_will,
                  const char *why)
{
    struct worker *w = c->w;
    if (c->state == CLIENT_CLOSING)
        return;
    char id[96];
    if (c->state == CLIENT_ACTIVE) {
        log_info("client disconnected: id=%s addr=%s (%s)", client_log_id(c, id, sizeof id),
                 c->conn.peer, why);
        STAT_SUB(w, clients_connected, 1);
    } else {
        log_debug("connection closed: addr=%s (%s)", c->conn.peer, why);
    }
    /* No DISCONNECT before a successful CONNACK [MQTT-3.14.0-1] (a client
     * still authenticating when the broker shuts down is just closed). */
    if (send_disconnect && reason != 0 && c->state == CLIENT_ACTIVE)
        client_send_disconnect(c, reason, why);
    if (c->will && send_will)
        will_on_close(c); /* now, or parked on the session for its delay */
    msg_unref(c->will);
    c->will = NULL;
    if (c->sess) {
        struct session *s = c->sess;
        c->sess = NULL;
        if (s->client == c) {
            atomic_store(&s->online, false);
            /* Messages from shared subscriptions go to a connected member
             * (route.c); not on a takeover, where the session goes on. */
            if (reason != MQTT_RC_SESSION_TAKEN_OVER)
                broker_share_handoff(w, s);
            session_detach(w, s, w->now_ms);
        }
    }
    c->state = CLIENT_CLOSING;
    conn_want(&c->conn, 0);
    list_push(&w->closing, &c->close_node);
    loop_request_pass(&w->loop);
}

void client_protocol_error(struct client *c, uint8_t rc, const char *why)
{
    if (worker_log_allowed(c->w)) {
        char id[96];
        log_notice("protocol error: id=%s addr=%s: %s (%s)", client_log_id(c, id, sizeof id),
                   c->conn.peer, why ? why : "", mqtt_rc_name(rc));
    }
    /* Before CONNACK a v5 client gets no DISCONNECT [MQTT-3.2.0-2]; it
     * gets a CONNACK with the reason from connect.c instead. */
    client_close(c, rc, c->state == CLIENT_ACTIVE, true, why ? why : mqtt_rc_name(rc));
}

static uint32_t frame_limit(const struct client *c)
{
    uint32_t max = c->w->srv->cfg->max_packet_size;
    if (max == 0)
        max = MQTT_MAX_PACKET_SIZE;
    if (c->state != CLIENT_ACTIVE && max > CONNECT_MAX_SIZE)
        max = CONNECT_MAX_SIZE;
    return max;
}

/* True while this client's packets may be handled now. */
static bool handling(const struct client *c)
{
    return c->state == CLIENT_NEW || c->state == CLIENT_CHALLENGE || c->state == CLIENT_ACTIVE;
}

void client_process_input(struct client *c)
{
    struct buf *in = &c->conn.in;
    if (c->in_input)
        return; /* CONNECT completed inline: the running loop below goes on */
    c->in_input = true;
    if (c->state == CLIENT_NEW && buf_used(in) > 0 && (buf_head(in)[0] >> 4) != MQTT_CONNECT) {
        /* Said as soon as the first byte is in, not after a body that may
         * never come [MQTT-3.1.0-1]. */
        c->in_input = false;
        client_protocol_error(c, MQTT_RC_PROTOCOL_ERROR, "first packet is not CONNECT");
        return;
    }
    while (handling(c) && buf_used(in) > 0) {
        struct mqtt_frame f;
        const char *why = NULL;
        int rc = mqtt_frame_parse(&f, buf_head(in), buf_used(in), frame_limit(c), &why);
        if (rc == 0)
            break;
        if (rc == -MQTT_RC_PACKET_TOO_LARGE && c->state == CLIENT_NEW) {
            /* A CONNECT over the limit: MQTT 5 is told (CONNACK 0x95) once
             * its protocol level has arrived. */
            if (broker_connect_too_large(c))
                break;
            c->in_input = false;
            return;
        }
        if (rc < 0) {
            c->in_input = false;
            if (c->state == CLIENT_CHALLENGE) /* before CONNACK: said in CONNACK */
                broker_connect_refuse(c, (uint8_t)-rc, why);
            else
                client_protocol_error(c, (uint8_t)-rc, why);
            return;
        }
        STAT_ADD(c->w, packets_received, 1);
        c->last_rx_ms = c->w->now_ms;
        /* Consumed before handling: the bytes stay where they are until
         * the next read, which cannot happen inside the handler, and a
         * handler that pauses the client (AUTH) resumes after this frame. */
        buf_consume(in, f.frame_len);
        broker_handle_packet(c, &f);
    }
    c->in_input = false;
    if (c->state == CLIENT_ACTIVE && buf_used(in) == 0)
        buf_compact(in);
}

/* Moves the worker's read buffer into c->conn.in for one read, with the
 * few bytes of a partial packet c may hold in front. An idle connection so
 * keeps no input buffer of its own; a client in the middle of a large
 * packet reads into its own buffer instead (no repeated copying). */
static bool input_borrow(struct client *c)
{
    struct buf *in = &c->conn.in, *rbuf = &c->w->rbuf;
    if (buf_used(in) > READ_KEEP_MAX)
        return false;
    buf_reserve(rbuf, READ_BORROWED + buf_used(in));
    if (buf_used(in) > 0)
        buf_append(rbuf, buf_head(in), buf_used(in));
    buf_fini(in);
    *in = *rbuf;
    *rbuf = (struct buf)BUF_INIT;
    return true;
}

/* Gives the worker its read buffer back; what is left of a partial packet
 * goes to a buffer of the client's own, sized to fit. */
static void input_return(struct client *c)
{
    struct buf *in = &c->conn.in, *rbuf = &c->w->rbuf;
    struct buf mine = BUF_INIT;
    if (buf_used(in) > 0)
        buf_append(&mine, buf_head(in), buf_used(in));
    *rbuf = *in;
    rbuf->off = rbuf->len = 0;
    *in = mine;
}

/* One read into c's input, handled at once: bytes read, 0 at end of
 * stream, or a negative errno (-EAGAIN: nothing there). */
static ssize_t read_and_handle(struct client *c, size_t *chunk)
{
    bool borrowed = input_borrow(c);
    *chunk = borrowed ? READ_BORROWED : READ_CHUNK;
    ssize_t r = conn_read(&c->conn, *chunk);
    if (r > 0) {
        STAT_ADD(c->w, bytes_received, r);
        client_process_input(c);
    }
    if (borrowed)
        input_return(c);
    return r;
}

static void on_readable(struct client *c)
{
    size_t total = 0, chunk;
    while (total < READ_BUDGET && handling(c) && !c->read_paused) {
        ssize_t r = read_and_handle(c, &chunk);
        if (r == -EAGAIN)
            break;
        if (r == 0) {
            client_close(c, 0, false, true, "closed by peer");
            return;
        }
        if (r < 0) {
            client_close(c, 0, false, true, strerror((int)-r));
            return;
        }
        total += (size_t)r;
        if ((size_t)r < chunk)
            break; /* the socket is drained; don't pay for an EAGAIN read */
    }
    c->last_io_ms = c->w->now_ms;
}

void client_on_event(struct conn *conn, int events)
{
    struct client *c = conn->owner;
    c->w->now_ms = clock_mono_ms();
    if (events & CONN_EV_WRITE)
        client_flush(c);
    if ((events & (CONN_EV_READ | CONN_EV_ERROR)) && c->state != CLIENT_CLOSING)
        on_readable(c);
}

static void update_polling(struct client *c)
{
    int want = 0;
    bool backlog = buf_used(&c->conn.out) > 0;
    bool over = buf_used(&c->conn.out) >= c->w->srv->cfg->max_write_buffer;
    c->read_paused = over || c->state == CLIENT_AUTH;
    if (!c->read_paused && handling(c))
        want |= CONN_EV_READ;
    if (backlog)
        want |= CONN_EV_WRITE;
    conn_want(&c->conn, want);
}

void client_flush(struct client *c)
{
    if (c->conn.fd < 0)
        return;
    size_t before = buf_used(&c->conn.out);
    bool was_over = before >= c->w->srv->cfg->max_write_buffer;
    int rc = conn_flush(&c->conn);
    size_t written = before - buf_used(&c->conn.out);
    if (written) {
        STAT_ADD(c->w, bytes_sent, written);
        c->last_io_ms = c->w->now_ms;
    }
    if (rc < 0) {
        /* The peer is gone; drop what we could not write. */
        buf_consume(&c->conn.out, buf_used(&c->conn.out));
        if (c->state != CLIENT_CLOSING)
            client_close(c, 0, false, true, strerror(-rc));
        return;
    }
    if (c->state == CLIENT_CLOSING)
        return;
    update_polling(c);
    /* Output drained below the bound: queued QoS 1/2 may flow again. */
    if (was_over && client_can_send(c) && c->sess)
        broker_pump(c->sess);
    if (rc == 0 && c->state == CLIENT_ACTIVE)
        buf_compact(&c->conn.out);
}

void client_free(struct client *c)
{
    struct worker *w = c->w;
    /* Last chance for a final CONNACK or DISCONNECT to leave. */
    if (c->conn.fd >= 0 && buf_used(&c->conn.out) > 0) {
        int rc = conn_flush(&c->conn);
        (void)rc;
    }
    list_unlink(&c->node);
    list_unlink(&c->dirty_node);
    list_unlink(&c->close_node);
    conn_close(&c->conn);
    if (c->req)
        broker_connect_req_free(c->req);
    c->req = NULL;
    atomic_fetch_sub(&w->srv->listener_conns[c->listener], 1);
    free(c->username);
    msg_unref(c->will);
    if (c->eauth_state)
        c->eauth->free(c->eauth_state);
    free(c->route_cache);
    if (c->aliases) {
        alias_in_fini(&c->aliases->in);
        alias_out_fini(&c->aliases->out);
        free(c->aliases);
    }
    free(c);
}
