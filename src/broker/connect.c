/*
 * connect.c - CONNECT, in phases (STYLE.md section 2):
 *   1. validate:     decode, client-id and keep-alive rules, copy what we
 *                    keep out of the input buffer (struct connect_req);
 *   2. authenticate: inline when cheap, else in the thread pool; reading
 *                    is paused meanwhile and pipelined packets wait;
 *   3. move:         to the worker that owns the client id's session;
 *   4. take over:    close an existing connection of the same client id
 *                    [MQTT-3.1.4-2], keep or discard the session;
 *   5. CONNACK, re-send inflight messages, then handle the packets that
 *      were pipelined behind CONNECT, in order.
 */
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "broker/broker.h"
#include "broker/msg.h"
#include "broker/session.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/log.h"

static void connect_authenticated(struct client *c);
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
    free(r);
}

/* Refuses the connection with a CONNACK carrying rc, then closes. */
static void refuse(struct client *c, uint8_t rc, const char *why)
{
    char id[96];
    log_notice("connection refused: id=%s addr=%s: %s (%s)", client_log_id(c, id, sizeof id),
               c->conn.peer, why, mqtt_rc_name(rc));
    client_send_connack(c, false, rc, NULL);
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
        if (session_owner(w->srv, slice_make(id, 31)) == w || tries > 64)
            return id;
    }
}

