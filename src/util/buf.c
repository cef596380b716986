/*
 * buf.c - growable byte buffer (see buf.h).
 */
#include "util/buf.h"

#include <string.h>

#include "util/alloc.h"

uint8_t *buf_reserve(struct buf *b, size_t n)
{
    if (b->cap - b->len >= n)
        return b->data + b->len;
    /* Reclaim the consumed front first when that alone makes room and the
     * move is small relative to what it saves. */
    if (b->off > 0 && b->cap - (b->len - b->off) >= n) {
        buf_compact(b);
        if (b->cap - b->len >= n)
            return b->data + b->len;
    }
    size_t need = b->len + n;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
    return b->data + b->len;
}

void buf_append(struct buf *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    memcpy(buf_reserve(b, n), p, n);
    b->len += n;
}

void buf_consume(struct buf *b, size_t n)
{
    b->off += n;
    if (b->off >= b->len)
        b->off = b->len = 0;
}

void buf_compact(struct buf *b)
{
    if (b->off == 0)
        return;
    size_t used = b->len - b->off;
    if (used)
        memmove(b->data, b->data + b->off, used);
    b->off = 0;
    b->len = used;
}

void buf_release_if_empty(struct buf *b)
{
    if (b->len == b->off) {
        xfree(b->data);
        b->off = b->len = b->cap = 0;
    }
}

void buf_fini(struct buf *b)
{
    xfree(b->data);
    b->off = b->len = b->cap = 0;
}
