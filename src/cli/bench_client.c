/*
 * bench_client.c - one MQTT connection of petrel-bench on a libuv TCP
 * handle: connect, CONNECT/CONNACK, SUBSCRIBE/SUBACK, reading and
 * dispatching packets, batched writing, keep-alive pings, closing.
 *
 * Reads: every client of a loop reads into the loop's one 64 KiB scratch
 * buffer and packets are decoded in place there. Only the tail of a packet
 * cut by the read boundary is copied into the client's own `in` buffer;
 * the next read first completes that packet (copying just its missing
 * bytes) and then goes on in the scratch buffer. So an idle connection
 * holds no buffer, and a busy one copies a few bytes per read.
 *
 * Writes: packets are encoded straight into `out`; the loop flushes each
 * client with output once per pass (bench_loop.c), with uv_try_write and,
 * for what the socket did not take, one uv_write of a swapped-in buffer.
 * So a publisher's burst of messages, and a subscriber's acknowledgements
 * of everything one read brought, leave in one system call.
 *
 * What a packet means for a publisher or a subscriber is in bench_pub.c.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/bench.h"
#include "cli/common.h"
#include "util/clock.h"

/* Connect failures and lost connections reported one by one; past this,
 * only the totals in the final line. */
#define MAX_ERRORS_PRINTED 5

static void on_close(uv_handle_t *h);

static void report(struct bench_client *c, const char *why)
{
    if (atomic_fetch_add(&c->loop->run->errors_printed, 1) < MAX_ERRORS_PRINTED) {
        static const char *const roles[] = {"?", "publisher", "subscriber", "connection"};
        fprintf(stderr, "petrel-bench: %s %u: %s\n", roles[c->role], c->index, why);
    }
}

static bool handle_open(const struct bench_client *c)
{
    return c->state != BENCH_CS_INIT && !uv_is_closing((const uv_handle_t *)&c->tcp);
}

void bench_client_fail(struct bench_client *c, const char *why)
{
    struct bench_loop *l = c->loop;
    bool was_ready = c->state == BENCH_CS_READY;
    if (c->state == BENCH_CS_FAILED || c->state == BENCH_CS_CLOSED)
        return;
    if (why)
        report(c, why);
    if (!c->counted)
        bench_loop_connect_done(l, c, false);
    else if (was_ready)
        bench_stat_add(&l->st.lost, 1);
    list_unlink(&c->flush);
    if (handle_open(c))
        uv_close((uv_handle_t *)&c->tcp, on_close);
    c->state = BENCH_CS_FAILED;
    if (c->role == BENCH_ROLE_SUB) {
        /* Publishers no longer wait for this subscriber's progress. */
        struct bench_sub *s = (struct bench_sub *)c;
        for (uint32_t i = 0; i < s->npubs; i++)
            atomic_store_explicit(&l->run->pairs[s->first_pair + i].progress, UINT64_MAX,
                                  memory_order_relaxed);
    }
}

static void on_close(uv_handle_t *h)
{
    struct bench_client *c = h->data;
    buf_fini(&c->in);
    buf_fini(&c->out);
    buf_fini(&c->wbuf);
    if (c->state != BENCH_CS_FAILED)
        c->state = BENCH_CS_CLOSED;
}

/* ---- Writing -------------------------------------------------------------- */

static void on_write(uv_write_t *req, int status)
{
    struct bench_client *c = req->data;
    c->writing = false;
    buf_consume(&c->wbuf, buf_used(&c->wbuf));
    if (status < 0) {
        if (status != UV_ECANCELED)
            bench_client_fail(c, uv_strerror(status));
        return;
    }
    if (c->role == BENCH_ROLE_PUB && ((struct bench_pub *)c)->park == BENCH_PARK_WRITE)
        bench_pub_wake((struct bench_pub *)c);
    bench_client_flush(c);
}

void bench_client_flush(struct bench_client *c)
{
    if (c->writing || !buf_used(&c->out) || !handle_open(c))
        return;
    uv_buf_t b = uv_buf_init((char *)buf_head(&c->out), (unsigned)buf_used(&c->out));
    int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (n < 0 && n != UV_EAGAIN) {
        bench_client_fail(c, uv_strerror(n));
        return;
    }
    if (n > 0)
        buf_consume(&c->out, (size_t)n);
    if (!buf_used(&c->out)) {
        if (c->role == BENCH_ROLE_IDLE)
            buf_release_if_empty(&c->out);
        return;
    }
    struct buf t = c->wbuf; /* empty: no write is in flight */
    c->wbuf = c->out;
    c->out = t;
    b = uv_buf_init((char *)buf_head(&c->wbuf), (unsigned)buf_used(&c->wbuf));
    c->wreq.data = c;
    int rc = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write);
    if (rc < 0) {
        bench_client_fail(c, uv_strerror(rc));
        return;
    }
    c->writing = true;
}

