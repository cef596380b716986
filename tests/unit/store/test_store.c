/*
 * test_store.c - src/store: every operation through commit, close, reopen
 * and load; sequences; cancellation inside a group commit; rollback and
 * recovery when a commit fails (persistence_max_size); grouping with a
 * commit interval; repair of dangling rows; a crash without close; the
 * memory backend.
 *
 * Each test works in its own temporary directory and removes it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "helpers.h"
#include "store/store.h"
#include "util/log.h"

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

static struct store_msg_rec msg_rec(uint64_t seq, const char *topic, const char *payload)
{
    return (struct store_msg_rec){
        .seq = seq,
        .topic = slice_cstr(topic),
        .payload = slice_cstr(payload),
        .qos = 1,
    };
}

static struct store_entry_rec entry_rec(uint64_t seq, uint64_t sess, uint64_t msg)
{
    return (struct store_entry_rec){.seq = seq, .sess = sess, .msg = msg, .qos = 1};
}

static struct store_session_rec session_rec(uint64_t seq, const char *client)
{
    return (struct store_session_rec){.seq = seq, .client_id = slice_cstr(client)};
}

/* After each operation: with st, commit it alone and wait. */
static void step(struct store *st, struct store_batch *b)
{
    if (st)
        assert_int_equal(th_commit_wait(st, b), 0);
}

/* Every kind of row, some changed again afterwards; with st, each
 * operation is its own batch, otherwise all are one. */
static void fill_everything(struct store *st, struct store_batch *b)
{
    static const uint8_t bin[] = {0, 1, 2, 0, 255};
    static const uint8_t props[] = {0x03, 0x00, 0x04, 't', 'e', 'x', 't'};
    struct store_msg_rec m1 = {.seq = 1,
                               .topic = SLICE_LIT("a/b"),
                               .payload = slice_make(bin, 5),
                               .props = slice_make(props, sizeof props),
                               .qos = 2,
                               .retain = true,
                               .expiry_ms = 1893456000000ull};
    struct store_msg_rec m2 = msg_rec(2, "empty/payload", "");
    struct store_msg_rec m3 = msg_rec(3, "will/topic", "gone");
    struct store_msg_rec m9 = msg_rec(9, "deleted", "x");
    store_msg_put(b, &m1);
    step(st, b);
    store_msg_put(b, &m2);
    step(st, b);
    store_msg_put(b, &m3);
    step(st, b);
    store_msg_put(b, &m9);
    step(st, b);
    store_retain_set(b, SLICE_LIT("a/b"), 1);
    step(st, b);
    store_retain_set(b, SLICE_LIT("c"), 2);
    step(st, b);
    store_retain_set(b, SLICE_LIT("c"), 1); /* replaces */
    store_retain_set(b, SLICE_LIT("d"), 2);
    step(st, b);
    store_retain_del(b, SLICE_LIT("d"));
    step(st, b);
    struct store_session_rec s4 = {.seq = 4,
                                   .client_id = SLICE_LIT("sensor-1"),
                                   .has_username = true,
                                   .username = SLICE_LIT("alice"),
                                   .expiry_interval = 3600,
                                   .will_msg = 3,
                                   .will_delay = 30,
                                   .offline_at_ms = 1700000000123ull,
                                   .next_pid = 65535};
    struct store_session_rec s5 = {
        .seq = 5, .client_id = SLICE_LIT("anon"), .has_username = true, .username = SLICE_NULL};
    struct store_session_rec s6 = session_rec(6, "no-user");
    store_session_put(b, &s4);
    step(st, b);
    store_session_put(b, &s5);
    step(st, b);
    store_session_put(b, &s6);
    step(st, b);
    struct store_sub_rec sub1 = {.sess = 4, .filter = SLICE_LIT("a/#"), .opts = 0x01, .sub_id = 7};
    struct store_sub_rec sub2 = {.sess = 4, .filter = SLICE_LIT("+/b"), .opts = 0x2e};
    struct store_sub_rec sub3 = {.sess = 4, .filter = SLICE_LIT("a/#"), .opts = 0x02, .sub_id = 8};
    struct store_sub_rec sub4 = {.sess = 6, .filter = SLICE_LIT("x"), .opts = 0};
    store_sub_put(b, &sub1);
    step(st, b);
    store_sub_put(b, &sub2);
    step(st, b);
    store_sub_put(b, &sub3); /* replaces sub1 */
    store_sub_put(b, &sub4);
    step(st, b);
    store_sub_del(b, 6, SLICE_LIT("x"));
    step(st, b);
    struct store_entry_rec e10 = {
        .seq = 10, .sess = 4, .msg = 1, .qos = 2, .flags = STORE_ENTRY_RETAIN, .sub_id = 8};
    struct store_entry_rec e11 = entry_rec(11, 4, 2);
    struct store_entry_rec e12 = entry_rec(12, 4, 1);
    store_entry_put(b, &e10);
    step(st, b);
    store_entry_put(b, &e11);
    step(st, b);
    store_entry_put(b, &e12);
    step(st, b);
    store_entry_update(b, 10, STORE_ENTRY_WAIT_PUBREC, 17);
    step(st, b);
    store_entry_update(b, 10, STORE_ENTRY_WAIT_PUBCOMP, 17);
    step(st, b);
    store_entry_update(b, 11, STORE_ENTRY_WAIT_PUBACK, 18);
    step(st, b);
    store_entry_del(b, 12);
    step(st, b);
    store_qos2_put(b, 4, 1);
    step(st, b);
    store_qos2_put(b, 4, 65535);
    step(st, b);
    store_qos2_put(b, 5, 2);
    step(st, b);
    store_qos2_del(b, 5, 2);
    step(st, b);
    store_msg_del(b, 9);
    step(st, b);
}

