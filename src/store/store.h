/*
 * store.h - durable broker state behind an ops table.
 *
 * The broker talks to storage only through struct store_ops, so the
 * backend can be swapped or stubbed: the memory backend (persistence
 * false: nothing outlives the process) and, in a later change, SQLite.
 * The contract the SQLite backend will keep: an acknowledgement that
 * confirms state (PUBACK/PUBREC to a publisher, SUBACK of a persistent
 * session) is released only from the commit callback, after that state is
 * on disk; the memory backend "commits" at once.
 */
#ifndef PETREL_STORE_STORE_H
#define PETREL_STORE_STORE_H

#include <stdbool.h>

struct store;

/* Called on the loop thread that asked, once everything written before
 * the request is committed. */
typedef void (*store_commit_cb)(void *arg);

struct store_ops {
    const char *name;
    /* Opens the store at location (backend-specific; may be NULL). Returns
     * 0 or a negative errno. */
    int (*open)(struct store *st, const char *location);
    void (*close)(struct store *st);
    /* Runs cb(arg) once what was stored so far is durable. */
    void (*commit)(struct store *st, store_commit_cb cb, void *arg);
};

struct store {
    const struct store_ops *ops;
    void *impl; /* backend state */
};

extern const struct store_ops store_memory_ops;

/* Opens a store with the given backend. Returns 0 or a negative errno. */
int store_open(struct store *st, const struct store_ops *ops, const char *location);
void store_close(struct store *st);

static inline void store_commit(struct store *st, store_commit_cb cb, void *arg)
{
    st->ops->commit(st, cb, arg);
}

#endif
