/*
 * bench.h - petrel-bench, the load generator: what its files share.
 *
 *   bench.c         main: arguments, set-up, run, report, exit status
 *   bench_args.c    the command line (struct bench_opts)
 *   bench_run.c     the run: clients, pairs, threads, and the phases the
 *                   main thread drives (connect, warm-up, measure, drain)
 *   bench_loop.c    one libuv loop per thread: phase changes, the pass
 *                   hooks that pump publishers and coalesce writes, timers
 *   bench_client.c  the MQTT client state machine on a libuv TCP handle:
 *                   connect, CONNACK, SUBSCRIBE, reads, batched writes
 *   bench_pub.c     publishers: payloads, QoS window, end-to-end window,
 *                   rate schedule; subscribers' counting of what arrives
 *   bench_report.c  progress lines, the final key=value line, exit status
 *   bench_hist.c    latency histogram;  bench_seq.c  loss/dup/reorder tracker
 *
 * Threads: the main thread parses, sets up and then only orchestrates
 * (sleeping 10 ms between looks at shared counters); each of --threads
 * loops runs on its own thread and owns its clients outright. What crosses
 * threads: run->phase (written by main), the loops' counters and each
 * pair's `progress` (relaxed atomics with one writer each), and uv_async
 * wake-ups. Everything else is read by main only after the loops exited.
 *
 * Every payload starts with a 24-byte header, big-endian:
 *   run id (u32) | publisher index (u32) | sequence number (u64) |
 *   send time, CLOCK_MONOTONIC ns (u64)
 * followed by filler up to --size. The run id is random per run, so a
 * message from another run (or a retained one) is counted as foreign.
 */
#ifndef PETREL_CLI_BENCH_H
#define PETREL_CLI_BENCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "cli/bench_hist.h"
#include "cli/bench_seq.h"
#include "mqtt/mqtt.h"
#include "util/buf.h"
#include "util/list.h"

#define BENCH_HEADER_SIZE 24u

/* Exit statuses (a contract with scripts; --help prints them). */
enum bench_exit {
    BENCH_EXIT_OK = 0,
    BENCH_EXIT_USAGE = 1,   /* bad argument */
    BENCH_EXIT_CONNECT = 2, /* a client could not connect or subscribe */
    BENCH_EXIT_CORRECT = 3, /* loss at QoS >= 1, duplicates, or misrouted messages */
    BENCH_EXIT_LOST = 4,    /* a connection was lost, or the run overran its deadline */
};

enum bench_mode {
    BENCH_FANIN = 1, /* P publishers on PFX/i -> S subscribers on PFX/# */
    BENCH_FANOUT,    /* P publishers on PFX -> S subscribers on PFX */
    BENCH_PAIRS,     /* publisher i on PFX/i -> subscriber i on PFX/i */
    BENCH_CONN,      /* idle connections */
};

/* ---- Command line (bench_args.c) --------------------------------------- */

struct bench_opts {
    enum bench_mode mode;
    const char *host;
    uint16_t port;
    uint8_t qos;
    uint8_t version; /* MQTT_V311 or MQTT_V5 */
    const char *username, *password;
    const char *id_prefix; /* client ids: PREFIX-p7, PREFIX-s0, PREFIX-c123 */
    const char *topic;     /* PFX */
    uint32_t pubs, subs;   /* pairs: pubs == subs == the pair count */
    uint32_t conns;        /* conn mode */
    uint32_t size;         /* payload bytes (>= BENCH_HEADER_SIZE) */
    uint64_t duration_ms, warmup_ms, drain_ms, connect_timeout_ms;
    uint32_t rate;       /* messages/s per publisher; 0: as fast as the windows allow */
    uint16_t qos_window; /* QoS 1/2 messages in flight per publisher */
    uint32_t e2e_window; /* how far a publisher may run ahead of its subscribers */
    uint16_t keep_alive;
    uint32_t threads;
    uint32_t sources;               /* 127.0.0.x source addresses (0: one per 25,000 connections) */
    bool quiet;                     /* no progress lines */
    bool persistent_subs;           /* subscribers' sessions outlive the connection */
    char id_buf[48], topic_buf[48]; /* defaults with the process id */
    char err[256];
};

enum bench_parse_result {
    BENCH_PARSE_OK = 0,
    BENCH_PARSE_ERROR, /* o->err says why */
    BENCH_PARSE_HELP,
    BENCH_PARSE_VERSION,
};

