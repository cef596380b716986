/*
 * store_bench.c - committed QoS 1 message operations per second through
 * the SQLite store (src/store), the pattern of QoS 1 fan-in: for each
 * message a msg_put and an entry_put; `lag` batches later, when the
 * subscriber's PUBACK would arrive, an entry_del and a msg_del.
 *
 * Each of `threads` loop threads builds batches of `batch` messages and
 * commits them without waiting, keeping at most `window` batches
 * uncommitted (a publisher's inflight window gives the broker the same
 * back-pressure). A message counts when the batch that stored it is
 * durable (done with status 0). The result is messages per second from
 * the first commit to the last done, with the store's own counters.
 *
 *   store-bench [-n MESSAGES] [-b BATCH] [-t THREADS] [-l LAG] [-w WINDOW]
 *               [-p PAYLOAD_BYTES] [-s full|normal|off] [-i INTERVAL_MS] [-d DIR]
 *
 * Not a test: it is built by CMake as store-bench and never run by ctest.
 */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"

struct params {
    long messages;
    int batch, threads, lag, window, payload;
    enum store_sync sync;
    uint32_t interval_ms;
    const char *dir;
};

struct loop {
    struct store *st;
    const struct params *p;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    long committed, done, failed;
    uint64_t sess;
};

static void on_done(void *arg, int status)
{
    struct loop *l = arg;
    pthread_mutex_lock(&l->mu);
    l->done++;
    if (status != 0)
        l->failed++;
    pthread_cond_signal(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

/* Waits until at most `left` batches are uncommitted. */
static void wait_window(struct loop *l, long left)
{
    pthread_mutex_lock(&l->mu);
    while (l->committed - l->done > left)
        pthread_cond_wait(&l->cv, &l->mu);
    pthread_mutex_unlock(&l->mu);
}

static void *run_loop(void *arg)
{
    struct loop *l = arg;
    const struct params *p = l->p;
    long batches = p->messages / p->threads / p->batch;
    uint64_t *seqs = calloc((size_t)batches * (size_t)p->batch, sizeof *seqs);
    char *payload = malloc((size_t)p->payload + 1);
    memset(payload, 'x', (size_t)p->payload);
    struct store_batch b;
    store_batch_init(&b);
    struct store_session_rec s = {.seq = l->sess, .client_id = SLICE_LIT("subscriber")};
    store_session_put(&b, &s);
    for (long i = 0; i < batches + p->lag; i++) {
        for (int k = 0; i < batches && k < p->batch; k++) {
            uint64_t seq = store_next_seq(l->st);
            struct store_msg_rec m = {.seq = seq,
                                      .topic = SLICE_LIT("sensors/temperature"),
                                      .payload = slice_make(payload, (size_t)p->payload),
                                      .qos = 1};
            struct store_entry_rec e = {.seq = seq + 1,
                                        .sess = l->sess,
                                        .msg = seq,
                                        .qos = 1,
                                        .state = STORE_ENTRY_WAIT_PUBACK,
                                        .pid = 1};
            store_next_seq(l->st); /* the entry's */
            store_msg_put(&b, &m);
            store_entry_put(&b, &e);
            seqs[i * p->batch + k] = seq;
        }
        for (int k = 0; i >= p->lag && k < p->batch; k++) {
            uint64_t seq = seqs[(i - p->lag) * p->batch + k];
            store_entry_del(&b, seq + 1);
            store_msg_del(&b, seq);
        }
        wait_window(l, p->window - 1);
        pthread_mutex_lock(&l->mu);
        l->committed++;
        pthread_mutex_unlock(&l->mu);
        store_batch_commit(l->st, &b, on_done, l);
    }
    wait_window(l, 0);
    store_batch_fini(&b);
    free(seqs);
    free(payload);
    return NULL;
}

static int usage(void)
{
    fprintf(stderr, "usage: store-bench [-n MESSAGES] [-b BATCH] [-t THREADS] [-l LAG] "
                    "[-w WINDOW] [-p PAYLOAD] [-s full|normal|off] [-i INTERVAL_MS] [-d DIR]\n");
    return 2;
}

static int parse(int argc, char **argv, struct params *p)
{
    int c;
    while ((c = getopt(argc, argv, "n:b:t:l:w:p:s:i:d:h")) != -1) {
        switch (c) {
        case 'n':
            p->messages = atol(optarg);
            break;
        case 'b':
            p->batch = atoi(optarg);
            break;
        case 't':
            p->threads = atoi(optarg);
            break;
        case 'l':
            p->lag = atoi(optarg);
            break;
        case 'w':
            p->window = atoi(optarg);
            break;
        case 'p':
            p->payload = atoi(optarg);
            break;
        case 'i':
            p->interval_ms = (uint32_t)atoi(optarg);
            break;
        case 'd':
            p->dir = optarg;
            break;
        case 's':
            p->sync = strcmp(optarg, "off") == 0      ? STORE_SYNC_OFF
                      : strcmp(optarg, "normal") == 0 ? STORE_SYNC_NORMAL
                                                      : STORE_SYNC_FULL;
            break;
        default:
            return -1;
        }
    }
    if (p->messages < 1 || p->batch < 1 || p->threads < 1 || p->lag < 0 || p->window < 1 ||
        p->payload < 0)
        return -1;
    return 0;
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

int main(int argc, char **argv)
{
    struct params p = {.messages = 400000,
                       .batch = 500,
                       .threads = 1,
                       .lag = 2,
                       .window = 4,
                       .payload = 64,
                       .sync = STORE_SYNC_FULL};
    if (parse(argc, argv, &p) != 0)
        return usage();
    char tmp[] = "/tmp/petrel-store-bench-XXXXXX";
    const char *dir = p.dir;
    if (dir == NULL && (dir = mkdtemp(tmp)) == NULL)
        return perror("mkdtemp"), 1;
    log_set_mask(1u << LOG_LVL_ERROR);
    struct store st;
    struct store_options opt = {.dir = dir, .sync = p.sync, .commit_interval_ms = p.interval_ms};
    char err[512];
    if (store_open(&st, &store_sqlite_ops, &opt, err, sizeof err) != 0)
        return fprintf(stderr, "store-bench: %s\n", err), 1;
    struct loop *loops = calloc((size_t)p.threads, sizeof *loops);
    uint64_t t0 = clock_mono_ns();
    for (int i = 0; i < p.threads; i++) {
        loops[i] = (struct loop){.st = &st, .p = &p, .sess = store_next_seq(&st)};
        pthread_mutex_init(&loops[i].mu, NULL);
        pthread_cond_init(&loops[i].cv, NULL);
        pthread_create(&loops[i].thread, NULL, run_loop, &loops[i]);
    }
    long failed = 0;
    for (int i = 0; i < p.threads; i++) {
        pthread_join(loops[i].thread, NULL);
        failed += loops[i].failed;
    }
    double secs = (double)(clock_mono_ns() - t0) / 1e9;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    long msgs = p.messages / p.threads / p.batch * p.batch * p.threads;
    struct store_stats s;
    store_stats_get(&st, &s);
    store_close(&st);
    printf("%ld msgs in %.3f s: %.0f msgs/s (%.0f ops/s); batch %d, threads %d, lag %d, "
           "window %d, payload %d, sync %s, interval %u ms\n",
           msgs, secs, msgs / secs, 4.0 * msgs / secs, p.batch, p.threads, p.lag, p.window,
           p.payload,
           p.sync == STORE_SYNC_FULL     ? "full"
           : p.sync == STORE_SYNC_NORMAL ? "normal"
                                         : "off",
           p.interval_ms);
    printf("  cpu %.3f s (%.2f us/msg); groups %llu (%.1f batches each), ops %llu, cancelled "
           "%llu (%.0f%%), failed batches %ld\n",
           cpu, cpu * 1e6 / msgs, (unsigned long long)s.groups,
           s.groups ? (double)s.batches / s.groups : 0.0, (unsigned long long)s.ops,
           (unsigned long long)s.ops_cancelled, s.ops ? 100.0 * s.ops_cancelled / s.ops : 0.0,
           failed);
    if (p.dir == NULL)
        nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    free(loops);
    return failed ? 1 : 0;
}
