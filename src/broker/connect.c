/*
 * connect.c - CONNECT, in phases (STYLE.md section 2):
 *   1. validate:     decode, broker policy (redirection, max_connections),
 *                    client-id, keep-alive and will rules; copy what we
 *                    keep out of the input buffer (struct connect_req);
 *   2. authenticate: an Authentication Method goes to eauth.c (MQTT 5
 *                    enhanced authentication); a password is checked
 *                    inline when cheap, else in the thread pool, while
 *                    reading is paused and pipelined packets wait;
 *   3. move:         to the worker that owns the client id's session;
 *   4. take over:    close an existing connection of the same client id
 *                    [MQTT-3.1.4-2], keep or discard the session;
 *   5. CONNACK (connack.c), re-send inflight messages, then handle the
 *      packets that were pipelined behind CONNECT, in order.
 *
 * Sessions and Clean Start: Clean Start 1 ends any existing session
 * [MQTT-3.1.2-4] and Session Present is 0 [MQTT-3.2.2-2]; Clean Start 0
 * resumes the session when there is one, with Session Present 1, or starts
 * one with Session Present 0 [MQTT-3.1.2-5] [MQTT-3.1.2-6] [MQTT-3.2.2-3].
 * 3.1.1's Clean Session 1 is Clean Start 1 with Session Expiry 0, Clean
 * Session 0 is Clean Start 0 with an expiry of never (MQTT 5.0 section
 * 3.1.2.11.2, non-normative comment).
 */
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "broker/broker.h"
#include "broker/durable.h"
#include "broker/eauth.h"
#include "broker/msg.h"
#include "broker/session.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/log.h"

static void connect_finish(struct client *c);
static void auth_work(uv_work_t *req);
static void auth_done(uv_work_t *req, int status);

void broker_connect_req_free(struct connect_req *r)
{
    if (r == NULL)
        return;
    free(r->client_id);
    free(r->username);
    if (r->password) {
        /* Don't leave passwords in freed memory. */
        memset(r->password, 0, r->password_len);
        free(r->password);
    }
    msg_unref(r->will);
    auth_unref(r->auth);
    free(r->auth_data);
    free(r);
}

void broker_connect_refuse(struct client *c, uint8_t rc, const char *why)
{
    char id[96];
    log_notice("connection refused: id=%s addr=%s: %s (%s)", client_log_id(c, id, sizeof id),
               c->conn.peer, why, mqtt_rc_name(rc));
    broker_connack_refusal(c, rc, why);
    c->disconnect_sent = true;
    client_close(c, 0, false, false, why);
}

/* A client id the broker makes up, owned by this worker so the client
 * need not move. */
static char *assign_id(struct worker *w, size_t *len)
{
    static const char hex[] = "0123456789abcdef";
    char *id = xmalloc(32);
    for (int tries = 0;; tries++) {
        uint8_t r[12];
        rand_bytes(r, sizeof r);
        memcpy(id, "petrel-", 7);
        for (size_t i = 0; i < sizeof r; i++) {
            id[7 + 2 * i] = hex[r[i] >> 4];
            id[8 + 2 * i] = hex[r[i] & 15];
        }
        id[31] = '\0';
        *len = 31;
        /* A new id, not one of a session we hold [MQTT-3.2.2-16] (96 random
         * bits; the check makes it certain on this worker, which owns it). */
        struct slice s = slice_make(id, 31);
        if ((session_owner(w->srv, s) == w && session_find(w, s) == NULL) || tries > 64)
            return id;
    }
}

/* Client-id rules; returns 0 or the reason to refuse with. */
static uint8_t check_client_id(struct client *c, const struct mqtt_connect *p,
                               struct connect_req *r)
{
    if (p->client_id.len > c->w->srv->cfg->max_client_id_length)
        return MQTT_RC_CLIENT_IDENTIFIER_NOT_VALID; /* [MQTT-3.1.3-8] (3.1.1 [MQTT-3.1.3-9]) */
    if (p->client_id.len > 0) {
        r->client_id = xmemdup(p->client_id.ptr, p->client_id.len);
        r->client_id_len = p->client_id.len;
        return 0;
    }
    /* 3.1 requires an id; 3.1.1 allows an empty one only with a clean
     * session [MQTT-3.1.3-7] [MQTT-3.1.3-8]; v5 gets one assigned
     * [MQTT-3.1.3-6] and told in CONNACK [MQTT-3.2.2-16]. */
    if (p->version == MQTT_V31 || (p->version == MQTT_V311 && !p->clean_start))
        return MQTT_RC_CLIENT_IDENTIFIER_NOT_VALID;
    r->client_id = assign_id(c->w, &r->client_id_len);
    r->assigned_id = true;
    return 0;
}