/* Client-id rules; returns 0 or the reason to refuse with. */
static uint8_t check_client_id(struct client *c, const struct mqtt_connect *p,
                               struct connect_req *r)
{
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

/* Keep-alive against max_keepalive; returns 0 or the reason to refuse. */
static uint8_t check_keepalive(struct client *c, const struct mqtt_connect *p,
                               struct connect_req *r)
{
    uint32_t max = c->w->srv->cfg->max_keepalive;
    r->keepalive = r->keepalive_asked = p->keep_alive;
    if (max == 0 || max >= 65535)
        return 0;
    if (p->version == MQTT_V5) {
        /* v5 can be told the value to use (Server Keep Alive [MQTT-3.2.2-21]). */
        if (p->keep_alive == 0 || p->keep_alive > max)
            r->keepalive = (uint16_t)max;
        return 0;
    }
    /* 3.1.1 has no way to tell the client; the cap still applies (a client
     * idle past 1.5 x max_keepalive is closed). 0 stays 0: such a client
     * never sends PINGREQ and would be cut off for being quiet. */
    if (p->keep_alive > max)
        r->keepalive = (uint16_t)max;
    return 0;
}

/* Copies the will into a message (ACL is checked when it is published). */
static void take_will(struct client *c, const struct mqtt_connect *p, struct connect_req *r)
{
    if (!p->has_will)
        return;
    r->will = msg_from_will(&p->will, c->w->now_ms);
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
        refuse(c, MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION, why ? why : "unsupported protocol level");
        return;
    }
    if (p->version == MQTT_V5) {
        /* v5 may be told why before the close [MQTT-4.13.1-1]. */
        refuse(c, (uint8_t)-rc, why ? why : "malformed CONNECT");
        return;
    }
    client_protocol_error(c, (uint8_t)-rc, why);
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
    uint8_t refuse_rc = check_client_id(c, &p, r);
    if (refuse_rc == 0)
        refuse_rc = check_keepalive(c, &p, r);
    if (refuse_rc == 0 && MQTT_PROP_HAS(&p.props, MQTT_PROP_AUTHENTICATION_METHOD))
        refuse_rc = MQTT_RC_BAD_AUTHENTICATION_METHOD; /* enhanced auth: not offered yet */
    if (refuse_rc) {
        refuse(c, refuse_rc, "CONNECT refused");
        return;
    }
    take_props(&p, r);
    take_will(c, &p, r);
    if (p.has_username) {
        r->username = xmemdup(p.username.ptr, p.username.len);
        r->username_len = p.username.len;
    }
    if (p.has_password) {
        r->password = xmemdup(p.password.ptr, p.password.len);
        r->password_len = p.password.len;
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
    connect_authenticated(c);
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
    connect_authenticated(c);
}

static void connect_authenticated(struct client *c)
{
    struct connect_req *r = c->req;
    if (r->auth_result != AUTH_OK) {
        uint8_t rc = r->auth_result == AUTH_NOT_AUTHORIZED ? MQTT_RC_NOT_AUTHORIZED
                                                           : MQTT_RC_BAD_USER_NAME_OR_PASSWORD;
        refuse(c, rc, "authentication failed");
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
    /* The old connection did not send DISCONNECT, so its will goes out
     * (v5: 0x8E to it first [MQTT-3.1.4-3]). */
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
    c->sess = s;
}

static void send_connack(struct client *c, bool present)
{
    struct connect_req *r = c->req;
    struct mqtt_props props;
    memset(&props, 0, sizeof props);
    if (c->version == MQTT_V5) {
        if (r->assigned_id) {
            props.present |= MQTT_PROP_BIT(MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER);
            props.assigned_client_identifier = slice_make(r->client_id, r->client_id_len);
        }
        if (c->keepalive != r->keepalive_asked) {
            props.present |= MQTT_PROP_BIT(MQTT_PROP_SERVER_KEEP_ALIVE);
            props.server_keep_alive = c->keepalive;
        }
        uint32_t maxp = c->w->srv->cfg->max_packet_size;
        if (maxp) {
            props.present |= MQTT_PROP_BIT(MQTT_PROP_MAXIMUM_PACKET_SIZE);
            props.maximum_packet_size = maxp;
        }
        /* Topic aliases the client may use [MQTT-3.2.2-17]; absent means
         * none [MQTT-3.2.2-18]. */
        if (c->alias_in.max) {
            props.present |= MQTT_PROP_BIT(MQTT_PROP_TOPIC_ALIAS_MAXIMUM);
            props.topic_alias_maximum = c->alias_in.max;
        }
        /* Absent means 65535 (3.2.2.3.3). */
        if (c->receive_max < 65535) {
            props.present |= MQTT_PROP_BIT(MQTT_PROP_RECEIVE_MAXIMUM);
            props.receive_maximum = c->receive_max;
        }
    }
    client_send_connack(c, present, MQTT_RC_SUCCESS, &props);
}

/* The v5 per-connection limits in both directions: Topic Aliases
 * (mappings never outlive the connection [MQTT-3.3.2-7]) and our Receive
 * Maximum. Earlier versions have neither. */
static void connection_limits(struct client *c, const struct connect_req *r)
{
    const struct config *cfg = c->w->srv->cfg;
    bool v5 = c->version == MQTT_V5;
    uint32_t in = v5 ? cfg->listeners[c->listener].max_topic_alias : 0;
    alias_in_init(&c->alias_in, (uint16_t)in);
    /* Never above the client's maximum [MQTT-3.1.2-26], none when it gave 0
     * or nothing [MQTT-3.1.2-27]. */
    uint16_t out = r->topic_alias_max < in ? r->topic_alias_max : (uint16_t)in;
    alias_out_init(&c->alias_out, out, c->w->srv->seed);
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
        session_end(w, s); /* [MQTT-3.1.2-4] */
        s = NULL;
    }
    bool present = s != NULL; /* [MQTT-3.2.2-2] */
    if (s == NULL)
        s = session_new(w, id);
    attach_session(c, s);

    /* The connection's own state. */
    c->username = r->username;
    c->username_len = r->username_len;
    r->username = NULL;
    c->will = r->will;
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

    send_connack(c, present);
    broker_connect_req_free(r);
    c->req = NULL;
    c->read_paused = false;
    conn_want(&c->conn, CONN_EV_READ);
    broker_resume_session(c);
    /* Packets pipelined behind CONNECT, in order. */
    client_process_input(c);
}