/* Takes n bytes just encoded at the end of `out` and schedules the flush. */
static void queued(struct bench_client *c, size_t n)
{
    buf_commit(&c->out, n);
    c->last_tx_ms = uv_now(&c->loop->uv);
    if (!list_linked(&c->flush))
        list_push(&c->loop->flush, &c->flush);
}

void bench_client_queue_publish(struct bench_client *c, const struct mqtt_publish *p, size_t size)
{
    mqtt_publish_encode(buf_reserve(&c->out, size), size, p, c->loop->run->o->version);
    queued(c, size);
}

void bench_client_queue_ack(struct bench_client *c, uint8_t type, uint16_t id)
{
    struct mqtt_ack a;
    memset(&a, 0, sizeof a);
    a.type = type;
    a.packet_id = id;
    uint8_t v = c->loop->run->o->version;
    size_t n = mqtt_ack_encode(NULL, 0, &a, v);
    mqtt_ack_encode(buf_reserve(&c->out, n), n, &a, v);
    queued(c, n);
}

void bench_client_queue_ping(struct bench_client *c)
{
    mqtt_ping_encode(buf_reserve(&c->out, 2), 2, MQTT_PINGREQ);
    queued(c, 2);
}

static void queue_connect(struct bench_client *c)
{
    const struct bench_opts *o = c->loop->run->o;
    static const char roles[] = "?psc";
    char id[160];
    snprintf(id, sizeof id, "%s-%c%u", o->id_prefix, roles[c->role], c->index);
    struct mqtt_connect k;
    memset(&k, 0, sizeof k);
    k.version = o->version;
    k.clean_start = true;
    if (o->persistent_subs && c->role == BENCH_ROLE_SUB) {
        /* A session the broker keeps (and, when durable, stores). */
        if (o->version == MQTT_V5) {
            k.props.present |= MQTT_PROP_BIT(MQTT_PROP_SESSION_EXPIRY_INTERVAL);
            k.props.session_expiry_interval = 300;
        } else {
            k.clean_start = false; /* a fresh id: no earlier session to resume */
        }
    }
    k.keep_alive = o->keep_alive;
    k.client_id = slice_cstr(id);
    k.has_username = o->username != NULL;
    k.username = slice_cstr(o->username);
    k.has_password = o->password != NULL;
    k.password = slice_cstr(o->password);
    size_t n = mqtt_connect_encode(NULL, 0, &k);
    mqtt_connect_encode(buf_reserve(&c->out, n), n, &k);
    queued(c, n);
}

static void queue_subscribe(struct bench_sub *s)
{
    const struct bench_opts *o = s->c.loop->run->o;
    struct mqtt_subscription e;
    memset(&e, 0, sizeof e);
    e.filter = s->filter;
    e.qos = o->qos;
    struct mqtt_subscribe k;
    memset(&k, 0, sizeof k);
    k.packet_id = 1;
    k.count = 1;
    k.subs = &e;
    size_t n = mqtt_subscribe_encode(NULL, 0, &k, o->version);
    mqtt_subscribe_encode(buf_reserve(&s->c.out, n), n, &k, o->version);
    queued(&s->c, n);
}

/* ---- Packets ---------------------------------------------------------------- */

static void ready(struct bench_client *c)
{
    c->state = BENCH_CS_READY;
    bench_loop_connect_done(c->loop, c, true);
}

static int on_connack(struct bench_client *c, const struct mqtt_connack *a)
{
    const struct bench_opts *o = c->loop->run->o;
    if (c->state != BENCH_CS_CONNACK)
        return -1;
    if (a->reason) {
        char msg[160];
        cli_connack_explain(o->version, a->reason, msg, sizeof msg);
        bench_client_fail(c, msg);
        return 1;
    }
    const struct mqtt_props *p = &a->props;
    if (MQTT_PROP_HAS(p, MQTT_PROP_MAXIMUM_QOS) && p->maximum_qos < o->qos) {
        bench_client_fail(c, "the broker's Maximum QoS is below -q");
        return 1;
    }
    if (c->role == BENCH_ROLE_SUB) {
        c->state = BENCH_CS_SUBACK;
        queue_subscribe((struct bench_sub *)c);
        return 0;
    }
    if (c->role == BENCH_ROLE_PUB) {
        uint16_t rm = MQTT_PROP_HAS(p, MQTT_PROP_RECEIVE_MAXIMUM) ? p->receive_maximum : 0;
        bench_pub_ready((struct bench_pub *)c, rm);
    }
    ready(c);
    return 0;
}