/* Keep-alive against max_keepalive (never a reason to refuse). */
static void check_keepalive(struct client *c, const struct mqtt_connect *p, struct connect_req *r)
{
    uint32_t max = c->w->srv->cfg->max_keepalive;
    r->keepalive = r->keepalive_asked = p->keep_alive;
    if (max == 0 || max >= 65535)
        return;
    if (p->version == MQTT_V5) {
        /* v5 is told the value to use in Server Keep Alive [MQTT-3.2.2-21]:
         * a lower one, and also one when it asked for none (0), since the
         * broker requires a keep-alive of at most max_keepalive; connack.c
         * sends it whenever it differs from the client's. */
        if (p->keep_alive == 0 || p->keep_alive > max)
            r->keepalive = (uint16_t)max;
        return;
    }
    /* 3.1.1 has no way to tell the client; the cap still applies (a client
     * idle past 1.5 x max_keepalive is closed). 0 stays 0: such a client
     * never sends PINGREQ and would be cut off for being quiet. */
    if (p->keep_alive > max)
        r->keepalive = (uint16_t)max;
}

/* Will rules that depend on what the broker offers; returns 0 or the
 * reason to refuse with. */
static uint8_t check_will(struct client *c, const struct mqtt_connect *p, const char **why)
{
    const struct config *cfg = c->w->srv->cfg;
    if (!p->has_will)
        return 0;
    if (p->will.qos > cfg->max_qos) {
        *why = "Will QoS above max_qos [MQTT-3.2.2-12]";
        return MQTT_RC_QOS_NOT_SUPPORTED;
    }
    if (p->will.retain && !cfg->retain_available) {
        *why = "Will Retain with retain_available false [MQTT-3.2.2-13]";
        return MQTT_RC_RETAIN_NOT_SUPPORTED;
    }
    const struct mqtt_props *wp = &p->will.props;
    if (MQTT_PROP_HAS(wp, MQTT_PROP_PAYLOAD_FORMAT_INDICATOR) &&
        wp->payload_format_indicator == 1 && !mqtt_utf8_valid(p->will.payload)) {
        /* The Server MAY check the format (3.1.3.2.3); a will that says UTF-8
         * and is not would reach subscribers as a lie. */
        *why = "Will Payload is not the UTF-8 its Payload Format Indicator says";
        return MQTT_RC_PAYLOAD_FORMAT_INVALID;
    }
    return 0;
}

/* What the broker says to every CONNECT before looking at it: redirection
 * (server_reference_mode temporary/moved) and max_connections. Returns 0
 * or the reason to refuse with. */
static uint8_t check_policy(struct client *c, const char **why)
{
    const struct config *cfg = c->w->srv->cfg;
    if (cfg->server_reference_mode == CONFIG_REDIRECT_TEMPORARY) {
        *why = "server_reference_mode temporary: use another server";
        return MQTT_RC_USE_ANOTHER_SERVER; /* MQTT 5.0 section 4.11 */
    }
    if (cfg->server_reference_mode == CONFIG_REDIRECT_MOVED) {
        *why = "server_reference_mode moved: server moved";
        return MQTT_RC_SERVER_MOVED;
    }
    if (c->over_quota) {
        /* A limit of the broker's, not a rate: "Quota exceeded" rather than
         * 0x9F Connection rate exceeded (table 3-1). */
        *why = "listener max_connections reached";
        return MQTT_RC_QUOTA_EXCEEDED;
    }
    return 0;
}

/* Copies the will into a message (ACL is checked when it is published). */
static void take_will(struct client *c, const struct mqtt_connect *p, struct connect_req *r)
{
    if (!p->has_will)
        return;
    r->will = msg_from_will(&c->w->msgs, &p->will, c->w->now_ms);
    if (MQTT_PROP_HAS(&p->will.props, MQTT_PROP_WILL_DELAY_INTERVAL))
        r->will_delay = p->will.props.will_delay_interval;
}