/* Parses argv (the mode word and options, in any order) into *o, applying
 * the mode's defaults and checking ranges and combinations. Returns enum
 * bench_parse_result; o->err holds one sentence on error. *o borrows argv.
 * Pure apart from reading the process id for default names. */
int bench_opts_parse(struct bench_opts *o, int argc, char **argv);

/* Prints the usage text (full: every option and the exit statuses). */
void bench_usage_print(FILE *out, bool full);

/* The mode's name ("fanin", ...). */
const char *bench_mode_name(enum bench_mode m);

/* ---- Clients (bench_client.c) ------------------------------------------ */

enum bench_role {
    BENCH_ROLE_PUB = 1,
    BENCH_ROLE_SUB,
    BENCH_ROLE_IDLE,
};

enum bench_cstate {
    BENCH_CS_INIT = 0, /* not started */
    BENCH_CS_TCP,      /* TCP connect in progress */
    BENCH_CS_CONNACK,  /* CONNECT sent */
    BENCH_CS_SUBACK,   /* SUBSCRIBE sent */
    BENCH_CS_READY,    /* usable (publisher, subscriber, or idle connection) */
    BENCH_CS_CLOSING,  /* uv_close called */
    BENCH_CS_CLOSED,   /* closed after the run */
    BENCH_CS_FAILED,   /* connect failed, refused, or lost; closed or closing */
};

struct bench_loop;

/* One MQTT connection. Owned by its loop's thread once the run starts. */
struct bench_client {
    uv_tcp_t tcp;
    uv_connect_t creq;
    uv_write_t wreq;
    struct bench_loop *loop;
    uint32_t index;    /* among its role's clients */
    uint32_t conn_no;  /* among all connections (picks the source address) */
    uint8_t role;      /* enum bench_role */
    uint8_t state;     /* enum bench_cstate */
    bool writing;      /* wbuf is being written by uv_write */
    bool counted;      /* its connect outcome was counted */
    struct buf in;     /* owned: the start of an incomplete packet */
    struct buf out;    /* owned: packets not yet handed to the socket */
    struct buf wbuf;   /* owned: bytes under uv_write */
    struct list flush; /* on loop->flush while out has bytes */
    uint64_t last_tx_ms;
};

/* Starts the TCP connect (bound to a 127.0.0.x source address when the run
 * needs several). Outcome arrives as state changes and loop counters. */
void bench_client_start(struct bench_client *c);

/* Encodes a packet into c->out and schedules the flush. */
void bench_client_queue_publish(struct bench_client *c, const struct mqtt_publish *p, size_t size);
void bench_client_queue_ack(struct bench_client *c, uint8_t type, uint16_t id);
void bench_client_queue_ping(struct bench_client *c);

/* Hands c->out to the socket (uv_try_write, then one uv_write for the rest).
 * Called once per loop pass for each client with output. */
void bench_client_flush(struct bench_client *c);

/* Marks c failed (counted once), says why on stderr when `why` is not NULL
 * and closes it. */
void bench_client_fail(struct bench_client *c, const char *why);

/* Sends DISCONNECT (best effort) and closes. */
void bench_client_close(struct bench_client *c);

/* ---- Publishers and subscribers (bench_pub.c) ---------------------------- */

enum bench_park {
    BENCH_PARK_NONE = 0, /* on loop->runnable */
    BENCH_PARK_ACK,      /* QoS window full: an acknowledgement makes it runnable */
    BENCH_PARK_WRITE,    /* socket buffer full: the write callback does */
    BENCH_PARK_E2E,      /* on loop->blocked: subscribers' progress does */
    BENCH_PARK_RATE,     /* ahead of schedule: the rate timer does */
    BENCH_PARK_DONE,     /* the sending phase is over */
};

