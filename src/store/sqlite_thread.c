/*
 * sqlite_thread.c - the SQLite backend's ops table: the commit queue and
 * the store thread that drains it.
 *
 * store_batch_commit() swaps the batch's buffer into a queue node (taking
 * a recycled node and its buffer, so a steady loop allocates nothing),
 * appends the node and wakes the store thread only when the queue was
 * empty. The store thread takes the whole queue at once: that is the
 * group commit. With persistence_commit_interval it first waits that long
 * for more batches to join the group. While it works, new batches queue up
 * for the next group, so the rate of fsyncs adapts to the disk.
 *
 * On a failed group of several batches, each batch is run again alone so
 * that one batch's failure (a write past persistence_max_size) does not
 * refuse the others (deletes that would free room). Failures are logged at
 * error level once, then at most every 10 s while they go on, and
 * recovery at notice level.
 *
 * Space: deleted rows' pages go to SQLite's free list and later inserts
 * reuse them (auto_vacuum NONE, see sqlite_open.c), so the file grows to
 * the largest state it held and no further; the WAL is checkpointed
 * passively every wal_autocheckpoint pages by the commit that crosses it,
 * truncated to journal_size_limit, and checkpointed with TRUNCATE at close.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store/sqlite_int.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/log.h"

#define FAIL_LOG_INTERVAL_MS 10000
#define SPARE_BUF_MAX (1u << 20) /* a recycled buffer above this is freed */

static struct sq *sq_of(struct store *st)
{
    return st->impl;
}

static const char *status_text(int status)
{
    return status == -ENOSPC ? "the disk or persistence_max_size is full" : strerror(-status);
}

static void note_result(struct sq *q, int status, int rc)
{
    if (status == 0) {
        if (q->failures > 0)
            log_notice("store: commits succeed again after %llu failed batch%s",
                       (unsigned long long)q->failures, q->failures == 1 ? "" : "es");
        q->failures = 0;
        return;
    }
    uint64_t now = clock_mono_ms();
    if (q->failures++ == 0 || now - q->fail_logged_ms >= FAIL_LOG_INTERVAL_MS) {
        log_error("store: commit failed (%s; SQLite: %s); %llu batch%s refused so far",
                  status_text(status), sqlite3_errstr(rc), (unsigned long long)q->failures,
                  q->failures == 1 ? "" : "es");
        q->fail_logged_ms = now;
    }
}

static void count(_Atomic uint64_t *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* Runs n batches as one transaction; returns SQLite's result. */
static int run_group(struct sq *q, struct sq_pending *const *batches, size_t n)
{
    if (sq_plan_build(&q->plan, batches, n) != 0) {
        log_error("store: a batch does not decode (a bug); refusing it");
        return SQLITE_INTERNAL;
    }
    int rc = sq_exec_plan(q, &q->plan);
    if (rc == SQLITE_OK) {
        count(&q->n_groups, 1);
        count(&q->n_ops, q->plan.n);
        count(&q->n_cancelled, q->plan.n - q->plan.live);
    }
    return rc;
}

/* The batches of one group, as an array for the planner. */
static void process(struct sq *q, struct sq_pending **batches, size_t n)
{
    pthread_mutex_lock(&q->db_mu);
    int rc = run_group(q, batches, n);
    if (rc != SQLITE_OK && n > 1) {
        for (size_t i = 0; i < n; i++) {
            int one = run_group(q, &batches[i], 1);
            batches[i]->status = sq_status(one);
            note_result(q, batches[i]->status, one);
        }
    } else {
        for (size_t i = 0; i < n; i++)
            batches[i]->status = sq_status(rc);
        note_result(q, sq_status(rc), rc);
    }
    pthread_mutex_unlock(&q->db_mu);
    for (size_t i = 0; i < n; i++) {
        count(&q->n_batches, 1);
        if (batches[i]->status != 0)
            count(&q->n_failed, 1);
        if (batches[i]->done)
            batches[i]->done(batches[i]->arg, batches[i]->status);
    }
}

/* Waits until the queue has work (and, with a commit interval, until the
 * interval has passed) or the store closes. Returns the queue, taken, or
 * NULL when closed and drained. Called and returns with mu held. */
static struct sq_pending *take_group(struct sq *q)
{
    while (q->head == NULL && !q->stopping)
        pthread_cond_wait(&q->cv, &q->mu);
    if (q->head != NULL && q->opt.commit_interval_ms > 0 && !q->stopping) {
        struct timespec until; /* cv waits on the monotonic clock (sq_new) */
        clock_gettime(CLOCK_MONOTONIC, &until);
        uint64_t ns = (uint64_t)until.tv_nsec + (uint64_t)q->opt.commit_interval_ms * 1000000u;
        until.tv_sec += (time_t)(ns / 1000000000u);
        until.tv_nsec = (long)(ns % 1000000000u);
        while (!q->stopping && pthread_cond_timedwait(&q->cv, &q->mu, &until) != ETIMEDOUT)
            ;
    }
    struct sq_pending *g = q->head;
    q->head = q->tail = NULL;
    return g;
}

static void recycle(struct sq *q, struct sq_pending *g)
{
    while (g) {
        struct sq_pending *next = g->next;
        if (g->log.cap > SPARE_BUF_MAX)
            buf_fini(&g->log);
        g->log.off = g->log.len = 0;
        g->nops = 0;
        g->next = q->spare;
        q->spare = g;
        g = next;
    }
}

static void *store_thread(void *arg)
{
    struct sq *q = arg;
    struct sq_pending **arr = NULL;
    size_t cap = 0;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        struct sq_pending *g = take_group(q);
        if (g == NULL)
            break;
        pthread_mutex_unlock(&q->mu);
        size_t n = 0;
        for (struct sq_pending *p = g; p; p = p->next) {
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                arr = xrealloc(arr, cap * sizeof *arr);
            }
            arr[n++] = p;
        }
        process(q, arr, n);
        pthread_mutex_lock(&q->mu);
        recycle(q, g);
    }
    pthread_mutex_unlock(&q->mu);
    free(arr);
    return NULL;
}