static void take_props(const struct mqtt_connect *p, struct connect_req *r)
{
    r->receive_max = 65535;
    r->request_problem_info = true;
    if (p->version != MQTT_V5) {
        r->session_expiry = p->clean_start ? 0 : SESSION_EXPIRY_NEVER;
        return;
    }
    const struct mqtt_props *pr = &p->props;
    if (MQTT_PROP_HAS(pr, MQTT_PROP_SESSION_EXPIRY_INTERVAL))
        r->session_expiry = pr->session_expiry_interval;
    if (MQTT_PROP_HAS(pr, MQTT_PROP_RECEIVE_MAXIMUM))
        r->receive_max = pr->receive_maximum;
    if (MQTT_PROP_HAS(pr, MQTT_PROP_MAXIMUM_PACKET_SIZE))
        r->max_packet = pr->maximum_packet_size;
    if (MQTT_PROP_HAS(pr, MQTT_PROP_REQUEST_PROBLEM_INFORMATION))
        r->request_problem_info = pr->request_problem_information != 0;
    if (MQTT_PROP_HAS(pr, MQTT_PROP_REQUEST_RESPONSE_INFORMATION))
        r->request_response_info = pr->request_response_information != 0;
    if (MQTT_PROP_HAS(pr, MQTT_PROP_TOPIC_ALIAS_MAXIMUM))
        r->topic_alias_max = pr->topic_alias_maximum;
}

static void decode_failed(struct client *c, const struct mqtt_connect *p, int rc,
                          const char *why)
{
    c->version = p->version;
    if (rc == -MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION) {
        /* Answer in the form every version understands: 3.1.1's return
         * code 1 [MQTT-3.1.2-2] (a level we don't know may not read a v5
         * CONNACK). */
        c->version = MQTT_V311;
        broker_connect_refuse(c, MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION,
                              why ? why : "unsupported protocol level");
        return;
    }
    if (p->version == MQTT_V5) {
        /* v5 may be told why before the close [MQTT-4.13.1-1]. */
        broker_connect_refuse(c, (uint8_t)-rc, why ? why : "malformed CONNECT");
        return;
    }
    client_protocol_error(c, (uint8_t)-rc, why);
}

/* Copies what CONNECT asked for into c->req. */
static void take_request(struct client *c, const struct mqtt_connect *p)
{
    struct connect_req *r = c->req;
    take_props(p, r);
    take_will(c, p, r);
    if (p->has_username) {
        r->username = xmemdup(p->username.ptr, p->username.len);
        r->username_len = p->username.len;
    }
    if (p->has_password) {
        r->password = xmemdup(p->password.ptr, p->password.len);
        r->password_len = p->password.len;
    }
    /* What the broker may send from now on (CONNACK included). */
    c->max_packet_out = r->max_packet;
    c->problem_info = r->request_problem_info;
}

/* Every check a well-formed CONNECT can fail before authentication;
 * returns 0 or the reason to refuse with (and *why). */
static uint8_t check_connect(struct client *c, const struct mqtt_connect *p, const char **why)
{
    uint8_t rc = check_policy(c, why);
    if (rc == 0 && (rc = check_client_id(c, p, c->req)) != 0)
        *why = "client identifier not valid";
    if (rc == 0)
        rc = check_will(c, p, why);
    return rc;
}

void broker_handle_connect(struct client *c, const struct mqtt_frame *f)
{
    struct mqtt_connect p;
    memset(&p, 0, sizeof p);
    struct mqtt_ctx cx = {.version = MQTT_V311, .sender = MQTT_FROM_CLIENT};
    const char *why = NULL;
    int rc = mqtt_connect_decode(&p, f, &cx, &why);
    if (rc < 0) {
        decode_failed(c, &p, rc, why);
        return;
    }
    c->version = p.version;
    struct connect_req *r = xcalloc(1, sizeof *r);
    c->req = r;
    r->clean_start = p.clean_start;
    if (p.version == MQTT_V5 && MQTT_PROP_HAS(&p.props, MQTT_PROP_MAXIMUM_PACKET_SIZE))
        c->max_packet_out = p.props.maximum_packet_size; /* binds a refusal's CONNACK too */
    uint8_t refuse_rc = check_connect(c, &p, &why);
    if (refuse_rc) {
        broker_connect_refuse(c, refuse_rc, why);
        return;
    }
    check_keepalive(c, &p, r);
    take_request(c, &p);
    if (MQTT_PROP_HAS(&p.props, MQTT_PROP_AUTHENTICATION_METHOD)) {
        eauth_connect(c, &p); /* enhanced authentication (section 4.12) */
        return;
    }
    c->state = CLIENT_AUTH;
    conn_want(&c->conn, 0); /* pipelined packets wait in the kernel and our buffer */
    c->read_paused = true;

    struct slice user = slice_make(r->username, r->username_len);
    struct slice *userp = r->username ? &user : NULL;
    if (auth_check_is_slow(c->w->auth, userp)) {
        /* Hashes never run on a loop thread. */
        r->auth = auth_ref(c->w->auth);
        r->work.data = c;
        c->auth_running = true;
        uv_queue_work(&c->w->loop.uv, &r->work, auth_work, auth_done);
        return;
    }
    struct slice pass = slice_make(r->password, r->password_len);
    r->auth_result = auth_check_password(c->w->auth, userp, r->password ? &pass : NULL);
    broker_connect_authenticated(c);
}

