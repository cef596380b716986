/*
 * bench_run.c - a petrel-bench run: set-up (broker address, clients,
 * pairs, loops) and the phases the main thread drives.
 *
 * Phases, each ended by the main thread when the loops' counters say so:
 *   SUBS   every subscriber connected and got its SUBACK, so nothing
 *          published later can miss a subscription;
 *   PUBS   every publisher connected;
 *   RUN    warm-up, then the measured interval (its deliveries and their
 *          latencies are what the report rates);
 *   DRAIN  publishers stopped; wait (at most --drain) until every message
 *          is acknowledged and every subscriber has what was sent;
 *   CLOSE  DISCONNECT and close everything; the loop threads end.
 * conn mode has IDLE (connect) and HOLD (keep them --duration) instead.
 * A client that cannot connect ends the run (exit 2) except in conn mode,
 * whose result is how many connected.
 *
 * The whole run is bounded: connect timeout + warm-up + duration + drain,
 * plus a second to close. Past that the loops are told to close and the
 * report says overran=1; an alarm ends the process if even that hangs.
 */
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/bench.h"
#include "cli/common.h"
#include "util/alloc.h"
#include "util/clock.h"

#define LOOK_MS 10u
#define CLOSE_GRACE_MS 1000u

/* ---- Set-up ------------------------------------------------------------------ */

static int resolve(struct bench_run *r)
{
    const struct bench_opts *o = r->o;
    char service[8];
    snprintf(service, sizeof service, "%u", o->port);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(o->host, service, &hints, &res);
    if (gai) {
        fprintf(stderr, "petrel-bench: cannot resolve '%s': %s\n", o->host, gai_strerror(gai));
        return BENCH_EXIT_CONNECT;
    }
    memcpy(&r->addr, res->ai_addr, res->ai_addrlen);
    r->addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* Beyond one source address's ports (28,232 in Linux's default ephemeral
 * range; 25,000 leaves room for other programs), spread the connections
 * over 127.0.0.1, .2, ... (loopback brokers only). Returns 0 or
 * BENCH_EXIT_USAGE. */
