/*
 * buf.h - a growable byte buffer with a read offset.
 *
 * Used for per-connection input and output: bytes are appended at the end
 * and consumed from the front; consumed space is reclaimed by compaction
 * when it pays (buf_compact), never per byte. The buffer owns its memory.
 * buf_release() frees it when idle so an idle connection costs no buffer
 * memory (issue "Performance": small per-connection state).
 */
#ifndef PETREL_UTIL_BUF_H
#define PETREL_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
    uint8_t *data; /* owned; NULL until first use */
    size_t off;    /* start of unconsumed bytes */
    size_t len;    /* end of valid bytes (off <= len <= cap) */
    size_t cap;
};

#define BUF_INIT {NULL, 0, 0, 0}

/* Unconsumed bytes. */
static inline size_t buf_used(const struct buf *b)
{
    return b->len - b->off;
}

static inline uint8_t *buf_head(const struct buf *b)
{
    return b->data + b->off;
}

/* Makes room for at least n more bytes after len; returns the write pointer. */
uint8_t *buf_reserve(struct buf *b, size_t n);
/* Appends n bytes (n may be 0; p may be NULL then). */
void buf_append(struct buf *b, const void *p, size_t n);
/* Marks n bytes after len as written (after buf_reserve). */
static inline void buf_commit(struct buf *b, size_t n)
{
    b->len += n;
}
/* Consumes n bytes from the front; resets offsets when empty. */
void buf_consume(struct buf *b, size_t n);
/* Moves unconsumed bytes to the front. */
void buf_compact(struct buf *b);
/* Frees the memory when nothing is buffered (idle connection). */
void buf_release_if_empty(struct buf *b);
/* Frees the memory and resets the buffer. */
void buf_fini(struct buf *b);

#endif
