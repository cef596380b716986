/*
 * store.c - the backend-independent entry points of store.h: they check
 * the call against the store's state and dispatch through the ops table.
 */
#include "store/store.h"

#include <errno.h>
#include <stdio.h>

int store_open(struct store *st, const struct store_ops *ops, const struct store_options *opt,
               char *err, size_t errlen)
{
    static const struct store_options defaults = {.sync = STORE_SYNC_FULL};
    st->ops = ops;
    st->impl = NULL;
    atomic_init(&st->next_seq, 1);
    st->max_seq = 0;
    int rc = ops->open(st, opt ? opt : &defaults, err, errlen);
    if (rc != 0)
        st->ops = NULL;
    return rc;
}

int store_load(struct store *st, const struct store_load_cbs *cbs, void *arg, uint64_t *max_seq)
{
    int rc = st->ops ? st->ops->load(st, cbs, arg) : -EBADF;
    if (max_seq)
        *max_seq = st->max_seq;
    return rc;
}

void store_batch_commit(struct store *st, struct store_batch *b, store_done_fn done, void *arg)
{
    st->ops->commit(st, b, done, arg);
}

void store_stats_get(const struct store *st, struct store_stats *out)
{
    *out = (struct store_stats){0};
    if (st->ops && st->ops->stats)
        st->ops->stats(st, out);
}

void store_close(struct store *st)
{
    if (st->ops)
        st->ops->close(st);
    st->ops = NULL;
    st->impl = NULL;
}