static int choose_sources(struct bench_run *r)
{
    uint64_t total = (uint64_t)r->npubs + r->nsubs + r->nidle;
    const struct sockaddr_in *a = (const struct sockaddr_in *)&r->addr;
    bool loopback4 = r->addr.ss_family == AF_INET && (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    r->sources = r->o->sources ? r->o->sources : (uint32_t)((total + 24999u) / 25000u);
    if (r->sources > 1 && !loopback4) {
        if (r->o->sources) {
            fprintf(stderr, "petrel-bench: --sources needs a broker on an IPv4 loopback "
                            "address (127.x.x.x)\n");
            return BENCH_EXIT_USAGE;
        }
        r->sources = 1; /* another host: the kernel picks; beyond 28k it may run out */
    }
    return 0;
}

static struct slice name_dup(const char *fmt, const char *prefix, uint32_t i)
{
    char tmp[256];
    int n = snprintf(tmp, sizeof tmp, fmt, prefix, i);
    return slice_make(xmemdup(tmp, (size_t)n), (size_t)n);
}

static void init_client(struct bench_run *r, struct bench_client *c, uint8_t role, uint32_t i,
                        uint32_t *conn_no)
{
    c->role = role;
    c->index = i;
    c->conn_no = (*conn_no)++;
    c->loop = &r->loops[c->conn_no % r->nloops];
    list_init(&c->flush);
    c->loop->nclients++;
}

static void make_clients(struct bench_run *r)
{
    const struct bench_opts *o = r->o;
    uint32_t conn_no = 0;
    bool fanout = o->mode == BENCH_FANOUT, pairs = o->mode == BENCH_PAIRS;
    r->subs = xcalloc(r->nsubs ? r->nsubs : 1, sizeof *r->subs);
    for (uint32_t i = 0; i < r->nsubs; i++) {
        struct bench_sub *s = &r->subs[i];
        init_client(r, &s->c, BENCH_ROLE_SUB, i, &conn_no);
        s->filter = fanout  ? name_dup("%s", o->topic, 0)
                    : pairs ? name_dup("%s/%u", o->topic, i)
                            : name_dup("%s/#", o->topic, 0);
        s->first_pub = pairs ? i : 0;
        s->npubs = pairs ? 1 : r->npubs;
        s->first_pair = pairs ? i : (size_t)i * r->npubs;
    }
    r->pubs = xcalloc(r->npubs ? r->npubs : 1, sizeof *r->pubs);
    for (uint32_t i = 0; i < r->npubs; i++) {
        struct bench_pub *p = &r->pubs[i];
        init_client(r, &p->c, BENCH_ROLE_PUB, i, &conn_no);
        p->topic = fanout ? name_dup("%s", o->topic, 0) : name_dup("%s/%u", o->topic, i);
        list_init(&p->node);
        p->park = BENCH_PARK_DONE; /* until the run starts */
        if (o->rate)
            p->phase_ns = (uint64_t)((double)i / r->npubs * 1e9 / o->rate);
    }
    r->idle = xcalloc(r->nidle ? r->nidle : 1, sizeof *r->idle);
    for (uint32_t i = 0; i < r->nidle; i++)
        init_client(r, &r->idle[i], BENCH_ROLE_IDLE, i, &conn_no);
}

/* Gives each loop the array of its clients, subscribers first. */
static void assign_clients(struct bench_run *r)
{
    for (uint32_t i = 0; i < r->nloops; i++) {
        r->loops[i].clients = xcalloc(r->loops[i].nclients + 1, sizeof(struct bench_client *));
        r->loops[i].nclients = 0;
    }
    for (uint32_t i = 0; i < r->nsubs; i++)
        r->subs[i].c.loop->clients[r->subs[i].c.loop->nclients++] = &r->subs[i].c;
    for (uint32_t i = 0; i < r->npubs; i++)
        r->pubs[i].c.loop->clients[r->pubs[i].c.loop->nclients++] = &r->pubs[i].c;
    for (uint32_t i = 0; i < r->nidle; i++)
        r->idle[i].loop->clients[r->idle[i].loop->nclients++] = &r->idle[i];
}

int bench_run_init(struct bench_run *r, const struct bench_opts *o)
{
    memset(r, 0, sizeof *r);
    r->o = o;
    rand_bytes(&r->run_id, sizeof r->run_id);
    int rc = resolve(r);
    if (rc)
        return rc;
    if (o->mode == BENCH_CONN) {
        r->nidle = o->conns;
    } else {
        r->npubs = o->pubs;
        r->nsubs = o->subs;
        r->audience = o->mode == BENCH_PAIRS ? 1 : o->subs;
        r->npairs = o->mode == BENCH_PAIRS ? o->pubs : (size_t)o->pubs * o->subs;
        r->pairs = xcalloc(r->npairs, sizeof *r->pairs);
    }
    rc = choose_sources(r);
    if (rc)
        return rc;
    r->nloops = o->threads;
    r->loops = xcalloc(r->nloops, sizeof *r->loops);
    for (uint32_t i = 0; i < r->nloops; i++) {
        rc = bench_loop_init(&r->loops[i], r, i);
        if (rc < 0) {
            fprintf(stderr, "petrel-bench: cannot set up a loop: %s\n", uv_strerror(rc));
            return BENCH_EXIT_USAGE;
        }
    }
    make_clients(r);
    assign_clients(r);
    return 0;
}

void bench_run_fini(struct bench_run *r)
{
    for (uint32_t i = 0; i < r->npubs; i++) {
        xfree(r->pubs[i].ring);
        free((void *)r->pubs[i].topic.ptr);
    }
    for (uint32_t i = 0; i < r->nsubs; i++)
        free((void *)r->subs[i].filter.ptr);
    for (size_t i = 0; i < r->npairs; i++)
        bench_seq_fini(&r->pairs[i].seq);
    for (uint32_t i = 0; i < r->nloops; i++)
        bench_loop_fini(&r->loops[i]);
    xfree(r->pubs);
    xfree(r->subs);
    xfree(r->idle);
    xfree(r->pairs);
    xfree(r->loops);
}

long bench_run_pair(const struct bench_run *r, uint32_t s, uint32_t p)
{
    if (r->o->mode == BENCH_PAIRS)
        return s == p ? (long)p : -1;
    return (long)((size_t)s * r->npubs + p);
}

void bench_run_stats(struct bench_run *r, struct bench_stats *out)
{
    memset(out, 0, sizeof *out);
    _Atomic uint64_t *dst = (_Atomic uint64_t *)out;
    size_t n = sizeof *out / sizeof(_Atomic uint64_t);
    for (uint32_t i = 0; i < r->nloops; i++) {
        _Atomic uint64_t *src = (_Atomic uint64_t *)&r->loops[i].st;
        for (size_t k = 0; k < n; k++)
            atomic_store_explicit(&dst[k], bench_stat_get(&dst[k]) + bench_stat_get(&src[k]),
                                  memory_order_relaxed);
    }
}

/* ---- Driving the phases (main thread) ---------------------------------------------- */

static void set_phase(struct bench_run *r, int phase)
{
    atomic_store(&r->phase, phase);
    for (uint32_t i = 0; i < r->nloops; i++)
        bench_loop_kick(&r->loops[i]);
}

/* Sleeps LOOK_MS, waking early for SIGINT/SIGTERM; true when one came. */
static bool look_wait(struct bench_run *r, const sigset_t *mask)
{
    struct timespec ts = {0, LOOK_MS * 1000000L};
    ppoll(NULL, 0, &ts, mask);
    if (cli_stop_requested())
        r->interrupted = true;
    return r->interrupted;
}

/* Waits until `want` clients have a connect outcome. Returns 0, or
 * BENCH_EXIT_CONNECT (a failure, the deadline, a signal) unless tolerant. */
static int wait_connected(struct bench_run *r, uint64_t want, uint64_t deadline_ms,
                          const sigset_t *mask, bool tolerant)
{
    for (;;) {
        struct bench_stats st;
        bench_run_stats(r, &st);
        uint64_t ok = bench_stat_get(&st.connected), bad = bench_stat_get(&st.failed);
        if (bad && !tolerant)
            return BENCH_EXIT_CONNECT;
        if (ok + bad >= want)
            return ok >= want || tolerant ? 0 : BENCH_EXIT_CONNECT;
        if (clock_mono_ms() >= deadline_ms) {
            fprintf(stderr,
                    "petrel-bench: %llu of %llu clients connected within the connect "
                    "timeout\n",
                    (unsigned long long)ok, (unsigned long long)want);
            return tolerant ? 0 : BENCH_EXIT_CONNECT;
        }
        if (look_wait(r, mask))
            return BENCH_EXIT_CONNECT;
    }
}

static bool drained(struct bench_run *r)
{
    struct bench_stats st;
    bench_run_stats(r, &st);
    uint64_t sent = bench_stat_get(&st.sent);
    if (r->o->qos && bench_stat_get(&st.completed) < sent)
        return false;
    return bench_stat_get(&st.recv_distinct) >= sent * r->audience;
}

/* RUN until the end of the measured interval, then DRAIN. */
static void run_and_drain(struct bench_run *r, uint64_t hard_ms, const sigset_t *mask)
{
    const struct bench_opts *o = r->o;
    bool progress = !o->quiet && isatty(STDERR_FILENO);
    uint64_t now = clock_mono_ns();
    r->run_start_ns = now;
    r->warm_end_ns = now + o->warmup_ms * 1000000u;
    r->end_ns = r->warm_end_ns + o->duration_ms * 1000000u;
    set_phase(r, BENCH_PH_RUN);
    uint64_t next_line = now + 1000000000u;
    while ((now = clock_mono_ns()) < r->end_ns && !look_wait(r, mask)) {
        if (progress && now >= next_line) {
            bench_report_progress(r, (double)(now - r->run_start_ns) / 1e9);
            next_line += 1000000000u;
        }
    }
    uint64_t stop = clock_mono_ns();
    r->measured_ns =
        stop > r->warm_end_ns ? (stop < r->end_ns ? stop : r->end_ns) - r->warm_end_ns : 0;
    set_phase(r, BENCH_PH_DRAIN);
    uint64_t drain_end = clock_mono_ms() + o->drain_ms;
    while (!drained(r) && clock_mono_ms() < drain_end && clock_mono_ms() < hard_ms) {
        struct timespec ts = {0, LOOK_MS * 1000000L};
        ppoll(NULL, 0, &ts, mask); /* a second signal does not cut the drain short */
    }
    r->drain_ms = clock_mono_ms() - (drain_end - o->drain_ms);
}

static void hold(struct bench_run *r, const sigset_t *mask)
{
    uint64_t end = clock_mono_ms() + r->o->duration_ms;
    set_phase(r, BENCH_PH_HOLD);
    while (clock_mono_ms() < end && !look_wait(r, mask))
        ;
}

/* The phases of a publish/subscribe run; returns 0 or BENCH_EXIT_CONNECT. */
static int drive_pubsub(struct bench_run *r, uint64_t t0, uint64_t hard_ms, const sigset_t *mask)
{
    uint64_t connect_end = t0 + r->o->connect_timeout_ms;
    set_phase(r, BENCH_PH_SUBS);
    int rc = wait_connected(r, r->nsubs, connect_end, mask, false);
    if (rc == 0) {
        set_phase(r, BENCH_PH_PUBS);
        rc = wait_connected(r, (uint64_t)r->nsubs + r->npubs, connect_end, mask, false);
    }
    r->connect_ms = clock_mono_ms() - t0;
    if (rc == 0)
        run_and_drain(r, hard_ms, mask);
    return rc;
}

static int drive_conn(struct bench_run *r, uint64_t t0, const sigset_t *mask)
{
    set_phase(r, BENCH_PH_IDLE);
    wait_connected(r, r->nidle, t0 + r->o->connect_timeout_ms, mask, true);
    r->connect_ms = clock_mono_ms() - t0;
    struct bench_stats st;
    bench_run_stats(r, &st);
    uint64_t ok = bench_stat_get(&st.connected);
    /* Scripts wait for this line to sample the broker with everyone connected. */
    fprintf(stderr, "petrel-bench: event=connected connected=%llu failed=%llu\n",
            (unsigned long long)ok, (unsigned long long)bench_stat_get(&st.failed));
    if (!r->interrupted)
        hold(r, mask);
    return ok == r->nidle ? 0 : BENCH_EXIT_CONNECT;
}

static void on_alarm(int sig)
{
    static const char msg[] = "petrel-bench: the run did not end in time; giving up\n";
    ssize_t n = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)n;
    _exit(BENCH_EXIT_LOST);
}

