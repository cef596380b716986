/*
 * conn.h - a connection: a socket, its poll handle, its input and output
 * buffers, and the transport that moves bytes (TCP now; TLS and WebSocket
 * later, behind the same ops table so broker/ never knows which).
 *
 * We drive the socket ourselves (uv_poll + read/write) instead of
 * uv_tcp_t: reads are batched into one buffer per connection, writes are
 * coalesced into one write per loop pass, and a connection can move to
 * another loop (conn_detach on one thread, conn_attach on the other)
 * without re-creating the socket.
 *
 * Ownership: the embedding object owns the conn. The poll handle is
 * allocated per attach and freed in its close callback, so a detached conn
 * may be attached elsewhere at once. Thread: the loop it is attached to.
 */
#ifndef PETREL_NET_CONN_H
#define PETREL_NET_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

#include "util/buf.h"

struct conn;

/* Transport operations. read/write return bytes moved, or -EAGAIN, or
 * another negative errno; read returns 0 at end of stream. */
struct conn_ops {
    const char *name;
    ssize_t (*read)(struct conn *c, void *buf, size_t n);
    ssize_t (*write)(struct conn *c, const void *buf, size_t n);
};

extern const struct conn_ops conn_tcp_ops;

enum {
    CONN_EV_READ = 1,
    CONN_EV_WRITE = 2,
    CONN_EV_ERROR = 4,
};

typedef void (*conn_event_cb)(struct conn *c, int events);

struct conn {
    int fd;                     /* owned; -1 once closed */
    const struct conn_ops *ops; /* transport */
    uv_poll_t *poll;            /* owned while attached, else NULL */
    int want;                   /* CONN_EV_READ | CONN_EV_WRITE being polled */
    conn_event_cb on_event;     /* called on the attached loop */
    void *owner;                /* the embedding object */
    struct buf in;              /* bytes read, not yet consumed by the owner */
    struct buf out;             /* bytes to write */
    char peer[64];              /* "address:port" for logs */
};

/* Initialises c around an accepted, non-blocking socket fd. */
void conn_init(struct conn *c, int fd, const struct conn_ops *ops, conn_event_cb cb, void *owner);

/* Starts polling on loop with the events in c->want. Returns 0 or a
 * negative libuv error. */
int conn_attach(struct conn *c, uv_loop_t *loop);

/* Stops polling; the socket stays open. Safe when not attached. */
void conn_detach(struct conn *c);

/* Sets the polled events (CONN_EV_READ | CONN_EV_WRITE). */
void conn_want(struct conn *c, int events);

/* Reads at most max bytes into c->in. Returns bytes read, 0 at end of
 * stream, -EAGAIN when nothing is there, or another negative errno. */
ssize_t conn_read(struct conn *c, size_t max);

/* Writes as much of c->out as the socket takes. Returns 0 when c->out is
 * empty afterwards, 1 when bytes remain (the caller polls for WRITE), or a
 * negative errno. */
int conn_flush(struct conn *c);

/* Detaches, closes the socket and frees the buffers. Idempotent. */
void conn_close(struct conn *c);

/* Formats a socket address as "a.b.c.d:port" or "[v6]:port". */
void conn_format_addr(const struct sockaddr *sa, char *out, size_t cap);

#endif
