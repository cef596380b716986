/*
 * sys.c - $SYS/broker/... statistics, with mosquitto's topic names, so
 * dashboards and scripts written for mosquitto read Petrel unchanged.
 *
 * Worker 0 publishes every sys_interval: it sums the per-worker counters
 * (relaxed atomic reads; each has one writer), computes mosquitto-style
 * load averages (per-minute rates smoothed over 1, 5 and 15 minutes), and
 * publishes each topic as a retained QoS 0 message only when its text
 * changed since the last time.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "broker/broker.h"
#include "broker/msg.h"
#include "broker/retain.h"
#include "util/alloc.h"
#include "util/clock.h"

enum sys_counter {
    SC_MSG_RECEIVED = 0,
    SC_MSG_SENT,
    SC_PUB_RECEIVED,
    SC_PUB_SENT,
    SC_PUB_DROPPED,
    SC_BYTES_RECEIVED,
    SC_BYTES_SENT,
    SC_CONNECTIONS,
    SC_COUNT
};

/* Load-average topics, in enum sys_counter order. */
static const char *const load_names[SC_COUNT] = {
    "messages/received", "messages/sent",  "publish/received", "publish/sent",
    "publish/dropped",   "bytes/received", "bytes/sent",       "connections",
};

static const char *const load_windows[3] = {"1min", "5min", "15min"};
static const double load_minutes[3] = {1.0, 5.0, 15.0};

#define SYS_MAX_TOPICS 64

struct sys_state {
    uint64_t last[SC_COUNT];
    double load[SC_COUNT][3];
    bool primed;
    /* Last text published per topic, to publish changes only. */
    char *topic[SYS_MAX_TOPICS];
    char *value[SYS_MAX_TOPICS];
    size_t ntopics;
};

void sys_init(struct worker *w)
{
    w->sys = xcalloc(1, sizeof *w->sys);
}

void sys_fini(struct worker *w)
{
    if (w->sys == NULL)
        return;
    for (size_t i = 0; i < w->sys->ntopics; i++) {
        free(w->sys->topic[i]);
        free(w->sys->value[i]);
    }
    xfree(w->sys);
}

/* Publishes value on topic when it differs from the last publication. */
static void sys_put(struct worker *w, const char *topic, const char *value)
{
    struct sys_state *st = w->sys;
    size_t i;
    for (i = 0; i < st->ntopics; i++)
        if (strcmp(st->topic[i], topic) == 0)
            break;
    if (i < st->ntopics && strcmp(st->value[i], value) == 0)
        return;
    if (i == st->ntopics) {
        if (st->ntopics == SYS_MAX_TOPICS)
            return;
        st->topic[st->ntopics++] = xstrdup(topic);
        st->value[i] = NULL;
    }
    free(st->value[i]);
    st->value[i] = xstrdup(value);
    struct msg *m = msg_new(slice_cstr(topic), slice_cstr(value), 0, true, SLICE_NULL, 0,
                            w->now_ms);
    msg_unref(retain_set(&w->srv->retained, m));
    broker_route(w, m);
    msg_unref(m);
}

static void sys_put_u64(struct worker *w, const char *topic, uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    sys_put(w, topic, buf);
}

#define SUM(field) sum_stat(srv, offsetof(struct worker_stats, field))

static uint64_t sum_stat(struct server *srv, size_t off)
{
    uint64_t total = 0;
    for (unsigned i = 0; i < srv->nworkers; i++) {
        _Atomic uint64_t *f = (_Atomic uint64_t *)((char *)&srv->workers[i].stats + off);
        total += atomic_load_explicit(f, memory_order_relaxed);
    }
    return total;
}

static void update_loads(struct worker *w, const uint64_t now[SC_COUNT])
{
    struct sys_state *st = w->sys;
    double interval = (double)w->srv->cfg->sys_interval;
    for (int k = 0; k < SC_COUNT; k++) {
        double rate = st->primed ? (double)(now[k] - st->last[k]) * 60.0 / interval : 0.0;
        for (int j = 0; j < 3; j++) {
            double a = 1.0 - exp(-interval / (60.0 * load_minutes[j]));
            st->load[k][j] += a * (rate - st->load[k][j]);
            char topic[96], value[32];
            snprintf(topic, sizeof topic, "$SYS/broker/load/%s/%s", load_names[k],
                     load_windows[j]);
            snprintf(value, sizeof value, "%.2f", st->load[k][j]);
            sys_put(w, topic, value);
        }
        st->last[k] = now[k];
    }
    st->primed = true;
}

void sys_publish(struct worker *w)
{
    struct server *srv = w->srv;
    char buf[64];
    sys_put(w, "$SYS/broker/version", "petrel version " PETREL_VERSION);
    snprintf(buf, sizeof buf, "%llu seconds",
             (unsigned long long)((w->now_ms - srv->started_ms) / 1000u));
    sys_put(w, "$SYS/broker/uptime", buf);

    uint64_t connected = SUM(clients_connected), offline = SUM(sessions_offline);
    sys_put_u64(w, "$SYS/broker/clients/connected", connected);
    sys_put_u64(w, "$SYS/broker/clients/disconnected", offline);
    sys_put_u64(w, "$SYS/broker/clients/total", connected + offline);
    sys_put_u64(w, "$SYS/broker/clients/maximum", atomic_load(&srv->clients_max));
    sys_put_u64(w, "$SYS/broker/clients/expired", SUM(sessions_expired));

    uint64_t now[SC_COUNT] = {
        [SC_MSG_RECEIVED] = SUM(packets_received),  [SC_MSG_SENT] = SUM(packets_sent),
        [SC_PUB_RECEIVED] = SUM(publish_received),  [SC_PUB_SENT] = SUM(publish_sent),
        [SC_PUB_DROPPED] = SUM(publish_dropped),    [SC_BYTES_RECEIVED] = SUM(bytes_received),
        [SC_BYTES_SENT] = SUM(bytes_sent),          [SC_CONNECTIONS] = SUM(connections_total),
    };
    sys_put_u64(w, "$SYS/broker/messages/received", now[SC_MSG_RECEIVED]);
    sys_put_u64(w, "$SYS/broker/messages/sent", now[SC_MSG_SENT]);
    sys_put_u64(w, "$SYS/broker/publish/messages/received", now[SC_PUB_RECEIVED]);
    sys_put_u64(w, "$SYS/broker/publish/messages/sent", now[SC_PUB_SENT]);
    sys_put_u64(w, "$SYS/broker/publish/messages/dropped", now[SC_PUB_DROPPED]);
    sys_put_u64(w, "$SYS/broker/bytes/received", now[SC_BYTES_RECEIVED]);
    sys_put_u64(w, "$SYS/broker/bytes/sent", now[SC_BYTES_SENT]);

    uint64_t retained = atomic_load(&srv->retained.count);
    sys_put_u64(w, "$SYS/broker/subscriptions/count", subtree_count(&srv->subs));
    sys_put_u64(w, "$SYS/broker/retained messages/count", retained);
    sys_put_u64(w, "$SYS/broker/store/messages/count", SUM(store_messages) + retained);
    sys_put_u64(w, "$SYS/broker/store/messages/bytes",
                SUM(store_bytes) + atomic_load(&srv->retained.bytes));
    update_loads(w, now);
}