static void sq_commit(struct store *st, struct store_batch *b, store_done_fn done, void *arg)
{
    struct sq *q = sq_of(st);
    if (q->opt.read_only) {
        b->log.off = b->log.len = 0;
        b->nops = 0;
        if (done)
            done(arg, -EROFS);
        return;
    }
    pthread_mutex_lock(&q->mu);
    struct sq_pending *p = q->spare;
    if (p)
        q->spare = p->next;
    else
        p = xcalloc(1, sizeof *p);
    struct buf empty = p->log;
    p->log = b->log;
    p->nops = b->nops;
    p->done = done;
    p->arg = arg;
    p->next = NULL;
    b->log = empty;
    b->nops = 0;
    bool wake = q->head == NULL;
    if (q->tail)
        q->tail->next = p;
    else
        q->head = p;
    q->tail = p;
    if (wake)
        pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

static void sq_free(struct sq *q)
{
    while (q->spare) {
        struct sq_pending *p = q->spare;
        q->spare = p->next;
        buf_fini(&p->log);
        free(p);
    }
    sq_plan_fini(&q->plan);
    pthread_mutex_destroy(&q->mu);
    pthread_mutex_destroy(&q->db_mu);
    pthread_cond_destroy(&q->cv);
    free(q->dir);
    free(q->path);
    free(q);
}

static struct sq *sq_new(const struct store_options *opt)
{
    struct sq *q = xcalloc(1, sizeof *q);
    q->opt = *opt;
    q->dir = xstrdup(opt->dir && *opt->dir ? opt->dir : ".");
    q->opt.dir = q->dir;
    size_t n = strlen(q->dir) + sizeof "/" STORE_FILE_NAME;
    q->path = xmalloc(n);
    snprintf(q->path, n, "%s/%s", q->dir, STORE_FILE_NAME);
    pthread_mutex_init(&q->mu, NULL);
    pthread_mutex_init(&q->db_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* a clock step must not stretch a wait */
    pthread_cond_init(&q->cv, &ca);
    pthread_condattr_destroy(&ca);
    return q;
}

static int start(struct sq *q, char *err, size_t errlen)
{
    int rc = q->opt.read_only ? SQLITE_OK : sq_repair(q);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", q->path, sqlite3_errmsg(q->db));
        return sq_status(rc) ? sq_status(rc) : -EIO;
    }
    if (q->opt.read_only)
        return 0;
    int e = pthread_create(&q->thread, NULL, store_thread, q);
    if (e != 0) {
        snprintf(err, errlen, "cannot start the store thread: %s", strerror(e));
        return -e;
    }
    q->thread_started = true;
    return 0;
}

/* SQLite's memory statistics take a global mutex on every allocation
 * (12% of the instructions per stored message, measured with callgrind);
 * nothing reads them. The setting is process-wide and must come before
 * SQLite initialises, hence once, before the first open. */
static void sqlite_setup(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_initialize();
}

static int sq_open(struct store *st, const struct store_options *opt, char *err, size_t errlen)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sqlite_setup);
    struct sq *q = sq_new(opt);
    int rc = sq_db_open(q, err, errlen);
    uint64_t max = 0;
    if (rc == 0 && !q->empty && sq_max_seq(q->db, &max) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", q->path, sqlite3_errmsg(q->db));
        rc = -EIO;
    }
    if (rc == 0)
        rc = start(q, err, errlen);
    if (rc != 0) {
        sq_db_close(q);
        sq_free(q);
        return rc;
    }
    st->impl = q;
    st->max_seq = max;
    atomic_store_explicit(&st->next_seq, max + 1, memory_order_relaxed);
    return 0;
}

static void sq_close(struct store *st)
{
    struct sq *q = sq_of(st);
    if (q == NULL)
        return;
    if (q->thread_started) {
        pthread_mutex_lock(&q->mu);
        q->stopping = true;
        pthread_cond_signal(&q->cv);
        pthread_mutex_unlock(&q->mu);
        pthread_join(q->thread, NULL);
    }
    if (!q->opt.read_only && q->db) {
        int rc = sqlite3_exec(q->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            log_warn("store: final checkpoint of %s failed: %s", q->path, sqlite3_errmsg(q->db));
    }
    sq_db_close(q);
    sq_free(q);
    st->impl = NULL;
}

static void sq_stats(const struct store *st, struct store_stats *out)
{
    struct sq *q = st->impl;
    out->batches = atomic_load_explicit(&q->n_batches, memory_order_relaxed);
    out->groups = atomic_load_explicit(&q->n_groups, memory_order_relaxed);
    out->ops = atomic_load_explicit(&q->n_ops, memory_order_relaxed);
    out->ops_cancelled = atomic_load_explicit(&q->n_cancelled, memory_order_relaxed);
    out->failed_batches = atomic_load_explicit(&q->n_failed, memory_order_relaxed);
}

const struct store_ops store_sqlite_ops = {
    .name = "sqlite",
    .durable = true,
    .open = sq_open,
    .load = sq_load,
    .commit = sq_commit,
    .close = sq_close,
    .stats = sq_stats,
};
