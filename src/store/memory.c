/*
 * memory.c - the memory store: state lives only in the broker's own
 * structures, so there is nothing to write and every commit is immediate.
 * Used with `persistence false`.
 */
#include "store/store.h"

#include <stddef.h>

static int mem_open(struct store *st, const char *location)
{
    (void)location;
    st->impl = NULL;
    return 0;
}

static void mem_close(struct store *st)
{
    st->impl = NULL;
}

static void mem_commit(struct store *st, store_commit_cb cb, void *arg)
{
    (void)st;
    cb(arg);
}

const struct store_ops store_memory_ops = {
    .name = "memory",
    .open = mem_open,
    .close = mem_close,
    .commit = mem_commit,
};

int store_open(struct store *st, const struct store_ops *ops, const char *location)
{
    st->ops = ops;
    return ops->open(st, location);
}

void store_close(struct store *st)
{
    if (st->ops)
        st->ops->close(st);
    st->ops = NULL;
}
