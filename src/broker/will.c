/*
 * will.c - Will Messages: when a connection's will is published, waits,
 * or is dropped (MQTT 5.0 sections 3.1.2.5, 3.1.3.2.2 and 3.1.4; 3.1.1
 * section 3.1.2.5).
 *
 * A connection that ends without DISCONNECT 0x00 publishes its will
 * [MQTT-3.1.2-8], after its Will Delay Interval or when its session ends,
 * whichever comes first [MQTT-3.1.3-9]:
 *   - no delay (3.1.1 always), or a session that ends with the connection
 *     (Session Expiry 0): published at once;
 *   - otherwise the will is parked on the session for min(delay, session
 *     expiry) seconds; a new connection that continues the session (Clean
 *     Start 0) cancels it [MQTT-3.1.3-9], one that ends the session (Clean
 *     Start 1) or the session's expiry publishes it first (session end).
 * So on takeover the old connection's will is not sent when the new
 * connection continues the session and the will has a delay, and is sent
 * otherwise (3.1.3.2.2 and 3.1.4, non-normative comments).
 *
 * Parked wills wait on their owner worker's list, ordered by deadline,
 * with one timer armed for the first; a session is on that list while its
 * `will` is set. The will message keeps its properties (content type,
 * response topic, correlation data, user properties in order
 * [MQTT-3.1.3-10], payload format); its Message Expiry counts from when it
 * is published (3.1.3.2.4). With persistence, a parked will of a stored
 * session is stored with it (durable.c) and survives a stop or a crash:
 * the restart publishes it when its delay ends, at once if that was while
 * the broker was down (recover.c). Without persistence, parked wills end
 * with their sessions at shutdown (the server MAY defer them, 3.1.2.5).
 */
#include "auth/auth.h"
#include "broker/broker.h"
#include "broker/durable.h"
#include "broker/msg.h"
#include "broker/retain.h"
#include "broker/session.h"
#include "util/clock.h"
#include "util/log.h"

/* Publishes will m of the session or connection identified by client_id
 * and user (NULL = anonymous), ACL permitting. Takes m's reference. */
static void publish(struct worker *w, struct slice client_id, const struct slice *user,
                    uint64_t origin, struct msg *m)
{
    if (!auth_acl_allows(w->auth, client_id, user, m->topic, AUTH_ACCESS_WRITE) ||
        slice_starts_with(m->topic, SLICE_LIT("$SYS"))) {
        char topic[128];
        log_notice("will not published (denied): topic=%s",
                   log_printable(m->topic, topic, sizeof topic));
        msg_unref(m);
        return;
    }
    m->created_ms = w->now_ms; /* the expiry counts from publication (3.1.3.2.4) */
    m->origin = origin;
    if (m->retain) {
        struct msg *old = retain_set(&w->srv->retained, m);
        durable_retain_set(w, m, old);
        msg_unref(old);
    }
    STAT_ADD(w, publish_received, 1);
    broker_route(w, m);
    msg_unref(m);
}

static void publish_parked(struct worker *w, struct session *s)
{
    struct msg *m = s->will;
    s->will = NULL;
    list_unlink(&s->will_node);
    durable_will_gone(w, s, m);
    struct slice user = slice_make(s->username, s->username_len);
    publish(w, s->client_id, s->username ? &user : NULL, s->id, m);
}

/* Arms the worker's timer for the first parked will, or stops it. */
static void arm(struct worker *w)
{
    if (list_empty(&w->wills)) {
        uv_timer_stop(&w->will_timer);
        return;
    }
    struct session *s = list_entry(w->wills.next, struct session, will_node);
    uint64_t in = s->will_at_ms > w->now_ms ? s->will_at_ms - w->now_ms : 0;
    uv_timer_start(&w->will_timer, broker_will_timer, in, 0);
}

/* Puts m on s's parked place until at_ms, keeping the list in deadline
 * order. Wills are mostly parked in time order, so the walk from the tail
 * is short. */
static void insert(struct worker *w, struct session *s, struct msg *m, uint64_t at_ms)
{
    s->will = m;
    s->will_at_ms = at_ms;
    struct list *n = w->wills.prev;
    while (n != &w->wills && list_entry(n, struct session, will_node)->will_at_ms > at_ms)
        n = n->prev;
    list_insert_before(n->next, &s->will_node);
    if (w->wills.next == &s->will_node)
        arm(w);
}

static void park(struct worker *w, struct session *s, struct msg *m, uint64_t at_ms)
{
    will_cancel(w, s); /* none is parked while a connection is attached; be sure */
    insert(w, s, m, at_ms);
    durable_will_parked(w, s);
}

void will_restore(struct worker *w, struct session *s, struct msg *m, uint64_t at_ms)
{
    insert(w, s, m, at_ms);
}

void will_on_close(struct client *c)
{
    struct worker *w = c->w;
    struct session *s = c->sess;
    struct msg *m = c->will;
    c->will = NULL;
    uint32_t delay = c->will_delay;
    if (s && s->client == c && delay > 0 && s->expiry_interval > 0) {
        /* Whichever comes first: the delay or the session's end [MQTT-3.1.3-9]. */
        if (delay > s->expiry_interval)
            delay = s->expiry_interval;
        park(w, s, m, w->now_ms + (uint64_t)delay * 1000u);
        return;
    }
    struct slice id =
        s ? s->client_id
          : (c->req ? slice_make(c->req->client_id, c->req->client_id_len) : SLICE_NULL);
    struct slice user = slice_make(c->username, c->username_len);
    publish(w, id, c->username ? &user : NULL, s ? s->id : 0, m);
}

void will_cancel(struct worker *w, struct session *s)
{
    if (s->will == NULL)
        return;
    char id[96];
    log_debug("will cancelled: id=%s reconnected within its delay",
              log_printable(s->client_id, id, sizeof id));
    bool first = w->wills.next == &s->will_node;
    list_unlink(&s->will_node);
    struct msg *m = s->will;
    s->will = NULL;
    durable_will_gone(w, s, m);
    msg_unref(m);
    if (first)
        arm(w);
}

void broker_session_end(struct worker *w, struct session *s)
{
    if (s->will) {
        /* The session ends before the delay: the will goes now [MQTT-3.1.3-9]. */
        bool first = w->wills.next == &s->will_node;
        publish_parked(w, s);
        if (first)
            arm(w);
    }
    session_end(w, s);
}

void broker_will_timer(uv_timer_t *t)
{
    struct worker *w = t->data;
    w->now_ms = clock_mono_ms();
    while (!list_empty(&w->wills)) {
        struct session *s = list_entry(w->wills.next, struct session, will_node);
        if (s->will_at_ms > w->now_ms)
            break;
        publish_parked(w, s);
    }
    arm(w);
}