static const char everything_dump[] =
    "msg 1 qos=2 retain=1 expiry=1893456000000 topic=612f62 props=03000474657874 "
    "payload=00010200ff\n"
    "msg 2 qos=1 retain=0 expiry=0 topic=656d7074792f7061796c6f6164 props= payload=\n"
    "msg 3 qos=1 retain=0 expiry=0 topic=77696c6c2f746f706963 props= payload=676f6e65\n"
    "session 4 expiry=3600 will=3 delay=30 offline=1700000000123 next_pid=65535 "
    "client=73656e736f722d31 user=616c696365\n"
    "session 5 expiry=0 will=0 delay=0 offline=0 next_pid=0 client=616e6f6e user=\n"
    "session 6 expiry=0 will=0 delay=0 offline=0 next_pid=0 client=6e6f2d75736572 nouser\n"
    "sub sess=4 opts=46 id=0 filter=2b2f62\n"
    "sub sess=4 opts=2 id=8 filter=612f23\n"
    "entry 10 sess=4 msg=1 qos=2 flags=1 state=3 pid=17 id=8\n"
    "entry 11 sess=4 msg=2 qos=1 flags=0 state=1 pid=18 id=0\n"
    "qos2 sess=4 pid=1\n"
    "qos2 sess=4 pid=65535\n"
    "retain msg=1 topic=612f62\n"
    "retain msg=1 topic=63\n";

static void test_every_op_round_trips(void **state)
{
    const char *dir = *state;
    struct store st;
    assert_int_equal(th_open(&st, dir, NULL), 0);
    assert_true(store_is_durable(&st));
    struct store_batch b;
    store_batch_init(&b);
    fill_everything(NULL, &b);
    assert_false(store_batch_empty(&b));
    assert_int_equal(th_commit_wait(&st, &b), 0);
    assert_true(store_batch_empty(&b));
    char *live = th_dump(&st);
    assert_non_null(live);
    assert_string_equal(live, everything_dump);
    store_batch_fini(&b);
    store_close(&st);

    char *again = th_dump_dir(dir);
    assert_non_null(again);
    assert_string_equal(again, everything_dump);
    free(live);
    free(again);
}

/* The same operations, one batch each, give the same state as one batch:
 * cancellation and grouping change nothing visible. */
static void test_one_op_per_batch_same_state(void **state)
{
    const char *dir = *state;
    struct store st;
    assert_int_equal(th_open(&st, dir, NULL), 0);
    struct store_batch b;
    store_batch_init(&b);
    fill_everything(&st, &b);
    store_close(&st);
    char *a = th_dump_dir(dir);
    assert_non_null(a);
    assert_string_equal(a, everything_dump);
    free(a);
    store_batch_fini(&b);
}

