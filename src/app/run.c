/*
 * run.c - building the server from a config, running the workers, and
 * handling signals on the main thread (SIGHUP: reload users and ACL;
 * SIGINT/SIGTERM: stop).
 */
#include "app/app.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "app/store_tool.h"
#include "auth/auth.h"
#include "broker/durable.h"
#include "broker/msg.h"
#include "broker/server.h"
#include "broker/worker.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/log.h"

unsigned app_default_threads(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0)
            return (unsigned)n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

void app_builtin_config(struct config *cfg)
{
    config_defaults(cfg);
    cfg->listeners[0].port = 1883;
    cfg->listeners[0].max_connections = -1;
    cfg->listeners[0].max_topic_alias = 10;
    cfg->listeners[1].port = 61613;
    cfg->listeners[1].max_connections = -1;
    cfg->listeners[1].max_topic_alias = 10;
    cfg->listener_count = 2;
    cfg->allow_anonymous = true;
}

/* Paths in the config are relative to its directory. */
static struct auth *load_auth(const struct config *cfg, char *err, size_t errlen)
{
    char *pw = cfg->password_file ? config_resolve_path(cfg, cfg->password_file) : NULL;
    char *users = cfg->users_file ? config_resolve_path(cfg, cfg->users_file) : NULL;
    char *groups = cfg->groups_file ? config_resolve_path(cfg, cfg->groups_file) : NULL;
    char *acl = cfg->acl_file ? config_resolve_path(cfg, cfg->acl_file) : NULL;
    struct auth_config ac = {
        .allow_anonymous = cfg->allow_anonymous,
        .password_file = pw,
        .users_file = users,
        .groups_file = groups,
        .acl_file = acl,
    };
    struct auth *a = auth_load(&ac, err, errlen);
    free(pw);
    free(users);
    free(groups);
    free(acl);
    return a;
}

static const char *listener_address(const struct config_listener *l)
{
    return l->address ? l->address : "127.0.0.1";
}

struct app {
    const struct config *cfg;
    struct server srv;
    struct auth *auth;
    int *fds; /* [listener][worker] */
    uv_loop_t loop;
    uv_signal_t sigint, sigterm, sighup;
    bool stopping;
};

static int open_listeners(struct app *a)
{
    const struct config *cfg = a->cfg;
    unsigned nw = a->srv.nworkers;
    size_t nl = cfg->listener_count;
    a->fds = xmalloc((nl ? nl : 1) * nw * sizeof *a->fds);
    for (size_t l = 0; l < nl; l++) {
        uint16_t port = cfg->listeners[l].port;
        const char *addr = listener_address(&cfg->listeners[l]);
        for (unsigned i = 0; i < nw; i++) {
            char err[256];
            int fd = listen_socket_open(addr, &port, err, sizeof err);
            if (fd < 0) {
                log_error("listener: %s", err);
                return -1;
            }
            a->fds[l * nw + i] = fd;
        }
        a->srv.listener_ports[l] = port;
        log_notice("listening on %s port %u", addr, port);
    }
    return 0;
}

static void reload(struct app *a)
{
    /* Users and ACL come from the files the config names now. Other keys
     * need a restart; the running config stays as it is. */
    struct config fresh;
    config_defaults(&fresh);
    char err[512];
    const struct config *src = a->cfg;
    if (a->cfg->path) {
        if (config_load(&fresh, a->cfg->path, err, sizeof err) != 0) {
            log_error("reload: %s; keeping the current users and ACL", err);
            config_fini(&fresh);
            return;
        }
        src = &fresh;
    }
    struct auth *next = load_auth(src, err, sizeof err);
    if (next == NULL) {
        log_error("reload: %s; keeping the current users and ACL", err);
    } else {
        for (unsigned i = 0; i < a->srv.nworkers; i++)
            worker_swap_auth(&a->srv.workers[i], next);
        auth_unref(a->auth);
        a->auth = next;
        log_notice("reload: users and ACL reloaded (%zu users)", auth_user_count(next));
    }
    if (src == &fresh)
        config_fini(&fresh);
}

static void on_signal(uv_signal_t *h, int signum)
{
    struct app *a = h->data;
    if (signum == SIGHUP) {
        reload(a);
        return;
    }
    if (a->stopping)
        return;
    a->stopping = true;
    log_notice("%s received: stopping", signum == SIGINT ? "SIGINT" : "SIGTERM");
    for (unsigned i = 0; i < a->srv.nworkers; i++)
        worker_request_shutdown(&a->srv.workers[i]);
    uv_close((uv_handle_t *)&a->sigint, NULL);
    uv_close((uv_handle_t *)&a->sigterm, NULL);
    uv_close((uv_handle_t *)&a->sighup, NULL);
}

/* The memory store, or SQLite in persistence_location with persistence. */
static int open_store(struct app *a)
{
    char err[512] = "";
    if (app_store_open(a->cfg, &a->srv.store, err, sizeof err) != 0) {
        log_error("persistence: %s", err);
        return -1;
    }
    if (a->cfg->persistence)
        log_notice("persistence: %s in %s (sync %s)", STORE_FILE_NAME,
                   a->cfg->persistence_location ? a->cfg->persistence_location : ".",
                   a->cfg->persistence_sync == CONFIG_SYNC_FULL     ? "full"
                   : a->cfg->persistence_sync == CONFIG_SYNC_NORMAL ? "normal"
                                                                    : "off");
    return 0;
}