/* Reads the protocol level of a CONNECT whose first bytes are buffered:
 * 1 = MQTT 5, 0 = another level, -1 = more bytes needed. */
static int peek_v5(const struct buf *in)
{
    const uint8_t *p = buf_head(in);
    size_t n = buf_used(in);
    uint32_t len;
    int h = n > 1 ? mqtt_varint_decode(p + 1, n - 1, &len) : 0;
    if (h < 0)
        return 0;
    size_t at = 1 + (size_t)h; /* protocol name: 2-byte length, "MQTT", then the level */
    if (h == 0 || n < at + 7)
        return -1;
    return mqtt_rd_u16(p + at) == 4 && memcmp(p + at + 2, "MQTT", 4) == 0 && p[at + 6] == MQTT_V5;
}

bool broker_connect_too_large(struct client *c)
{
    int v5 = peek_v5(&c->conn.in);
    if (v5 < 0)
        return true;
    if (v5) {
        /* Table 3-1 has 0x95 for a CONNECT too large to process. */
        c->version = MQTT_V5;
        broker_connect_refuse(c, MQTT_RC_PACKET_TOO_LARGE, "CONNECT larger than the limit");
        return false;
    }
    client_protocol_error(c, MQTT_RC_PACKET_TOO_LARGE, "CONNECT larger than the limit");
    return false;
}

/* Thread pool: the only code here that runs off the loops. */
static void auth_work(uv_work_t *req)
{
    struct client *c = req->data;
    struct connect_req *r = c->req;
    struct slice user = slice_make(r->username, r->username_len);
    struct slice pass = slice_make(r->password, r->password_len);
    r->auth_result =
        auth_check_password(r->auth, r->username ? &user : NULL, r->password ? &pass : NULL);
}

static void auth_done(uv_work_t *req, int status)
{
    struct client *c = req->data;
    c->auth_running = false;
    c->w->now_ms = clock_mono_ms();
    if (c->state == CLIENT_CLOSING || status != 0) {
        /* Closed while checking (shutdown, connect timeout): free it now. */
        client_close(c, 0, false, false, "closed during authentication");
        loop_request_pass(&c->w->loop);
        return;
    }
    broker_connect_authenticated(c);
}

void broker_connect_authenticated(struct client *c)
{
    struct connect_req *r = c->req;
    if (r->auth_result != AUTH_OK) {
        uint8_t rc = r->auth_result == AUTH_NOT_AUTHORIZED ? MQTT_RC_NOT_AUTHORIZED
                                                           : MQTT_RC_BAD_USER_NAME_OR_PASSWORD;
        broker_connect_refuse(
            c, rc, rc == MQTT_RC_NOT_AUTHORIZED ? "not authorized" : "bad user name or password");
        return;
    }
    struct worker *owner = session_owner(c->w->srv, slice_make(r->client_id, r->client_id_len));
    if (owner == c->w) {
        connect_finish(c);
        return;
    }
    /* Move to the session's worker: the socket is re-attached there and the
     * rest of CONNECT runs on that thread. The post waits for the end of
     * the pass, when no code on this thread still holds the client. */
    list_unlink(&c->node);
    list_unlink(&c->dirty_node);
    conn_detach(&c->conn);
    c->state = CLIENT_MOVING;
    r->move.task.kind = TASK_MIGRATE;
    r->move.ptr = c;
    r->dest = owner;
    list_push(&c->w->moving, &c->close_node);
    loop_request_pass(&c->w->loop);
}

void broker_connect_arrived(struct worker *w, struct client *c)
{
    c->w = w;
    list_push(&w->clients, &c->node);
    if (w->stopping || conn_attach(&c->conn, &w->loop.uv) != 0) {
        client_close(c, 0, false, false, "server shutting down");
        return;
    }
    connect_finish(c);
}