static void test_sequences_start_above_stored(void **state)
{
    const char *dir = *state;
    struct store st;
    assert_int_equal(th_open(&st, dir, NULL), 0);
    uint64_t max = 99;
    assert_int_equal(store_load(&st, &(struct store_load_cbs){0}, NULL, &max), 0);
    assert_int_equal(max, 0);
    assert_int_equal(store_next_seq(&st), 1);
    assert_int_equal(store_next_seq(&st), 2);
    struct store_batch b;
    store_batch_init(&b);
    struct store_msg_rec m = msg_rec(500, "t", "p");
    struct store_session_rec s = session_rec(700, "c");
    struct store_entry_rec e = entry_rec(600, 700, 500);
    store_msg_put(&b, &m);
    store_session_put(&b, &s);
    store_entry_put(&b, &e);
    store_qos2_put(&b, 700, 9000);
    assert_int_equal(th_commit_wait(&st, &b), 0);
    store_close(&st);
    assert_int_equal(th_open(&st, dir, NULL), 0);
    assert_int_equal(store_load(&st, &(struct store_load_cbs){0}, NULL, &max), 0);
    assert_int_equal(max, 700);
    assert_int_equal(store_next_seq(&st), 701);
    store_batch_fini(&b);
    store_close(&st);
}

/* QoS 1 fan-in within one group: message and entry put, entry sent and
 * acknowledged, message dropped. Nothing reaches the database. */
static void test_put_del_cancels(void **state)
{
    const char *dir = *state;
    struct store st;
    assert_int_equal(th_open(&st, dir, NULL), 0);
    struct store_batch b;
    store_batch_init(&b);
    for (uint64_t i = 0; i < 100; i++) {
        struct store_msg_rec m = msg_rec(1000 + i, "t", "payload");
        struct store_entry_rec e = entry_rec(2000 + i, 1, 1000 + i);
        store_msg_put(&b, &m);
        store_entry_put(&b, &e);
        store_entry_update(&b, 2000 + i, STORE_ENTRY_WAIT_PUBACK, (uint16_t)(i + 1));
    }
    for (uint64_t i = 0; i < 100; i++) {
        store_entry_del(&b, 2000 + i);
        store_msg_del(&b, 1000 + i);
    }
    struct store_session_rec s = session_rec(1, "c");
    store_session_put(&b, &s);
    assert_int_equal(th_commit_wait(&st, &b), 0);
    struct store_stats stats;
    store_stats_get(&st, &stats);
    assert_int_equal(stats.ops, 501);
    /* Executed: the session put and the 100 entry deletes (an entry may
     * have existed before the group; a message may not). */
    assert_int_equal(stats.ops - stats.ops_cancelled, 101);
    assert_int_equal(stats.batches, 1);
    assert_int_equal(stats.failed_batches, 0);
    char *d = th_dump(&st);
    assert_string_equal(d, "session 1 expiry=0 will=0 delay=0 offline=0 next_pid=0 "
                           "client=63 nouser\n");
    free(d);
    store_batch_fini(&b);
    store_close(&st);
}

/* An entry stored in an earlier group and deleted now is really deleted,
 * and a put after a del in the same group (QoS 2 id reused) is kept. */
static void test_cancel_keeps_needed_deletes(void **state)
{
    const char *dir = *state;
    struct store st;
    assert_int_equal(th_open(&st, dir, NULL), 0);
    struct store_batch b;
    store_batch_init(&b);
    struct store_session_rec s = session_rec(1, "c");
    struct store_msg_rec m = msg_rec(2, "t", "p");
    struct store_entry_rec e = entry_rec(3, 1, 2);
    store_session_put(&b, &s);
    store_msg_put(&b, &m);
    store_entry_put(&b, &e);
    store_qos2_put(&b, 1, 5);
    assert_int_equal(th_commit_wait(&st, &b), 0);

    store_entry_update(&b, 3, STORE_ENTRY_WAIT_PUBACK, 1);
    store_entry_del(&b, 3);
    store_msg_del(&b, 2);
    store_qos2_del(&b, 1, 5);
    store_qos2_put(&b, 1, 5);
    store_qos2_put(&b, 1, 6);
    store_qos2_del(&b, 1, 6);
    assert_int_equal(th_commit_wait(&st, &b), 0);
    store_close(&st);
    char *d = th_dump_dir(dir);
    assert_string_equal(d, "session 1 expiry=0 will=0 delay=0 offline=0 next_pid=0 client=63 "
                           "nouser\nqos2 sess=1 pid=5\n");
    free(d);
    store_batch_fini(&b);
}