struct bench_pub {
    struct bench_client c;
    struct slice topic; /* owned bytes */
    uint64_t next_seq;  /* numbers 0..next_seq-1 were sent */
    uint64_t oldest;    /* lowest number not yet complete (QoS 1/2) */
    uint64_t acked;     /* PUBACK (QoS 1) or PUBREC (QoS 2) received */
    uint8_t *ring;      /* owned: state of numbers oldest..next_seq-1 (QoS 1/2) */
    uint32_t ring_mask;
    uint32_t inflight;  /* numbers not yet complete */
    uint16_t window;    /* QoS window after the broker's Receive Maximum */
    size_t packet_size; /* encoded PUBLISH size (constant for a publisher) */
    uint64_t e2e_limit; /* may send numbers below this without looking again */
    uint64_t e2e_floor; /* QoS 0 stall bypass: progress assumed at least this */
    uint64_t parked_ms; /* when it parked on the end-to-end window */
    uint64_t phase_ns;  /* its offset in the rate schedule */
    uint8_t park;       /* enum bench_park */
    struct list node;   /* on loop->runnable or loop->blocked */
};

struct bench_sub {
    struct bench_client c;
    struct slice filter;       /* owned bytes */
    uint32_t first_pub, npubs; /* publishers it hears from */
    size_t first_pair;         /* their pairs: first_pair + (pub - first_pub) */
    uint8_t granted;           /* QoS from SUBACK */
};

/* What one subscriber knows about one publisher. */
struct bench_pair {
    struct bench_seq seq;      /* owned by the subscriber's thread */
    _Atomic uint64_t progress; /* seq.next, published for the publisher's window */
};

/* A publisher may send now: puts it on its loop's runnable list. */
void bench_pub_wake(struct bench_pub *p);

/* Sends what p may send now (bounded per call), then parks it with the
 * reason it stopped. */
void bench_pub_pump(struct bench_pub *p);

/* Re-evaluates a publisher parked on the end-to-end window; wakes it when
 * its subscribers caught up (or, at QoS 0, when it waited over a second). */
void bench_pub_recheck(struct bench_pub *p, uint64_t now_ms);

/* Handles PUBACK, PUBREC or PUBCOMP for p; returns 0 or -1 (protocol error). */
int bench_pub_on_ack(struct bench_pub *p, const struct mqtt_ack *a);

/* Counts one PUBLISH received by s at now_ns. */
void bench_sub_on_publish(struct bench_sub *s, const struct mqtt_publish *m, uint64_t now_ns);

/* True when message seq of p was acknowledged (QoS 1: PUBACK, QoS 2:
 * PUBREC); at QoS 0, when it was sent. */
bool bench_pub_acked(const struct bench_pub *p, uint64_t seq);

/* Allocates p's QoS ring and sets its constant sizes (after CONNACK). */
void bench_pub_ready(struct bench_pub *p, uint16_t receive_maximum);

/* ---- Loops (bench_loop.c) ------------------------------------------------ */

enum bench_phase {
    BENCH_PH_INIT = 0,
    BENCH_PH_SUBS,  /* connect and subscribe the subscribers */
    BENCH_PH_PUBS,  /* connect the publishers */
    BENCH_PH_IDLE,  /* conn mode: connect the idle connections */
    BENCH_PH_RUN,   /* publish: warm-up, then the measured interval */
    BENCH_PH_DRAIN, /* no new messages; acknowledgements and deliveries finish */
    BENCH_PH_HOLD,  /* conn mode: keep the connections open */
    BENCH_PH_CLOSE, /* disconnect everything and end the loops */
};

/* Counters of one loop: written by its thread only (plain add through a
 * relaxed load and store), read by main at any time. Only _Atomic uint64_t
 * members: bench_run_stats() sums them as an array. */
struct bench_stats {
    _Atomic uint64_t connected, failed, lost, subscribed;
    _Atomic uint64_t sent, acked, completed;
    _Atomic uint64_t recv_total, recv_distinct, recv_window;
    _Atomic uint64_t foreign, misrouted, stalls;
};

