/*
 * common.c - the blocking MQTT client of petrel-pub and petrel-sub: CONNECT
 * and CONNACK, the poll loop, sending packets, keep-alive, DISCONNECT.
 *
 * The loop (cli_client_step) is the only place that waits. Each pass it
 * first settles keep-alive (send a PINGREQ when nothing went out for a
 * keep-alive period ([MQTT-3.1.2-23] in 3.1.1,
 * [MQTT-3.1.2-20] in 5.0); give up when a PINGREQ stays
 * unanswered that long), then waits for the socket, an extra descriptor
 * (stdin for `petrel-pub -l`) or the nearest deadline, then writes what is
 * queued and handles every whole packet read. Packets are built with the
 * codec's encoders straight into the output buffer and decoded in place
 * from the input buffer; handlers see slices that live until the packet is
 * consumed. QoS bookkeeping is in common_qos.c.
 *
 * Failures are printed where they are found (with the program's name) and
 * returned as an exit code; callers only pass the code up.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli/common.h"
#include "util/alloc.h"
#include "util/clock.h"

#define CONNECT_TIMEOUT_MS 30000u
#define CLOSE_WAIT_MS 2000u
#define READ_CHUNK 65536u
/* Outgoing QoS 1/2 messages in flight at once (mosquitto_pub's default). */
#define TX_WINDOW 20

void cli_client_init(struct cli_client *c, const struct cli_opts *o, const char *prog)
{
    memset(c, 0, sizeof *c);
    c->opts = o;
    c->prog = prog;
    c->fd = -1;
    c->version = o->version;
    c->accept = true;
    c->max_qos = 2;
    c->retain_ok = true;
    c->keep_alive = o->keep_alive;
    c->next_id = 1;
    c->tx_max = TX_WINDOW;
    const struct mqtt_props *cp = &o->props[CLI_CMD_CONNECT].p;
    if (MQTT_PROP_HAS(cp, MQTT_PROP_MAXIMUM_PACKET_SIZE))
        c->max_in = cp->maximum_packet_size;
}

void cli_client_fini(struct cli_client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    buf_fini(&c->in);
    buf_fini(&c->out);
    xfree(c->tx);
    xfree(c->rx);
    c->tx_n = c->tx_cap = c->rx_n = c->rx_cap = 0;
}

/* ---- Sending ------------------------------------------------------------ */