/* Subscriptions and QoS 2 ids go with the session; entries are the
 * broker's to delete, and any left are removed at the next open. */
static int count_msgs(struct store *st);

/* A message deleted by one thread's batch and stored by another's later
 * batch of the same group (the delivering loop was quicker): neither runs. */
static void test_msg_del_before_put_in_group(void **state)
{
    const char *dir = *state;
    struct store st;
    struct store_options opt = {.sync = STORE_SYNC_OFF, .commit_interval_ms = 300};
    assert_int_equal(th_open(&st, dir, &opt), 0);
    struct store_batch a, c;
    store_batch_init(&a);
    store_batch_init(&c);
    struct store_msg_rec m = msg_rec(7, "t", "p");
    store_msg_del(&c, 7);
    store_msg_put(&a, &m);
    store_retain_set(&a, SLICE_LIT("keep"), 7); /* so that repair would not hide a row */
    store_retain_del(&a, SLICE_LIT("keep"));
    struct th_waiter w;
    th_waiter_init(&w);
    store_batch_commit(&st, &c, th_done, &w);
    store_batch_commit(&st, &a, th_done, &w);
    assert_int_equal(th_wait(&w, 2), 0);
    assert_int_equal(w.failures, 0);
    struct store_stats stats;
    store_stats_get(&st, &stats);
    assert_int_equal(stats.groups, 1);
    assert_int_equal(stats.ops, 4);
    assert_int_equal(stats.ops_cancelled, 2);
    assert_int_equal(count_msgs(&st), 0);
    th_waiter_fini(&w);
    store_batch_fini(&a);
    store_batch_fini(&c);
    store_close(&st);
}

static void test_session_del_cascades(void **state)
{
    const char *dir = *state;
    struct store st;
    assert_int_equal(th_open(&st, dir, NULL), 0);
    struct store_batch b;
    store_batch_init(&b);
    struct store_session_rec s1 = session_rec(1, "one"), s2 = session_rec(2, "two");
    struct store_msg_rec m = msg_rec(3, "t", "p");
    struct store_entry_rec e1 = entry_rec(4, 1, 3), e2 = entry_rec(5, 2, 3);
    struct store_sub_rec sub1 = {.sess = 1, .filter = SLICE_LIT("t")};
    struct store_sub_rec sub2 = {.sess = 2, .filter = SLICE_LIT("t")};
    store_session_put(&b, &s1);
    store_session_put(&b, &s2);
    store_msg_put(&b, &m);
    store_entry_put(&b, &e1);
    store_entry_put(&b, &e2);
    store_sub_put(&b, &sub1);
    store_sub_put(&b, &sub2);
    store_qos2_put(&b, 1, 1);
    store_qos2_put(&b, 1, 65535);
    store_qos2_put(&b, 2, 1);
    assert_int_equal(th_commit_wait(&st, &b), 0);
    store_session_del(&b, 1);
    assert_int_equal(th_commit_wait(&st, &b), 0);
    /* The entry of session 1 stays until the next open removes it. */
    char *d = th_dump(&st);
    assert_non_null(strstr(d, "entry 4 sess=1"));
    free(d);
    store_close(&st);
    assert_int_equal(th_open(&st, dir, NULL), 0);
    d = th_dump(&st);
    assert_string_equal(d, "msg 3 qos=1 retain=0 expiry=0 topic=74 props= payload=70\n"
                           "session 2 expiry=0 will=0 delay=0 offline=0 next_pid=0 "
                           "client=74776f nouser\n"
                           "sub sess=2 opts=0 id=0 filter=74\n"
                           "entry 5 sess=2 msg=3 qos=1 flags=0 state=0 pid=0 id=0\n"
                           "qos2 sess=2 pid=1\n");
    free(d);
    store_batch_fini(&b);
    store_close(&st);
}