static inline void bench_stat_add(_Atomic uint64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

static inline uint64_t bench_stat_get(_Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

struct bench_run;

struct bench_loop {
    uv_loop_t uv;
    uv_thread_t thread;
    bool started; /* the thread runs (join it) */
    struct bench_run *run;
    uint32_t index;
    uv_async_t wake;      /* phase changes and cross-thread end-to-end kicks */
    uv_prepare_t prepare; /* before polling: pump and flush what timers queued */
    uv_check_t check;     /* after polling: pump and flush what I/O queued */
    uv_idle_t idle;       /* active while publishers are runnable: poll without blocking */
    uv_timer_t tick;      /* 1 s: keep-alive */
    uv_timer_t rate;      /* 1 ms while rate-limited publishers run */
    int seen_phase;
    uint64_t run_start_ns, warm_end_ns, end_ns; /* copies of the run's, from BENCH_PH_RUN */
    bool received;                              /* a subscriber got messages this pass */
    _Atomic uint32_t e2e_waiting;               /* publishers on `blocked` (read by other loops) */
    _Atomic bool kicked;                        /* a kick is pending on `wake` */
    struct list flush;                          /* clients with output */
    struct list runnable;                       /* publishers that may send */
    struct list blocked;                        /* publishers parked on the end-to-end window */
    struct bench_client **clients;              /* owned array: this loop's clients, all roles */
    uint32_t nclients;
    uint32_t next_connect; /* clients[] index of the next to connect in this phase */
    uint32_t connecting;   /* connects in flight (bounded) */
    uint8_t *payload;      /* owned: payload scratch for publishing */
    struct bench_hist hist;
    struct bench_stats st;
    uint8_t scratch[65536]; /* read buffer shared by the loop's clients */
};

/* Sets up l (loop, handles, lists) for run; no thread yet. Returns 0 or a
 * negative libuv error. */
int bench_loop_init(struct bench_loop *l, struct bench_run *run, uint32_t index);

/* Starts l's thread, which runs until the CLOSE phase ends its handles. */
int bench_loop_start(struct bench_loop *l);

/* From any thread: makes l look at the phase (and its blocked publishers). */
void bench_loop_kick(struct bench_loop *l);

/* Joins l's thread and frees what it owns (not the clients). */
void bench_loop_fini(struct bench_loop *l);

/* Loop-thread side, for the clients: */
void bench_loop_connect_more(struct bench_loop *l); /* start connects up to the bound */
void bench_loop_connect_done(struct bench_loop *l, struct bench_client *c, bool ok);

/* ---- The run (bench_run.c) ----------------------------------------------- */

struct bench_run {
    const struct bench_opts *o;
    uint32_t run_id;
    struct sockaddr_storage addr; /* the broker */
    socklen_t addr_len;
    uint32_t sources; /* source addresses 127.0.0.1.. used in turn; 1: no bind() */
    struct bench_pub *pubs;
    struct bench_sub *subs;
    struct bench_client *idle;
    uint32_t npubs, nsubs, nidle;
    struct bench_pair *pairs;
    size_t npairs;
    uint32_t audience; /* subscribers per publisher */
    struct bench_loop *loops;
    uint32_t nloops;
    _Atomic int phase;                          /* enum bench_phase, written by main */
    uint64_t run_start_ns, warm_end_ns, end_ns; /* set before BENCH_PH_RUN */
    uint64_t measured_ns;                       /* the measured interval as it happened */
    uint64_t drain_ms;                          /* how long draining took */
    uint64_t progress_recv;                     /* deliveries at the last progress line */
    double progress_s;                          /* and its time since the run started */
    uint64_t connect_ms;                        /* how long connecting took */
    bool overran;                               /* the hard deadline passed */
    bool interrupted;                           /* SIGINT or SIGTERM */
    _Atomic unsigned errors_printed;            /* client errors printed so far (a few only) */
};

/* Builds the run for *o: resolves the host, allocates clients and pairs,
 * sets up the loops. Returns 0, or BENCH_EXIT_USAGE / BENCH_EXIT_CONNECT
 * after printing why. */
int bench_run_init(struct bench_run *r, const struct bench_opts *o);

/* Runs every phase to the end (bounded by the hard deadline) and joins the
 * loop threads. Returns 0 or BENCH_EXIT_CONNECT when connecting failed. */
int bench_run_go(struct bench_run *r);

/* Frees everything bench_run_init() allocated. */
void bench_run_fini(struct bench_run *r);

/* Pair index of (subscriber s, publisher p), or -1 when s does not hear p. */
long bench_run_pair(const struct bench_run *r, uint32_t s, uint32_t p);

/* Sums the loops' counters into *out (any thread; values are approximate
 * while loops run). */
void bench_run_stats(struct bench_run *r, struct bench_stats *out);

/* ---- Reporting (bench_report.c) ------------------------------------------ */

/* One progress line on stderr (main thread, while the run goes). */
void bench_report_progress(struct bench_run *r, double elapsed_s);

/* Prints the final key=value line on stdout and returns the exit status
 * (connect_rc when connecting failed). Main thread, after the run. */
int bench_report_final(struct bench_run *r, int connect_rc);

#endif