/* Closes an existing connection with the same client id [MQTT-3.1.4-2]. */
static void take_over(struct client *c, struct session *s)
{
    struct client *old = s->client;
    char id[96];
    log_info("session taken over: id=%s old=%s new=%s",
             log_printable(s->client_id, id, sizeof id), old->conn.peer, c->conn.peer);
    /* The old connection did not send DISCONNECT, so its will is published
     * as section 3.1.2.5 says (v5: 0x8E to it first [MQTT-3.1.4-3]): at
     * once with no Will Delay or when the session ends with it; otherwise
     * it waits on the session, and connect_finish() either cancels it (Clean
     * Start 0: a new connection to the session [MQTT-3.1.3-9]) or publishes
     * it (Clean Start 1 ends the session). */
    client_close(old, MQTT_RC_SESSION_TAKEN_OVER, true, true, "session taken over");
}

static void attach_session(struct client *c, struct session *s)
{
    struct connect_req *r = c->req;
    struct worker *w = c->w;
    s->client = c;
    atomic_store(&s->online, true);
    if (list_linked(&s->offline_node)) {
        list_unlink(&s->offline_node);
        STAT_SUB(w, sessions_offline, 1);
    }
    s->expiry_interval = r->session_expiry;
    free(s->username);
    s->username = r->username ? xmemdup(r->username, r->username_len) : NULL;
    s->username_len = r->username_len;
    s->attach_gen++;
    c->sess = s;
    durable_session_attached(w, s);
}

/* The v5 per-connection limits in both directions: Topic Aliases
 * (mappings never outlive the connection [MQTT-3.3.2-7]) and our Receive
 * Maximum. Earlier versions have neither. */
static void connection_limits(struct client *c, const struct connect_req *r)
{
    const struct config *cfg = c->w->srv->cfg;
    bool v5 = c->version == MQTT_V5;
    uint32_t in = v5 ? cfg->listeners[c->listener].max_topic_alias : 0;
    /* Never above the client's maximum [MQTT-3.1.2-26], none when it gave 0
     * or nothing [MQTT-3.1.2-27]. */
    uint16_t out = r->topic_alias_max < in ? r->topic_alias_max : (uint16_t)in;
    if (in || out) {
        c->aliases = xmalloc(sizeof *c->aliases);
        alias_in_init(&c->aliases->in, (uint16_t)in);
        alias_out_init(&c->aliases->out, out, c->w->srv->seed);
    }
    c->receive_max = v5 ? (uint16_t)cfg->receive_maximum : 0;
}

static void connect_finish(struct client *c)
{
    struct worker *w = c->w;
    struct connect_req *r = c->req;
    struct slice id = slice_make(r->client_id, r->client_id_len);
    struct session *s = session_find(w, id);
    if (s && s->client)
        take_over(c, s);
    s = session_find(w, id); /* the takeover may have ended it */
    if (s && r->clean_start) {
        /* [MQTT-3.1.2-4]; a will waiting out its delay goes now, since its
         * session ends (3.1.3.2.2, non-normative comment). */
        broker_session_end(w, s);
        s = NULL;
    }
    if (s)
        will_cancel(w, s);    /* the session continues: its will is not sent [MQTT-3.1.3-9] */
    bool present = s != NULL; /* [MQTT-3.2.2-2] [MQTT-3.2.2-3] */
    if (s == NULL)
        s = session_new(w, id);
    attach_session(c, s);

    /* The connection's own state. */
    c->username = r->username;
    c->username_len = r->username_len;
    r->username = NULL;
    c->will = r->will;
    durable_will_attach(w, s, c->will, r->will_delay);
    r->will = NULL;
    c->will_delay = r->will_delay;
    c->keepalive = r->keepalive;
    uint32_t window = w->srv->cfg->max_inflight_messages;
    if (window == 0 || window > 65535)
        window = 65535;
    c->window = (uint16_t)(window < r->receive_max ? window : r->receive_max);
    c->send_quota = c->window; /* section 4.9 */
    c->max_packet_out = r->max_packet;
    connection_limits(c, r);
    c->state = CLIENT_ACTIVE;
    STAT_ADD(w, clients_connected, 1);
    worker_note_clients_max(w);

    char idbuf[96], userbuf[96];
    log_info("client connected: id=%s addr=%s proto=%u user=%s keepalive=%u clean=%d",
             log_printable(id, idbuf, sizeof idbuf), c->conn.peer, c->version,
             c->username ? log_printable(slice_make(c->username, c->username_len), userbuf,
                                         sizeof userbuf)
                         : "-",
             c->keepalive, r->clean_start);

    broker_connack_success(c, present);
    broker_connect_req_free(r);
    c->req = NULL;
    c->read_paused = false;
    conn_want(&c->conn, CONN_EV_READ);
    broker_resume_session(c);
    /* Packets pipelined behind CONNECT, in order. */
    client_process_input(c);
}