/* Messages of `size` bytes until a commit fails; returns how many fit. */
static int fill_until_full(struct store *st, struct store_batch *b, uint64_t *seq, size_t size)
{
    char *payload = malloc(size + 1);
    memset(payload, 'x', size);
    payload[size] = '\0';
    int stored = 0;
    for (int i = 0; i < 1000; i++) {
        struct store_msg_rec m = msg_rec(*seq, "big", payload);
        struct store_entry_rec e = entry_rec(*seq + 1, 1, *seq);
        store_msg_put(b, &m);
        store_entry_put(b, &e);
        int rc = th_commit_wait(st, b);
        if (rc != 0) {
            assert_int_equal(rc, -ENOSPC);
            break;
        }
        *seq += 2;
        stored++;
    }
    free(payload);
    return stored;
}

static int count_rows(void *arg, const struct store_msg_rec *m)
{
    (void)m;
    ++*(int *)arg;
    return 0;
}

static int count_msgs(struct store *st)
{
    int n = 0;
    assert_int_equal(store_load(st, &(struct store_load_cbs){.msg = count_rows}, &n, NULL), 0);
    return n;
}

static void test_full_rolls_back_and_recovers(void **state)
{
    const char *dir = *state;
    struct store st;
    struct store_options opt = {.sync = STORE_SYNC_OFF, .max_size = 1 << 20};
    assert_int_equal(th_open(&st, dir, &opt), 0);
    struct store_batch b;
    store_batch_init(&b);
    struct store_session_rec s = session_rec(1, "c");
    store_session_put(&b, &s);
    assert_int_equal(th_commit_wait(&st, &b), 0);
    uint64_t seq = 10;
    int stored = fill_until_full(&st, &b, &seq, 3000);
    assert_true(stored > 10);
    assert_int_equal(count_msgs(&st), stored);
    /* The failed batch left nothing, and the store still works: delete
     * some, then a smaller batch commits. */
    for (uint64_t k = 10; k < 10 + 2 * 10; k += 2) {
        store_entry_del(&b, k + 1);
        store_msg_del(&b, k);
    }
    assert_int_equal(th_commit_wait(&st, &b), 0);
    assert_int_equal(count_msgs(&st), stored - 10);
    int more = fill_until_full(&st, &b, &seq, 3000);
    assert_true(more >= 5);
    struct store_stats stats;
    store_stats_get(&st, &stats);
    assert_int_equal(stats.failed_batches, 2);
    store_close(&st);
    assert_int_equal(th_open(&st, dir, &opt), 0);
    assert_int_equal(count_msgs(&st), stored - 10 + more);
    store_batch_fini(&b);
    store_close(&st);
}

struct big_job {
    struct store *st;
    struct th_waiter *w;
};

/* A group of a failing batch and a fitting one: each is retried alone,
 * so only the one that does not fit fails. */
static void test_group_failure_isolated(void **state)
{
    const char *dir = *state;
    struct store st;
    struct store_options opt = {
        .sync = STORE_SYNC_OFF, .max_size = 1 << 20, .commit_interval_ms = 300};
    assert_int_equal(th_open(&st, dir, &opt), 0);
    static char big[2 << 20];
    memset(big, 'y', sizeof big - 1);
    struct store_batch a, c;
    store_batch_init(&a);
    store_batch_init(&c);
    struct store_msg_rec huge = msg_rec(1, "huge", big);
    struct store_msg_rec small = msg_rec(2, "small", "ok");
    struct store_session_rec s = session_rec(3, "c");
    struct store_entry_rec e = entry_rec(4, 3, 2);
    store_msg_put(&a, &huge);
    store_msg_put(&c, &small);
    store_session_put(&c, &s);
    store_entry_put(&c, &e);
    struct th_waiter wa, wc;
    th_waiter_init(&wa);
    th_waiter_init(&wc);
    store_batch_commit(&st, &a, th_done, &wa);
    store_batch_commit(&st, &c, th_done, &wc);
    assert_int_equal(th_wait(&wa, 1), 0);
    assert_int_equal(th_wait(&wc, 1), 0);
    assert_int_equal(wa.last_status, -ENOSPC);
    assert_int_equal(wc.last_status, 0);
    assert_int_equal(count_msgs(&st), 1);
    th_waiter_fini(&wa);
    th_waiter_fini(&wc);
    store_batch_fini(&a);
    store_batch_fini(&c);
    store_close(&st);
}