/* Writes as much of the output buffer as the socket takes now. */
static int flush_out(struct cli_client *c)
{
    while (buf_used(&c->out)) {
        ssize_t n = send(c->fd, buf_head(&c->out), buf_used(&c->out), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return CLI_EXIT_OK;
        if (n < 0) {
            cli_errorf(c->prog, "connection lost: %s", strerror(errno));
            return CLI_EXIT_PROTOCOL;
        }
        buf_consume(&c->out, (size_t)n);
    }
    return CLI_EXIT_OK;
}

/* Takes the n bytes encoded at the output buffer's end as one packet. */
static int queue_packet(struct cli_client *c, size_t n)
{
    uint8_t *w = c->out.data + c->out.len;
    if (c->max_out && n > c->max_out) {
        cli_errorf(c->prog, "a packet of %zu bytes exceeds the broker's Maximum Packet Size (%u)",
                   n, c->max_out);
        return CLI_EXIT_REFUSED;
    }
    if (c->opts->debug)
        cli_debug_packet(c->prog, "sending", w, n, c->version, MQTT_FROM_CLIENT);
    buf_commit(&c->out, n);
    c->last_tx_ms = clock_mono_ms();
    return flush_out(c);
}

/* Every sender below has the same shape: ask the encoder for the size
 * (cap 0 writes nothing), reserve that much, encode, queue. */

static int send_connect(struct cli_client *c, const struct mqtt_connect *k)
{
    size_t n = mqtt_connect_encode(NULL, 0, k);
    mqtt_connect_encode(buf_reserve(&c->out, n), n, k);
    return queue_packet(c, n);
}

int cli_client_send_ack(struct cli_client *c, uint8_t type, uint16_t id, uint8_t reason)
{
    struct mqtt_ack a;
    memset(&a, 0, sizeof a);
    a.type = type;
    a.packet_id = id;
    a.reason = reason;
    size_t n = mqtt_ack_encode(NULL, 0, &a, c->version);
    mqtt_ack_encode(buf_reserve(&c->out, n), n, &a, c->version);
    return queue_packet(c, n);
}

static int send_ping(struct cli_client *c)
{
    size_t n = mqtt_ping_encode(NULL, 0, MQTT_PINGREQ);
    mqtt_ping_encode(buf_reserve(&c->out, n), n, MQTT_PINGREQ);
    return queue_packet(c, n);
}

static int send_publish(struct cli_client *c, const struct mqtt_publish *p)
{
    size_t n = mqtt_publish_encode(NULL, 0, p, c->version);
    if (n > MQTT_MAX_PACKET_SIZE) {
        cli_errorf(c->prog, "the message is too large for MQTT (%zu bytes with its headers)", n);
        return CLI_EXIT_USAGE;
    }
    mqtt_publish_encode(buf_reserve(&c->out, n), n, p, c->version);
    return queue_packet(c, n);
}

/* ---- CONNECT and CONNACK ------------------------------------------------ */

static void build_connect(const struct cli_client *c, const char *id, struct mqtt_connect *k)
{
    const struct cli_opts *o = c->opts;
    memset(k, 0, sizeof *k);
    k->version = c->version;
    k->clean_start = o->clean;
    k->keep_alive = o->keep_alive;
    k->props = o->props[CLI_CMD_CONNECT].p;
    if (c->version >= MQTT_V5 && o->session_expiry) {
        k->props.present |= MQTT_PROP_BIT(MQTT_PROP_SESSION_EXPIRY_INTERVAL);
        k->props.session_expiry_interval = o->session_expiry;
    }
    k->client_id = slice_cstr(id);
    if (o->will_topic) {
        k->has_will = true;
        k->will.topic = slice_cstr(o->will_topic);
        k->will.payload = slice_cstr(o->will_payload); /* none: an empty will */
        k->will.qos = o->will_qos;
        k->will.retain = o->will_retain;
        k->will.props = o->props[CLI_CMD_WILL].p;
    }
    k->has_username = o->username != NULL;
    k->username = slice_cstr(o->username);
    k->has_password = o->password != NULL;
    k->password = slice_cstr(o->password);
}

/* What a v5 CONNACK says about the broker's limits (3.2.2.3). */
static void connack_limits(struct cli_client *c, const struct mqtt_props *p)
{
    if (MQTT_PROP_HAS(p, MQTT_PROP_RECEIVE_MAXIMUM) && p->receive_maximum < c->tx_max)
        c->tx_max = p->receive_maximum; /* [MQTT-3.3.4-7] */
    if (MQTT_PROP_HAS(p, MQTT_PROP_MAXIMUM_PACKET_SIZE))
        c->max_out = p->maximum_packet_size; /* [MQTT-3.2.2-15] */
    if (MQTT_PROP_HAS(p, MQTT_PROP_MAXIMUM_QOS))
        c->max_qos = p->maximum_qos;
    if (MQTT_PROP_HAS(p, MQTT_PROP_RETAIN_AVAILABLE))
        c->retain_ok = p->retain_available != 0;
    if (MQTT_PROP_HAS(p, MQTT_PROP_SERVER_KEEP_ALIVE))
        c->keep_alive = p->server_keep_alive; /* [MQTT-3.2.2-21] */
}

static int on_connack(struct cli_client *c, const struct mqtt_connack *a)
{
    if (c->connected) {
        cli_errorf(c->prog, "protocol error: a second CONNACK [MQTT-3.2.0-2]");
        return CLI_EXIT_PROTOCOL;
    }
    if (a->reason != 0) {
        char msg[160];
        cli_connack_explain(c->version, a->reason, msg, sizeof msg);
        const struct slice *rs = &a->props.reason_string;
        if (MQTT_PROP_HAS(&a->props, MQTT_PROP_REASON_STRING))
            cli_errorf(c->prog, "%s: %.*s", msg, (int)rs->len, (const char *)rs->ptr);
        else
            cli_errorf(c->prog, "%s", msg);
        return CLI_EXIT_REFUSED;
    }
    c->connected = true;
    if (c->version >= MQTT_V5)
        connack_limits(c, &a->props);
    return CLI_EXIT_OK;
}

int cli_client_connect(struct cli_client *c, const char *client_id, uint64_t deadline_ms)
{
    if (!deadline_ms)
        deadline_ms = clock_mono_ms() + CONNECT_TIMEOUT_MS;
    c->fd = cli_net_connect(c->prog, c->opts->host, c->opts->port, deadline_ms);
    if (c->fd < 0)
        return CLI_EXIT_NETWORK;
    struct mqtt_connect k;
    build_connect(c, client_id, &k);
    int rc = send_connect(c, &k);
    while (rc == CLI_EXIT_OK && !c->connected && !cli_stop_requested()) {
        if (clock_mono_ms() >= deadline_ms) {
            cli_errorf(c->prog, "no CONNACK from the broker in time");
            return CLI_EXIT_PROTOCOL;
        }
        rc = cli_client_step(c, deadline_ms, -1, NULL);
    }
    return rc;
}

/* ---- Receiving ---------------------------------------------------------- */

static int on_server_disconnect(struct cli_client *c, const struct mqtt_disconnect *d)
{
    const struct slice *rs = &d->props.reason_string;
    bool has_rs = MQTT_PROP_HAS(&d->props, MQTT_PROP_REASON_STRING);
    cli_errorf(c->prog, "the broker disconnected: %s (0x%02x)%s%.*s", mqtt_rc_name(d->reason),
               d->reason, has_rs ? ": " : "", has_rs ? (int)rs->len : 0,
               has_rs ? (const char *)rs->ptr : "");
    return CLI_EXIT_PROTOCOL;
}

static int handle(struct cli_client *c, const struct mqtt_packet *p)
{
    if (!c->connected && p->type != MQTT_CONNACK) {
        cli_errorf(c->prog, "protocol error: %s before CONNACK [MQTT-3.2.0-1]",
                   p->type == MQTT_PUBLISH ? "PUBLISH" : "a packet");
        return CLI_EXIT_PROTOCOL;
    }
    switch (p->type) {
    case MQTT_CONNACK:
        return on_connack(c, &p->u.connack);
    case MQTT_PINGRESP:
        c->ping_pending = false;
        return CLI_EXIT_OK;
    case MQTT_SUBACK:
    case MQTT_UNSUBACK:
        if (c->on_ack)
            c->on_ack(c->arg, &p->u.suback);
        return CLI_EXIT_OK;
    case MQTT_DISCONNECT:
        return on_server_disconnect(c, &p->u.disconnect);
    case MQTT_AUTH:
        cli_errorf(c->prog, "the broker asked for enhanced authentication (AUTH), which this "
                            "tool does not support");
        return CLI_EXIT_PROTOCOL;
    }
    return cli_qos_on_packet(c, p);
}

/* Handles every whole packet in the input buffer. */
static int dispatch(struct cli_client *c)
{
    const struct mqtt_ctx cx = {c->version, MQTT_FROM_SERVER};
    for (;;) {
        struct mqtt_frame f;
        struct mqtt_packet p;
        const char *why = "";
        int r = mqtt_frame_parse(&f, buf_head(&c->in), buf_used(&c->in), c->max_in, &why);
        if (r == 0)
            return CLI_EXIT_OK;
        if (r > 0 && c->opts->debug)
            cli_debug_packet(c->prog, "received", buf_head(&c->in), f.frame_len, c->version,
                             MQTT_FROM_SERVER);
        if (r > 0)
            r = mqtt_packet_decode(&p, &f, &cx, &why);
        if (r < 0) {
            cli_errorf(c->prog, "bad packet from the broker: %s (%s)", mqtt_rc_name((uint8_t)-r),
                       why);
            return CLI_EXIT_PROTOCOL;
        }
        r = handle(c, &p);
        buf_consume(&c->in, f.frame_len);
        if (r)
            return r;
    }
}

static int read_in(struct cli_client *c)
{
    uint8_t *w = buf_reserve(&c->in, READ_CHUNK);
    ssize_t n = recv(c->fd, w, READ_CHUNK, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return CLI_EXIT_OK;
    if (n <= 0) {
        cli_errorf(c->prog, "connection lost: %s",
                   n == 0 ? "the broker closed the connection" : strerror(errno));
        return CLI_EXIT_PROTOCOL;
    }
    buf_commit(&c->in, (size_t)n);
    return dispatch(c);
}

/* ---- The loop ----------------------------------------------------------- */

/* Sends a PINGREQ when due, fails when one went unanswered for a keep-alive
 * period; sets *wake to when this must run again (0: never). */
static int keep_alive_tick(struct cli_client *c, uint64_t *wake)
{
    *wake = 0;
    if (!c->keep_alive)
        return CLI_EXIT_OK;
    uint64_t period = (uint64_t)c->keep_alive * 1000u, now = clock_mono_ms();
    if (c->ping_pending) {
        if (now - c->ping_ms >= period) {
            cli_errorf(c->prog, "connection lost: no answer to PINGREQ within %u s", c->keep_alive);
            return CLI_EXIT_PROTOCOL;
        }
        *wake = c->ping_ms + period;
        return CLI_EXIT_OK;
    }
    if (now - c->last_tx_ms < period) {
        *wake = c->last_tx_ms + period;
        return CLI_EXIT_OK;
    }
    c->ping_pending = true;
    c->ping_ms = now;
    *wake = now + period;
    return send_ping(c);
}

static struct timespec *timeout_until(uint64_t wake, uint64_t deadline, struct timespec *ts)
{
    uint64_t until = wake;
    if (deadline && (!until || deadline < until))
        until = deadline;
    if (!until)
        return NULL;
    uint64_t now = clock_mono_ms(), ms = until > now ? until - now : 0;
    ts->tv_sec = (time_t)(ms / 1000u);
    ts->tv_nsec = (long)(ms % 1000u) * 1000000L;
    return ts;
}

int cli_client_step(struct cli_client *c, uint64_t deadline_ms, int watch_fd, bool *watch_ready)
{
    if (watch_ready)
        *watch_ready = false;
    uint64_t wake;
    int rc = keep_alive_tick(c, &wake);
    if (rc)
        return rc;
    struct timespec ts;
    struct pollfd pf[2] = {{c->fd, POLLIN, 0}, {watch_fd, POLLIN, 0}};
    if (buf_used(&c->out))
        pf[0].events |= POLLOUT;
    int n = ppoll(pf, watch_fd >= 0 ? 2 : 1, timeout_until(wake, deadline_ms, &ts), c->wait_mask);
    if (n < 0 && errno == EINTR)
        return CLI_EXIT_OK;
    if (n < 0) {
        cli_errorf(c->prog, "poll: %s", strerror(errno));
        return CLI_EXIT_PROTOCOL;
    }
    if (pf[0].revents & POLLOUT)
        rc = flush_out(c);
    if (!rc && (pf[0].revents & (POLLIN | POLLHUP | POLLERR)))
        rc = read_in(c);
    if (!rc && buf_used(&c->out))
        rc = flush_out(c);
    if (watch_ready && watch_fd >= 0 && (pf[1].revents & (POLLIN | POLLHUP | POLLERR)))
        *watch_ready = true;
    return rc;
}

/* ---- What the tools ask for --------------------------------------------- */

int cli_client_publish(struct cli_client *c, struct slice topic, struct slice payload, uint8_t qos,
                       bool retain, const struct mqtt_props *props)
{
    if (qos > c->max_qos) {
        cli_errorf(c->prog, "the broker accepts QoS up to %u (Maximum QoS) [MQTT-3.2.2-11]",
                   c->max_qos);
        return CLI_EXIT_REFUSED;
    }
    if (retain && !c->retain_ok) {
        cli_errorf(c->prog, "the broker does not keep retained messages (Retain Available 0)");
        return CLI_EXIT_REFUSED;
    }
    while (qos && c->tx_n >= c->tx_max) {
        int rc = cli_client_step(c, 0, -1, NULL);
        if (rc)
            return rc;
    }
    struct mqtt_publish p;
    memset(&p, 0, sizeof p);
    p.qos = qos;
    p.retain = retain;
    p.topic = topic;
    p.payload = payload;
    if (props)
        p.props = *props;
    p.packet_id = qos ? cli_qos_next_id(c) : 0;
    int rc = send_publish(c, &p);
    if (rc == CLI_EXIT_OK && qos)
        rc = cli_qos_track(c, p.packet_id, qos);
    return rc;
}

int cli_client_subscribe(struct cli_client *c, const struct cli_strv *filters, uint8_t qos,
                         const struct mqtt_props *props, uint16_t *id)
{
    struct mqtt_subscription *subs = xcalloc(filters->n, sizeof *subs);
    for (size_t i = 0; i < filters->n; i++) {
        subs[i].filter = slice_cstr(filters->v[i]);
        subs[i].qos = qos;
    }
    struct mqtt_subscribe s;
    memset(&s, 0, sizeof s);
    s.packet_id = *id = cli_qos_next_id(c);
    if (props)
        s.props = *props;
    s.count = (uint32_t)filters->n;
    s.subs = subs;
    size_t n = mqtt_subscribe_encode(NULL, 0, &s, c->version);
    mqtt_subscribe_encode(buf_reserve(&c->out, n), n, &s, c->version);
    free(subs);
    return queue_packet(c, n);
}

int cli_client_unsubscribe(struct cli_client *c, const struct cli_strv *filters,
                           const struct mqtt_props *props, uint16_t *id)
{
    struct slice *fs = xcalloc(filters->n, sizeof *fs);
    for (size_t i = 0; i < filters->n; i++)
        fs[i] = slice_cstr(filters->v[i]);
    struct mqtt_unsubscribe u;
    memset(&u, 0, sizeof u);
    u.packet_id = *id = cli_qos_next_id(c);
    if (props)
        u.props = *props;
    u.count = (uint32_t)filters->n;
    u.filters = fs;
    size_t n = mqtt_unsubscribe_encode(NULL, 0, &u, c->version);
    mqtt_unsubscribe_encode(buf_reserve(&c->out, n), n, &u, c->version);
    free(fs);
    return queue_packet(c, n);
}

int cli_client_drain(struct cli_client *c, uint64_t deadline_ms, bool rx_too)
{
    while (buf_used(&c->out) || c->tx_n || (rx_too && c->rx_n)) {
        if (deadline_ms && clock_mono_ms() >= deadline_ms)
            return CLI_EXIT_TIMEOUT;
        int rc = cli_client_step(c, deadline_ms, -1, NULL);
        if (rc)
            return rc;
    }
    return CLI_EXIT_OK;
}

/* After DISCONNECT: write what is left, then wait for the broker to close,
 * so our close() never resets a connection whose DISCONNECT the broker has
 * not read yet (a reset may drop it, and the will would go out). */
static int close_gracefully(struct cli_client *c)
{
    uint64_t deadline = clock_mono_ms() + CLOSE_WAIT_MS;
    for (uint64_t now; buf_used(&c->out) && (now = clock_mono_ms()) < deadline;) {
        struct pollfd pf = {c->fd, POLLOUT, 0};
        if (poll(&pf, 1, (int)(deadline - now)) < 0 && errno != EINTR)
            break;
        if (flush_out(c))
            return CLI_EXIT_PROTOCOL;
    }
    shutdown(c->fd, SHUT_WR);
    for (uint64_t now; (now = clock_mono_ms()) < deadline;) {
        struct pollfd pf = {c->fd, POLLIN, 0};
        if (poll(&pf, 1, (int)(deadline - now)) <= 0)
            continue;
        uint8_t scratch[4096];
        ssize_t n = recv(c->fd, scratch, sizeof scratch, 0);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
            break;
    }
    close(c->fd);
    c->fd = -1;
    return CLI_EXIT_OK;
}

int cli_client_disconnect(struct cli_client *c, const struct mqtt_props *props)
{
    if (c->fd < 0)
        return CLI_EXIT_OK;
    struct mqtt_disconnect d;
    memset(&d, 0, sizeof d);
    if (props)
        d.props = *props;
    size_t n = mqtt_disconnect_encode(NULL, 0, &d, c->version);
    mqtt_disconnect_encode(buf_reserve(&c->out, n), n, &d, c->version);
    int rc = queue_packet(c, n);
    int rc2 = close_gracefully(c);
    return rc ? rc : rc2;
}
