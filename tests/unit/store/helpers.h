/*
 * helpers.h - shared by the store unit tests: scratch directories,
 * committing a batch and waiting for its done callback (bounded), and a
 * text dump of everything store_load() reports, so two stores can be
 * compared with one string comparison.
 */
#ifndef PETREL_TESTS_STORE_HELPERS_H
#define PETREL_TESTS_STORE_HELPERS_H

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

/* A fresh directory under $TMPDIR (or /tmp); th_rmtree() removes it. */
static inline char *th_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/petrel-store-XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(path) ? strdup(path) : NULL;
}

static inline int th_unlink_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void th_rmtree(const char *dir)
{
    if (dir)
        nftw(dir, th_unlink_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Joins dir and name into a static buffer (one of four, rotating). */
static inline const char *th_path(const char *dir, const char *name)
{
    static char bufs[4][PATH_MAX];
    static int next;
    char *b = bufs[next++ & 3];
    snprintf(b, PATH_MAX, "%s/%s", dir, name);
    return b;
}

/* Waits for done callbacks; one per test or thread. */
struct th_waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int calls;
    int last_status;
    int failures;
};

static inline void th_waiter_init(struct th_waiter *w)
{
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->calls = w->failures = w->last_status = 0;
}

static inline void th_waiter_fini(struct th_waiter *w)
{
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
}

static inline void th_done(void *arg, int status)
{
    struct th_waiter *w = arg;
    pthread_mutex_lock(&w->mu);
    w->calls++;
    w->last_status = status;
    if (status != 0)
        w->failures++;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* Waits until w has seen `calls` callbacks, at most 20 s. Returns 0 or -1. */
static inline int th_wait(struct th_waiter *w, int calls)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 20;
    pthread_mutex_lock(&w->mu);
    int rc = 0;
    while (w->calls < calls && rc == 0)
        rc = pthread_cond_timedwait(&w->cv, &w->mu, &until);
    int ok = w->calls >= calls ? 0 : -1;
    pthread_mutex_unlock(&w->mu);
    return ok;
}

/* Commits b and waits for its done; returns the status (or -ETIMEDOUT). */
static inline int th_commit_wait(struct store *st, struct store_batch *b)
{
    struct th_waiter w;
    th_waiter_init(&w);
    store_batch_commit(st, b, th_done, &w);
    int rc = th_wait(&w, 1) == 0 ? w.last_status : -ETIMEDOUT;
    th_waiter_fini(&w);
    return rc;
}

static inline int th_open(struct store *st, const char *dir, const struct store_options *base)
{
    struct store_options opt = {.sync = STORE_SYNC_OFF};
    if (base)
        opt = *base;
    opt.dir = dir;
    char err[512] = "";
    int rc = store_open(st, &store_sqlite_ops, &opt, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "store_open(%s): %d %s\n", dir, rc, err);
    return rc;
}

static inline void th_hex(FILE *f, const char *name, struct slice s)
{
    fprintf(f, " %s=", name);
    for (size_t i = 0; i < s.len; i++)
        fprintf(f, "%02x", s.ptr[i]);
}

static inline int th_dump_msg(void *arg, const struct store_msg_rec *m)
{
    FILE *f = arg;
    fprintf(f, "msg %llu qos=%u retain=%d expiry=%llu", (unsigned long long)m->seq, m->qos,
            m->retain, (unsigned long long)m->expiry_ms);
    th_hex(f, "topic", m->topic);
    th_hex(f, "props", m->props);
    th_hex(f, "payload", m->payload);
    fputc('\n', f);
    return 0;
}

static inline int th_dump_session(void *arg, const struct store_session_rec *s)
{
    FILE *f = arg;
    fprintf(f, "session %llu expiry=%u will=%llu delay=%u offline=%llu next_pid=%u",
            (unsigned long long)s->seq, s->expiry_interval, (unsigned long long)s->will_msg,
            s->will_delay, (unsigned long long)s->offline_at_ms, s->next_pid);
    th_hex(f, "client", s->client_id);
    if (s->has_username)
        th_hex(f, "user", s->username);
    else
        fprintf(f, " nouser");
    fputc('\n', f);
    return 0;
}

static inline int th_dump_sub(void *arg, const struct store_sub_rec *s)
{
    FILE *f = arg;
    fprintf(f, "sub sess=%llu opts=%u id=%u", (unsigned long long)s->sess, s->opts, s->sub_id);
    th_hex(f, "filter", s->filter);
    fputc('\n', f);
    return 0;
}

static inline int th_dump_entry(void *arg, const struct store_entry_rec *e)
{
    FILE *f = arg;
    fprintf(f, "entry %llu sess=%llu msg=%llu qos=%u flags=%u state=%u pid=%u id=%u\n",
            (unsigned long long)e->seq, (unsigned long long)e->sess, (unsigned long long)e->msg,
            e->qos, e->flags, e->state, e->pid, e->sub_id);
    return 0;
}

static inline int th_dump_qos2(void *arg, uint64_t sess, uint16_t pid)
{
    fprintf(arg, "qos2 sess=%llu pid=%u\n", (unsigned long long)sess, pid);
    return 0;
}

static inline int th_dump_retain(void *arg, struct slice topic, uint64_t msg)
{
    FILE *f = arg;
    fprintf(f, "retain msg=%llu", (unsigned long long)msg);
    th_hex(f, "topic", topic);
    fputc('\n', f);
    return 0;
}

static const struct store_load_cbs th_dump_cbs = {
    .msg = th_dump_msg,
    .session = th_dump_session,
    .sub = th_dump_sub,
    .entry = th_dump_entry,
    .qos2 = th_dump_qos2,
    .retain = th_dump_retain,
};

/* Everything st loads, as text (caller frees); NULL when the load fails. */
static inline char *th_dump(struct store *st)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return NULL;
    int rc = store_load(st, &th_dump_cbs, f, NULL);
    fclose(f);
    if (rc != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* Opens dir, dumps it and closes it again. */
static inline char *th_dump_dir(const char *dir)
{
    struct store st;
    if (th_open(&st, dir, NULL) != 0)
        return NULL;
    char *text = th_dump(&st);
    store_close(&st);
    return text;
}

#endif
