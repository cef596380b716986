/*
 * test_threads.c - src/store under concurrency: four threads, each with
 * its own batch and session, commit at the same time while allocating
 * sequences from the shared counter, acknowledge (delete) their older
 * entries and messages, and update states; done callbacks arrive on the
 * store thread. After close and reopen, exactly the rows that should
 * remain are there. Run it under the ASan and TSan builds too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "helpers.h"
#include "store/store.h"
#include "util/log.h"

#define THREADS 4
#define ROUNDS 150
#define PER_ROUND 20
#define KEEP_ROUNDS 2 /* entries of the last rounds stay unacknowledged */

struct worker {
    struct store *st;
    pthread_t thread;
    uint64_t sess;
    uint64_t msgs[ROUNDS][PER_ROUND];
    uint64_t entries[ROUNDS][PER_ROUND];
    struct th_waiter w;
    int commits;
};

static void put_round(struct worker *k, struct store_batch *b, int r)
{
    char topic[32];
    for (int i = 0; i < PER_ROUND; i++) {
        uint64_t m = store_next_seq(k->st), e = store_next_seq(k->st);
        snprintf(topic, sizeof topic, "w%llu/%d/%d", (unsigned long long)k->sess, r, i);
        struct store_msg_rec mr = {
            .seq = m, .topic = slice_cstr(topic), .payload = SLICE_LIT("reading"), .qos = 1};
        struct store_entry_rec er = {.seq = e, .sess = k->sess, .msg = m, .qos = 1};
        store_msg_put(b, &mr);
        store_entry_put(b, &er);
        store_entry_update(b, e, STORE_ENTRY_WAIT_PUBACK, (uint16_t)(i + 1));
        k->msgs[r][i] = m;
        k->entries[r][i] = e;
    }
}

static void ack_round(struct worker *k, struct store_batch *b, int r)
{
    for (int i = 0; i < PER_ROUND; i++) {
        store_entry_del(b, k->entries[r][i]);
        store_msg_del(b, k->msgs[r][i]);
    }
}

static void *run_worker(void *arg)
{
    struct worker *k = arg;
    struct store_batch b;
    store_batch_init(&b);
    struct store_session_rec s = {.seq = k->sess, .client_id = SLICE_LIT("client")};
    store_session_put(&b, &s);
    for (int r = 0; r < ROUNDS; r++) {
        put_round(k, &b, r);
        if (r >= KEEP_ROUNDS)
            ack_round(k, &b, r - KEEP_ROUNDS);
        store_batch_commit(k->st, &b, th_done, &k->w);
        k->commits++;
        if (r % 10 == 0) /* now and then, wait like a loop would for acks */
            th_wait(&k->w, k->commits);
    }
    store_batch_fini(&b);
    return NULL;
}

struct collected {
    uint64_t entries[THREADS * KEEP_ROUNDS * PER_ROUND + 1];
    uint64_t sess_of[THREADS * KEEP_ROUNDS * PER_ROUND + 1];
    int n_entries, n_msgs, n_sessions, bad;
};

static int got_msg(void *arg, const struct store_msg_rec *m)
{
    ((struct collected *)arg)->n_msgs++;
    return 0;
}

static int got_session(void *arg, const struct store_session_rec *s)
{
    ((struct collected *)arg)->n_sessions++;
    return 0;
}

static int got_entry(void *arg, const struct store_entry_rec *e)
{
    struct collected *c = arg;
    if (c->n_entries >= THREADS * KEEP_ROUNDS * PER_ROUND || e->state != STORE_ENTRY_WAIT_PUBACK)
        c->bad++;
    else {
        c->entries[c->n_entries] = e->seq;
        c->sess_of[c->n_entries++] = e->sess;
    }
    return 0;
}

static bool has_entry(const struct collected *c, uint64_t seq, uint64_t sess)
{
    for (int i = 0; i < c->n_entries; i++) {
        if (c->entries[i] == seq)
            return c->sess_of[i] == sess;
    }
    return false;
}

static void run_threads(const char *dir, uint32_t interval_ms)
{
    static struct worker workers[THREADS];
    struct store st;
    struct store_options opt = {.sync = STORE_SYNC_OFF, .commit_interval_ms = interval_ms};
    assert_int_equal(th_open(&st, dir, &opt), 0);
    for (int i = 0; i < THREADS; i++) {
        memset(&workers[i], 0, sizeof workers[i]);
        workers[i].st = &st;
        workers[i].sess = store_next_seq(&st);
        th_waiter_init(&workers[i].w);
    }
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&workers[i].thread, NULL, run_worker, &workers[i]), 0);
    for (int i = 0; i < THREADS; i++) {
        pthread_join(workers[i].thread, NULL);
        assert_int_equal(th_wait(&workers[i].w, workers[i].commits), 0);
        assert_int_equal(workers[i].w.failures, 0);
    }
    struct store_stats stats;
    store_stats_get(&st, &stats);
    assert_int_equal(stats.batches, THREADS * ROUNDS);
    assert_true(stats.ops_cancelled > 0);
    store_close(&st);

    static struct collected c;
    memset(&c, 0, sizeof c);
    assert_int_equal(th_open(&st, dir, &opt), 0);
    struct store_load_cbs cbs = {.msg = got_msg, .session = got_session, .entry = got_entry};
    assert_int_equal(store_load(&st, &cbs, &c, NULL), 0);
    store_close(&st);
    assert_int_equal(c.bad, 0);
    assert_int_equal(c.n_sessions, THREADS);
    assert_int_equal(c.n_entries, THREADS * KEEP_ROUNDS * PER_ROUND);
    assert_int_equal(c.n_msgs, THREADS * KEEP_ROUNDS * PER_ROUND);
    for (int i = 0; i < THREADS; i++) {
        for (int r = ROUNDS - KEEP_ROUNDS; r < ROUNDS; r++) {
            for (int j = 0; j < PER_ROUND; j++)
                assert_true(has_entry(&c, workers[i].entries[r][j], workers[i].sess));
        }
        th_waiter_fini(&workers[i].w);
    }
}

static void test_threads_commit_concurrently(void **state)
{
    run_threads(*state, 0);
}

static void test_threads_with_commit_interval(void **state)
{
    run_threads(*state, 2);
}

static int setup(void **state)
{
    char *dir = th_tmpdir();
    if (dir == NULL)
        return -1;
    *state = dir;
    return 0;
}

static int teardown(void **state)
{
    th_rmtree(*state);
    free(*state);
    return 0;
}

int main(void)
{
    log_set_mask(0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_threads_commit_concurrently, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads_with_commit_interval, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