/* With a commit interval, batches committed within it share one group;
 * done callbacks run in commit order. */
struct order_log {
    pthread_mutex_t mu;
    int seen[8];
    int n;
};

struct order_arg {
    struct order_log *log;
    int index;
};

/* Runs on the store thread: records, and leaves asserting to the test. */
static void order_done(void *arg, int status)
{
    struct order_arg *a = arg;
    pthread_mutex_lock(&a->log->mu);
    a->log->seen[a->log->n++] = status == 0 ? a->index : -1;
    pthread_mutex_unlock(&a->log->mu);
}

static void test_commit_interval_groups(void **state)
{
    const char *dir = *state;
    struct store st;
    struct store_options opt = {.sync = STORE_SYNC_OFF, .commit_interval_ms = 400};
    assert_int_equal(th_open(&st, dir, &opt), 0);
    struct order_log log = {.mu = PTHREAD_MUTEX_INITIALIZER};
    struct order_arg args[5];
    struct store_batch b;
    store_batch_init(&b);
    for (int i = 0; i < 5; i++) {
        struct store_msg_rec m = msg_rec((uint64_t)i + 1, "t", "p");
        store_msg_put(&b, &m);
        store_retain_set(&b, slice_make(&"abcde"[i], 1), (uint64_t)i + 1);
        args[i] = (struct order_arg){&log, i};
        store_batch_commit(&st, &b, order_done, &args[i]);
    }
    store_close(&st); /* drains: every done has run */
    assert_int_equal(log.n, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(log.seen[i], i);
    assert_int_equal(th_open(&st, dir, &opt), 0);
    assert_int_equal(count_msgs(&st), 5);
    store_close(&st);
    store_batch_fini(&b);
}

static void test_commit_interval_one_group(void **state)
{
    const char *dir = *state;
    struct store st;
    struct store_options opt = {.sync = STORE_SYNC_OFF, .commit_interval_ms = 300};
    assert_int_equal(th_open(&st, dir, &opt), 0);
    struct th_waiter w;
    th_waiter_init(&w);
    struct store_batch b;
    store_batch_init(&b);
    for (int i = 0; i < 5; i++) {
        struct store_msg_rec m = msg_rec((uint64_t)i + 1, "t", "p");
        store_msg_put(&b, &m);
        store_batch_commit(&st, &b, th_done, &w);
    }
    assert_int_equal(th_wait(&w, 5), 0);
    struct store_stats stats;
    store_stats_get(&st, &stats);
    assert_int_equal(stats.batches, 5);
    assert_int_equal(stats.groups, 1);
    th_waiter_fini(&w);
    store_batch_fini(&b);
    store_close(&st);
}

static void test_empty_batch_commits(void **state)
{
    const char *dir = *state;
    struct store st;
    assert_int_equal(th_open(&st, dir, NULL), 0);
    struct store_batch b;
    store_batch_init(&b);
    assert_true(store_batch_empty(&b));
    assert_int_equal(th_commit_wait(&st, &b), 0);
    store_batch_fini(&b);
    store_close(&st);
}

/* Rows pointing at missing rows are removed at open, as are messages
 * nothing refers to. */
static void test_open_repairs_dangling_rows(void **state)
{
    const char *dir = *state;
    struct store st;
    assert_int_equal(th_open(&st, dir, NULL), 0);
    struct store_batch b;
    store_batch_init(&b);
    struct store_session_rec s = session_rec(1, "c");
    s.will_msg = 50; /* missing */
    struct store_msg_rec kept = msg_rec(2, "kept", "k");
    struct store_msg_rec orphan = msg_rec(3, "orphan", "o");
    struct store_entry_rec good = entry_rec(4, 1, 2);
    struct store_entry_rec no_msg = entry_rec(5, 1, 60);
    struct store_entry_rec no_sess = entry_rec(6, 70, 2);
    struct store_entry_rec pubcomp = entry_rec(7, 1, 0);
    pubcomp.state = STORE_ENTRY_WAIT_PUBCOMP;
    struct store_sub_rec sub = {.sess = 80, .filter = SLICE_LIT("t")};
    store_session_put(&b, &s);
    store_msg_put(&b, &kept);
    store_msg_put(&b, &orphan);
    store_entry_put(&b, &good);
    store_entry_put(&b, &no_msg);
    store_entry_put(&b, &no_sess);
    store_entry_put(&b, &pubcomp);
    store_sub_put(&b, &sub);
    store_qos2_put(&b, 90, 1);
    store_retain_set(&b, SLICE_LIT("r"), 99);
    assert_int_equal(th_commit_wait(&st, &b), 0);
    store_close(&st);
    char *d = th_dump_dir(dir);
    assert_string_equal(d, "msg 2 qos=1 retain=0 expiry=0 topic=6b657074 props= payload=6b\n"
                           "session 1 expiry=0 will=0 delay=0 offline=0 next_pid=0 client=63 "
                           "nouser\n"
                           "entry 4 sess=1 msg=2 qos=1 flags=0 state=0 pid=0 id=0\n"
                           "entry 7 sess=1 msg=0 qos=1 flags=0 state=3 pid=0 id=0\n");
    free(d);
    store_batch_fini(&b);
}

/* A process that dies without store_close: everything done reported is
 * there at the next open (the WAL is replayed). */
static void test_crash_without_close(void **state)
{
    const char *dir = *state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct store st;
        struct store_options opt = {.sync = STORE_SYNC_FULL};
        if (th_open(&st, dir, &opt) != 0)
            _exit(2);
        struct store_batch b;
        store_batch_init(&b);
        for (uint64_t i = 1; i <= 50; i++) {
            struct store_msg_rec m = msg_rec(i, "t", "p");
            store_msg_put(&b, &m);
            store_retain_set(&b, SLICE_LIT("t"), i);
            if (th_commit_wait(&st, &b) != 0)
                _exit(3);
        }
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    struct stat sb;
    assert_int_equal(stat(th_path(dir, "petrel.db-wal"), &sb), 0);
    assert_true(sb.st_size > 0);
    /* The operator check reads the crashed store as it is. */
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_int_equal(store_check(dir, out), 0);
    fclose(out);
    assert_non_null(strstr(text, "messages: 50 (retained topics 1, wills 0)"));
    assert_non_null(strstr(text, "49 messages are unreferenced; the next start removes them"));
    free(text);
    /* Only message 50 is retained; 1..49 are unreferenced and removed. */
    char *d = th_dump_dir(dir);
    assert_string_equal(d, "msg 50 qos=1 retain=0 expiry=0 topic=74 props= payload=70\n"
                           "retain msg=50 topic=74\n");
    free(d);
}

static void test_close_checkpoints(void **state)
{
    const char *dir = *state;
    struct store st;
    assert_int_equal(th_open(&st, dir, NULL), 0);
    struct store_batch b;
    store_batch_init(&b);
    struct store_msg_rec m = msg_rec(1, "t", "p");
    store_msg_put(&b, &m);
    store_retain_set(&b, SLICE_LIT("t"), 1);
    assert_int_equal(th_commit_wait(&st, &b), 0);
    store_close(&st);
    struct stat sb;
    /* Truncated by the checkpoint (or removed with the last connection). */
    if (stat(th_path(dir, "petrel.db-wal"), &sb) == 0)
        assert_int_equal(sb.st_size, 0);
    assert_int_equal(stat(th_path(dir, "petrel.db"), &sb), 0);
    assert_true(sb.st_size > 0);
    store_batch_fini(&b);
}

static long long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

/* Deleted rows' pages are reused: the same load, repeated, does not grow
 * the file, and checkpoints keep the WAL bounded. */
static void test_growth_is_bounded(void **state)
{
    const char *dir = *state;
    struct store st;
    assert_int_equal(th_open(&st, dir, NULL), 0);
    struct store_batch b;
    store_batch_init(&b);
    struct store_session_rec s = session_rec(1, "c");
    store_session_put(&b, &s);
    char payload[1000];
    memset(payload, 'p', sizeof payload - 1);
    payload[sizeof payload - 1] = '\0';
    long long after_warmup = 0;
    uint64_t seq = 10;
    for (int round = 0; round < 60; round++) {
        uint64_t first = seq;
        for (int i = 0; i < 300; i++, seq += 2) {
            struct store_msg_rec m = msg_rec(seq, "sensors/temperature", payload);
            struct store_entry_rec e = entry_rec(seq + 1, 1, seq);
            store_msg_put(&b, &m);
            store_entry_put(&b, &e);
        }
        assert_int_equal(th_commit_wait(&st, &b), 0);
        for (uint64_t k = first; k < seq; k += 2) {
            store_entry_del(&b, k + 1);
            store_msg_del(&b, k);
        }
        assert_int_equal(th_commit_wait(&st, &b), 0);
        if (round == 9) { /* close checkpoints: the file then holds every page */
            store_close(&st);
            after_warmup = file_size(th_path(dir, "petrel.db"));
            assert_int_equal(th_open(&st, dir, NULL), 0);
        }
        if (round == 59)
            assert_true(file_size(th_path(dir, "petrel.db-wal")) <= (64 << 20) + (1 << 20));
    }
    store_close(&st);
    long long end = file_size(th_path(dir, "petrel.db"));
    assert_true(after_warmup > 300 * 1000);
    if (end > after_warmup + after_warmup / 5)
        fail_msg("the file grew from %lld to %lld bytes under a steady load", after_warmup, end);
    assert_true(file_size(th_path(dir, "petrel.db-wal")) == 0);
    store_batch_fini(&b);
}

static void test_memory_backend(void **state)
{
    struct store st;
    assert_int_equal(store_open(&st, &store_memory_ops, NULL, NULL, 0), 0);
    assert_false(store_is_durable(&st));
    struct store_batch b;
    store_batch_init(&b);
    struct store_msg_rec m = msg_rec(1, "t", "p");
    store_msg_put(&b, &m);
    struct th_waiter w;
    th_waiter_init(&w);
    store_batch_commit(&st, &b, th_done, &w);
    assert_int_equal(w.calls, 1); /* synchronous */
    assert_int_equal(w.last_status, 0);
    assert_true(store_batch_empty(&b));
    uint64_t max = 7;
    assert_int_equal(store_load(&st, &th_dump_cbs, NULL, &max), 0);
    assert_int_equal(max, 0);
    assert_int_equal(store_next_seq(&st), 1);
    th_waiter_fini(&w);
    store_batch_fini(&b);
    store_close(&st);
}

static int stop_at_second(void *arg, const struct store_msg_rec *m)
{
    return ++*(int *)arg == 2 ? 42 : 0;
}

static void test_load_callback_stops(void **state)
{
    const char *dir = *state;
    struct store st;
    assert_int_equal(th_open(&st, dir, NULL), 0);
    struct store_batch b;
    store_batch_init(&b);
    for (uint64_t i = 1; i <= 3; i++) {
        struct store_msg_rec m = msg_rec(i, "t", "p");
        store_msg_put(&b, &m);
        store_retain_set(&b, slice_make(&"abc"[i - 1], 1), i);
    }
    assert_int_equal(th_commit_wait(&st, &b), 0);
    int n = 0;
    assert_int_equal(store_load(&st, &(struct store_load_cbs){.msg = stop_at_second}, &n, NULL),
                     42);
    assert_int_equal(n, 2);
    store_batch_fini(&b);
    store_close(&st);
}

int main(void)
{
    log_set_mask(0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_op_round_trips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_op_per_batch_same_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sequences_start_above_stored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_del_cancels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_keeps_needed_deletes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_msg_del_before_put_in_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_del_cascades, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_rolls_back_and_recovers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_failure_isolated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_interval_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_interval_one_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_batch_commits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_repairs_dangling_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_without_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_checkpoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_growth_is_bounded, setup, teardown),
        cmocka_unit_test(test_memory_backend),
        cmocka_unit_test_setup_teardown(test_load_callback_stops, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
