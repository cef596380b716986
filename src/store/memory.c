/*
 * memory.c - the memory store (`persistence false`): state lives only in
 * the broker's own structures, so nothing is written, nothing is loaded
 * and every commit is immediate. The broker normally skips batching when
 * store_is_durable() is false; a batch committed anyway is discarded.
 */
#include "store/store.h"

static int mem_open(struct store *st, const struct store_options *opt, char *err, size_t errlen)
{
    (void)opt;
    (void)err;
    (void)errlen;
    st->impl = NULL;
    return 0;
}

static int mem_load(struct store *st, const struct store_load_cbs *cbs, void *arg)
{
    (void)st;
    (void)cbs;
    (void)arg;
    return 0;
}

static void mem_commit(struct store *st, struct store_batch *b, store_done_fn done, void *arg)
{
    (void)st;
    b->log.off = b->log.len = 0;
    b->nops = 0;
    if (done)
        done(arg, 0);
}

static void mem_close(struct store *st)
{
    st->impl = NULL;
}

const struct store_ops store_memory_ops = {
    .name = "memory",
    .durable = false,
    .open = mem_open,
    .load = mem_load,
    .commit = mem_commit,
    .close = mem_close,
};
