/*
 * bench_report.c - what petrel-bench prints: a progress line per second on
 * a terminal, and at the end one line of key=value pairs on stdout (the
 * contract with scripts such as bench/compare.sh), and the exit status.
 *
 * Loss is counted per (publisher, subscriber) pair once everything has
 * stopped: the numbers the publisher sent (QoS 0) or got acknowledged
 * (QoS 1/2: PUBACK, or PUBREC) that the subscriber never received. A
 * message still unacknowledged at the end is not counted either way.
 */
#include <stdio.h>

#include "cli/bench.h"

struct totals {
    uint64_t sent, acked, received, dup, reorder, loss, evicted;
};

/* Numbers p sent (and had acknowledged, at QoS 1/2) that s does not have. */
static uint64_t pair_loss(const struct bench_run *r, const struct bench_pub *p,
                          const struct bench_seq *s)
{
    uint64_t missing = bench_seq_missing(s, p->next_seq);
    if (r->o->qos == 0)
        return missing;
    for (uint64_t seq = p->oldest; seq < p->next_seq; seq++)
        if (!bench_pub_acked(p, seq) && !bench_seq_has(s, seq))
            missing--;
    return missing;
}

static void add_pair(const struct bench_run *r, struct totals *t, uint32_t pub,
                     const struct bench_pair *pair)
{
    t->received += pair->seq.received + pair->seq.dup;
    t->dup += pair->seq.dup;
    t->reorder += pair->seq.late;
    t->evicted += pair->seq.evicted;
    t->loss += pair_loss(r, &r->pubs[pub], &pair->seq);
}

static void sum_up(const struct bench_run *r, struct totals *t)
{
    for (uint32_t p = 0; p < r->npubs; p++) {
        t->sent += r->pubs[p].next_seq;
        t->acked += r->o->qos ? r->pubs[p].acked : r->pubs[p].next_seq;
    }
    for (uint32_t s = 0; s < r->nsubs; s++)
        for (uint32_t p = 0; p < r->npubs; p++) {
            long i = bench_run_pair(r, s, p);
            if (i >= 0)
                add_pair(r, t, p, &r->pairs[i]);
        }
}

void bench_report_progress(struct bench_run *r, double elapsed_s)
{
    struct bench_stats st;
    bench_run_stats(r, &st);
    uint64_t recv = bench_stat_get(&st.recv_distinct);
    double dt = elapsed_s - r->progress_s;
    double rate = dt > 0 ? (double)(recv - r->progress_recv) / dt : 0;
    bool warm = elapsed_s * 1000.0 < (double)r->o->warmup_ms;
    fprintf(stderr, "petrel-bench: %6.1f s%s  sent %llu  received %llu  %.0f msg/s\n", elapsed_s,
            warm ? " (warm-up)" : "", (unsigned long long)bench_stat_get(&st.sent),
            (unsigned long long)recv, rate);
    r->progress_recv = recv;
    r->progress_s = elapsed_s;
}

static void print_latency(const struct bench_run *r)
{
    struct bench_hist h;
    bench_hist_init(&h);
    for (uint32_t i = 0; i < r->nloops; i++)
        bench_hist_merge(&h, &r->loops[i].hist);
    static const struct {
        const char *key;
        double q;
    } qs[] = {{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p999", 0.999}, {"max", 1.0}};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
        printf(" %s_us=%.1f", qs[i].key, (double)bench_hist_quantile(&h, qs[i].q) / 1000.0);
}

static int report_pubsub(struct bench_run *r, const struct bench_stats *st, int connect_rc)
{
    const struct bench_opts *o = r->o;
    struct totals t = {0, 0, 0, 0, 0, 0, 0};
    sum_up(r, &t);
    uint64_t measured = bench_stat_get((_Atomic uint64_t *)&st->recv_window);
    double secs = (double)r->measured_ns / 1e9;
    uint64_t misrouted = bench_stat_get((_Atomic uint64_t *)&st->misrouted);
    uint64_t lost = bench_stat_get((_Atomic uint64_t *)&st->lost);
    printf("mode=%s qos=%u version=%s pubs=%u subs=%u size=%u threads=%u", bench_mode_name(o->mode),
           o->qos, o->version == MQTT_V5 ? "5" : "311", r->npubs, r->nsubs, o->size, o->threads);
    printf(" sent=%llu acked=%llu received=%llu measured=%llu rate=%.0f",
           (unsigned long long)t.sent, (unsigned long long)t.acked, (unsigned long long)t.received,
           (unsigned long long)measured, secs > 0 ? (double)measured / secs : 0.0);
    printf(" loss=%llu dup=%llu reorder=%llu misrouted=%llu foreign=%llu stalls=%llu",
           (unsigned long long)t.loss, (unsigned long long)t.dup, (unsigned long long)t.reorder,
           (unsigned long long)misrouted,
           (unsigned long long)bench_stat_get((_Atomic uint64_t *)&st->foreign),
           (unsigned long long)bench_stat_get((_Atomic uint64_t *)&st->stalls));
    print_latency(r);
    printf(" lost_conns=%llu connect_s=%.3f duration_s=%.3f drain_s=%.3f overran=%d\n",
           (unsigned long long)lost, (double)r->connect_ms / 1000.0, secs,
           (double)r->drain_ms / 1000.0, r->overran);
    if (t.evicted)
        fprintf(stderr,
                "petrel-bench: %llu numbers counted lost without exact tracking (over "
                "%u gaps in one pair)\n",
                (unsigned long long)t.evicted, BENCH_SEQ_MAX_GAPS);
    if (connect_rc)
        return connect_rc;
    if (lost || r->overran)
        return BENCH_EXIT_LOST;
    if (t.dup || misrouted || (o->qos && t.loss))
        return BENCH_EXIT_CORRECT;
    return BENCH_EXIT_OK;
}

static int report_conn(struct bench_run *r, const struct bench_stats *st, int connect_rc)
{
    uint64_t ok = bench_stat_get((_Atomic uint64_t *)&st->connected);
    uint64_t lost = bench_stat_get((_Atomic uint64_t *)&st->lost);
    printf("mode=conn conns=%u connected=%llu failed=%llu lost_conns=%llu alive=%llu "
           "connect_s=%.3f duration_s=%.3f threads=%u overran=%d\n",
           r->nidle, (unsigned long long)ok,
           (unsigned long long)bench_stat_get((_Atomic uint64_t *)&st->failed),
           (unsigned long long)lost, (unsigned long long)(ok - lost),
           (double)r->connect_ms / 1000.0, (double)r->o->duration_ms / 1000.0, r->o->threads,
           r->overran);
    if (connect_rc)
        return connect_rc;
    return lost || r->overran ? BENCH_EXIT_LOST : BENCH_EXIT_OK;
}

int bench_report_final(struct bench_run *r, int connect_rc)
{
    struct bench_stats st;
    bench_run_stats(r, &st);
    int rc = r->o->mode == BENCH_CONN ? report_conn(r, &st, connect_rc)
                                      : report_pubsub(r, &st, connect_rc);
    fflush(stdout);
    return rc;
}