static int on_suback(struct bench_client *c, const struct mqtt_suback *a)
{
    if (c->state != BENCH_CS_SUBACK || a->type != MQTT_SUBACK || a->reasons.len != 1)
        return -1;
    if (a->reasons.ptr[0] >= 0x80) {
        bench_client_fail(c, "the broker refused the subscription");
        return 1;
    }
    ((struct bench_sub *)c)->granted = a->reasons.ptr[0];
    ready(c);
    return 0;
}

static int on_publish(struct bench_client *c, const struct mqtt_publish *m, uint64_t now_ns)
{
    if (c->role == BENCH_ROLE_SUB)
        bench_sub_on_publish((struct bench_sub *)c, m, now_ns);
    else
        bench_stat_add(&c->loop->st.foreign, 1);
    if (m->qos == 1)
        bench_client_queue_ack(c, MQTT_PUBACK, m->packet_id);
    else if (m->qos == 2)
        bench_client_queue_ack(c, MQTT_PUBREC, m->packet_id);
    return 0;
}

static int on_server_disconnect(struct bench_client *c, const struct mqtt_disconnect *d)
{
    char why[120];
    snprintf(why, sizeof why, "the broker disconnected: %s (0x%02x)", mqtt_rc_name(d->reason),
             d->reason);
    bench_client_fail(c, why);
    return 1;
}

/* Returns 0, 1 (c failed, reported), or -1 (unexpected packet). */
static int handle(struct bench_client *c, const struct mqtt_packet *p, uint64_t now_ns)
{
    if (c->state == BENCH_CS_CONNACK && p->type != MQTT_CONNACK)
        return -1; /* [MQTT-3.2.0-1] CONNACK comes first */
    switch (p->type) {
    case MQTT_CONNACK:
        return on_connack(c, &p->u.connack);
    case MQTT_SUBACK:
        return on_suback(c, &p->u.suback);
    case MQTT_PUBLISH:
        return on_publish(c, &p->u.publish, now_ns);
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBCOMP:
        if (c->role != BENCH_ROLE_PUB)
            return -1;
        return bench_pub_on_ack((struct bench_pub *)c, &p->u.ack);
    case MQTT_PUBREL:
        bench_client_queue_ack(c, MQTT_PUBCOMP, p->u.ack.packet_id);
        return 0;
    case MQTT_PINGRESP:
        return 0;
    case MQTT_DISCONNECT:
        return on_server_disconnect(c, &p->u.disconnect);
    }
    return -1;
}

/* Decodes and handles every whole packet in p[0..n); returns the bytes
 * used, or SIZE_MAX when the client failed. */
static size_t dispatch(struct bench_client *c, const uint8_t *p, size_t n, uint64_t now_ns)
{
    const struct mqtt_ctx cx = {c->loop->run->o->version, MQTT_FROM_SERVER};
    size_t off = 0;
    while (off < n) {
        struct mqtt_frame f;
        struct mqtt_packet pkt;
        const char *why = "";
        int r = mqtt_frame_parse(&f, p + off, n - off, 0, &why);
        if (r == 0)
            break;
        if (r > 0)
            r = mqtt_packet_decode(&pkt, &f, &cx, &why);
        if (r < 0) {
            char msg[200];
            snprintf(msg, sizeof msg, "bad packet from the broker: %s (%s)",
                     mqtt_rc_name((uint8_t)-r), why);
            bench_client_fail(c, msg);
            return SIZE_MAX;
        }
        r = handle(c, &pkt, now_ns);
        if (r < 0)
            bench_client_fail(c, "unexpected packet from the broker");
        if (r)
            return SIZE_MAX;
        off += f.frame_len;
    }
    return off;
}

/* Bytes still missing from the packet started in c->in (1 while its
 * length is incomplete), or 0 when its length is malformed. */