static int server_init(struct app *a)
{
    struct server *srv = &a->srv;
    memset(srv, 0, sizeof *srv);
    srv->cfg = a->cfg;
    rand_bytes(&srv->seed, sizeof srv->seed);
    srv->nworkers = a->cfg->threads > 0 ? (unsigned)a->cfg->threads : app_default_threads();
    srv->started_wall = clock_wall_s();
    srv->started_ms = clock_mono_ms();
    atomic_init(&srv->next_session_id, 1);
    size_t nl = a->cfg->listener_count ? a->cfg->listener_count : 1;
    srv->listener_conns = xcalloc(nl, sizeof *srv->listener_conns);
    srv->listener_ports = xcalloc(nl, sizeof *srv->listener_ports);
    subtree_init(&srv->subs, srv->seed, srv->nworkers);
    srv->subs.one_thread = srv->nworkers == 1; /* its one loop is the only user */
    retain_init(&srv->retained, srv->seed ^ 0x9e3779b97f4a7c15ull);
    srv->workers = xcalloc(srv->nworkers, sizeof *srv->workers);
    return open_store(a);
}

static void server_fini(struct app *a)
{
    struct server *srv = &a->srv;
    if (srv->store.ops)
        store_close(&srv->store);
    subtree_fini(&srv->subs);
    retain_fini(&srv->retained);
    /* No message is alive now: the workers' message blocks go. */
    for (unsigned i = 0; srv->workers && i < srv->nworkers; i++)
        msg_pool_fini(&srv->workers[i].msgs);
    free(srv->workers);
    free((void *)srv->listener_conns);
    free(srv->listener_ports);
}

/* Every worker is initialised before any thread runs: a running worker
 * may post to any other (a client moving to its session's worker). */
static int start_workers(struct app *a, unsigned *started)
{
    struct server *srv = &a->srv;
    size_t nl = a->cfg->listener_count;
    int *fds = xmalloc((nl ? nl : 1) * sizeof *fds);
    int rc = 0;
    unsigned inited = 0;
    for (unsigned i = 0; i < srv->nworkers && rc == 0; i++) {
        for (size_t l = 0; l < nl; l++)
            fds[l] = a->fds[l * srv->nworkers + i];
        rc = worker_init(&srv->workers[i], srv, i, fds, a->auth);
        if (rc == 0)
            inited++;
    }
    free(fds);
    if (rc != 0) {
        log_error("cannot start worker %u: %s", inited, uv_strerror(rc));
        return rc;
    }
    /* Stored state is back before the first connection is accepted. */
    if (durable_recover(srv) != 0)
        log_error("store: continuing with what could be recovered");
    for (unsigned i = 0; i < srv->nworkers && rc == 0; i++) {
        rc = worker_start(&srv->workers[i]);
        if (rc == 0)
            (*started)++;
    }
    return rc;
}

static void start_signals(struct app *a)
{
    uv_loop_init(&a->loop);
    uv_signal_t *hs[3] = {&a->sigint, &a->sigterm, &a->sighup};
    int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
    for (int i = 0; i < 3; i++) {
        uv_signal_init(&a->loop, hs[i]);
        hs[i]->data = a;
        uv_signal_start(hs[i], on_signal, sigs[i]);
    }
}

int app_run(const struct config *cfg, bool builtin)
{
    struct app a;
    memset(&a, 0, sizeof a);
    a.cfg = cfg;
    signal(SIGPIPE, SIG_IGN);
    if (server_init(&a) != 0) {
        server_fini(&a);
        return 1;
    }
    char err[512];
    a.auth = load_auth(cfg, err, sizeof err);
    if (a.auth == NULL) {
        log_error("%s", err);
        server_fini(&a);
        return 1;
    }
    start_signals(&a);
    unsigned started = 0;
    int rc = open_listeners(&a);
    if (rc == 0)
        rc = start_workers(&a, &started);
    if (rc == 0) {
        log_notice("petrel %s running: %u thread%s, %zu user%s%s", PETREL_VERSION,
                   a.srv.nworkers, a.srv.nworkers == 1 ? "" : "s", auth_user_count(a.auth),
                   auth_user_count(a.auth) == 1 ? "" : "s",
                   builtin ? "; no config file: anonymous access on loopback only" : "");
        uv_run(&a.loop, UV_RUN_DEFAULT);
    } else {
        for (unsigned i = 0; i < started; i++)
            worker_request_shutdown(&a.srv.workers[i]);
    }
    for (unsigned i = 0; i < started; i++)
        worker_join(&a.srv.workers[i]);
    /* The store first: its last commits come back to the workers' inboxes,
     * which worker_fini drains; ending the sessions there then touches
     * nothing on disk (stored sessions survive a stop). */
    store_close(&a.srv.store);
    for (unsigned i = 0; i < started; i++)
        worker_fini(&a.srv.workers[i]);
    if (!a.stopping) {
        uv_close((uv_handle_t *)&a.sigint, NULL);
        uv_close((uv_handle_t *)&a.sigterm, NULL);
        uv_close((uv_handle_t *)&a.sighup, NULL);
        uv_run(&a.loop, UV_RUN_DEFAULT);
    }
    uv_loop_close(&a.loop);
    auth_unref(a.auth);
    free(a.fds);
    server_fini(&a);
    if (rc == 0)
        log_notice("stopped");
    return rc == 0 ? 0 : 1;
}