int bench_run_go(struct bench_run *r)
{
    const struct bench_opts *o = r->o;
    sigset_t mask;
    cli_signals_install(&mask); /* before the threads, which inherit the block */
    uint64_t t0 = clock_mono_ms();
    uint64_t hard_ms = t0 + o->connect_timeout_ms + o->warmup_ms + o->duration_ms + o->drain_ms;
    signal(SIGALRM, on_alarm);
    signal(SIGPIPE, SIG_IGN); /* a write to a closed socket is an error, not a death */
    alarm((unsigned)((hard_ms - t0 + CLOSE_GRACE_MS) / 1000u) + 10u);
    for (uint32_t i = 0; i < r->nloops; i++) {
        if (bench_loop_start(&r->loops[i]) != 0) {
            fprintf(stderr, "petrel-bench: cannot start a thread\n");
            _exit(BENCH_EXIT_USAGE);
        }
    }
    int rc = o->mode == BENCH_CONN ? drive_conn(r, t0, &mask) : drive_pubsub(r, t0, hard_ms, &mask);
    if (clock_mono_ms() > hard_ms + CLOSE_GRACE_MS)
        r->overran = true;
    set_phase(r, BENCH_PH_CLOSE);
    for (uint32_t i = 0; i < r->nloops; i++) {
        uv_thread_join(&r->loops[i].thread);
        r->loops[i].started = false;
    }
    alarm(0);
    return rc;
}