static size_t pending_need(const struct bench_client *c)
{
    size_t used = buf_used(&c->in);
    if (used < 2)
        return 1;
    uint32_t len;
    int k = mqtt_varint_decode(buf_head(&c->in) + 1, used - 1, &len);
    if (k < 0)
        return 0;
    if (k == 0)
        return 1;
    return 1 + (size_t)k + len - used;
}

/* Completes the packet begun in c->in from p[0..n); returns the bytes
 * taken, or SIZE_MAX when the client failed. */
static size_t complete_pending(struct bench_client *c, const uint8_t *p, size_t n, uint64_t now_ns)
{
    size_t took = 0;
    while (buf_used(&c->in) && took < n) {
        size_t need = pending_need(c);
        if (!need) {
            bench_client_fail(c, "bad packet from the broker: malformed remaining length");
            return SIZE_MAX;
        }
        size_t k = need < n - took ? need : n - took;
        buf_append(&c->in, p + took, k);
        took += k;
        size_t used = dispatch(c, buf_head(&c->in), buf_used(&c->in), now_ns);
        if (used == SIZE_MAX)
            return SIZE_MAX;
        buf_consume(&c->in, used);
    }
    return took;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    struct bench_client *c = h->data;
    *b = uv_buf_init((char *)c->loop->scratch, sizeof c->loop->scratch);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    struct bench_client *c = s->data;
    if (nread == 0)
        return;
    if (nread < 0) {
        bench_client_fail(c, nread == UV_EOF ? "the broker closed the connection"
                                             : uv_strerror((int)nread));
        return;
    }
    /* One clock reading per read: everything in it arrived together. */
    uint64_t now_ns = clock_mono_ns();
    const uint8_t *p = (const uint8_t *)b->base;
    size_t n = (size_t)nread, took = 0;
    if (buf_used(&c->in))
        took = complete_pending(c, p, n, now_ns);
    if (took == SIZE_MAX)
        return;
    size_t used = dispatch(c, p + took, n - took, now_ns);
    if (used == SIZE_MAX)
        return;
    if (took + used < n)
        buf_append(&c->in, p + took + used, n - took - used);
    else if (c->role == BENCH_ROLE_IDLE)
        buf_release_if_empty(&c->in);
}

/* ---- Connecting and closing -------------------------------------------------- */

static void on_connect(uv_connect_t *req, int status)
{
    struct bench_client *c = req->data;
    if (status == UV_ECANCELED || c->state != BENCH_CS_TCP)
        return;
    if (status < 0) {
        bench_client_fail(c, uv_strerror(status));
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1); /* acknowledgements must not wait for Nagle */
    int rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (rc < 0) {
        bench_client_fail(c, uv_strerror(rc));
        return;
    }
    c->state = BENCH_CS_CONNACK;
    queue_connect(c);
}

/* Opens a socket bound to 127.0.0.(1 + conn_no % sources), the port left
 * to connect() (IP_BIND_ADDRESS_NO_PORT: ports are then unique per source
 * and destination, not per source), and gives it to c. */
static int bind_source(struct bench_client *c)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    struct sockaddr_in src;
    memset(&src, 0, sizeof src);
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl(0x7f000001u + c->conn_no % c->loop->run->sources);
    if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    int rc = uv_tcp_open(&c->tcp, fd);
    if (rc < 0)
        close(fd);
    return rc;
}

void bench_client_start(struct bench_client *c)
{
    struct bench_run *r = c->loop->run;
    uv_tcp_init(&c->loop->uv, &c->tcp);
    c->tcp.data = c;
    c->creq.data = c;
    c->state = BENCH_CS_TCP;
    int rc = r->sources > 1 ? bind_source(c) : 0;
    if (rc == 0)
        rc = uv_tcp_connect(&c->creq, &c->tcp, (const struct sockaddr *)&r->addr, on_connect);
    if (rc < 0)
        bench_client_fail(c, uv_strerror(rc));
}

void bench_client_close(struct bench_client *c)
{
    if (!handle_open(c) || c->state == BENCH_CS_FAILED)
        return;
    if (c->state == BENCH_CS_READY) {
        struct mqtt_disconnect d;
        memset(&d, 0, sizeof d);
        uint8_t v = c->loop->run->o->version;
        size_t n = mqtt_disconnect_encode(NULL, 0, &d, v);
        mqtt_disconnect_encode(buf_reserve(&c->out, n), n, &d, v);
        queued(c, n);
        bench_client_flush(c);
    }
    c->state = BENCH_CS_CLOSING;
    list_unlink(&c->flush);
    uv_close((uv_handle_t *)&c->tcp, on_close);
}
