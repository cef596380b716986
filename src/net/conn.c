/*
 * conn.c - connection I/O over a polled socket, and the TCP transport.
 */
#include "net/conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/alloc.h"

static ssize_t tcp_read(struct conn *c, void *buf, size_t n)
{
    for (;;) {
        ssize_t r = read(c->fd, buf, n);
        if (r >= 0)
            return r;
        if (errno == EINTR)
            continue;
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
}

static ssize_t tcp_write(struct conn *c, const void *buf, size_t n)
{
    for (;;) {
        /* MSG_NOSIGNAL: a peer that went away is an error return, not SIGPIPE. */
        ssize_t r = send(c->fd, buf, n, MSG_NOSIGNAL);
        if (r >= 0)
            return r;
        if (errno == EINTR)
            continue;
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
}

const struct conn_ops conn_tcp_ops = {
    .name = "tcp",
    .read = tcp_read,
    .write = tcp_write,
};

void conn_init(struct conn *c, int fd, const struct conn_ops *ops, conn_event_cb cb, void *owner)
{
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->ops = ops;
    c->on_event = cb;
    c->owner = owner;
    c->want = CONN_EV_READ;
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct conn *c = h->data;
    int ev = 0;
    if (status < 0)
        ev |= CONN_EV_ERROR;
    if (events & UV_READABLE)
        ev |= CONN_EV_READ;
    if (events & UV_WRITABLE)
        ev |= CONN_EV_WRITE;
    if (events & UV_DISCONNECT)
        ev |= CONN_EV_READ; /* the read sees end of stream */
    c->on_event(c, ev);
}

static int uv_events(int want)
{
    int ev = 0;
    if (want & CONN_EV_READ)
        ev |= UV_READABLE;
    if (want & CONN_EV_WRITE)
        ev |= UV_WRITABLE;
    return ev;
}

int conn_attach(struct conn *c, uv_loop_t *loop)
{
    c->poll = xmalloc(sizeof *c->poll);
    int rc = uv_poll_init(loop, c->poll, c->fd);
    if (rc != 0) {
        xfree(c->poll);
        return rc;
    }
    c->poll->data = c;
    if (c->want)
        uv_poll_start(c->poll, uv_events(c->want), on_poll);
    return 0;
}

static void free_poll(uv_handle_t *h)
{
    free(h);
}

void conn_detach(struct conn *c)
{
    if (c->poll == NULL)
        return;
    /* uv_close stops the watcher and drops the fd from epoll now; the
     * handle memory goes in the close callback, independent of c. */
    c->poll->data = NULL;
    uv_close((uv_handle_t *)c->poll, free_poll);
    c->poll = NULL;
}

void conn_want(struct conn *c, int events)
{
    if (c->want == events)
        return;
    c->want = events;
    if (c->poll == NULL)
        return;
    if (events)
        uv_poll_start(c->poll, uv_events(events), on_poll);
    else
        uv_poll_stop(c->poll);
}

ssize_t conn_read(struct conn *c, size_t max)
{
    uint8_t *p = buf_reserve(&c->in, max);
    ssize_t r = c->ops->read(c, p, max);
    if (r > 0)
        buf_commit(&c->in, (size_t)r);
    return r;
}

int conn_flush(struct conn *c)
{
    while (buf_used(&c->out) > 0) {
        ssize_t w = c->ops->write(c, buf_head(&c->out), buf_used(&c->out));
        if (w == -EAGAIN)
            return 1;
        if (w < 0)
            return (int)w;
        buf_consume(&c->out, (size_t)w);
    }
    return 0;
}

void conn_close(struct conn *c)
{
    conn_detach(c);
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    buf_fini(&c->in);
    buf_fini(&c->out);
}

void conn_format_addr(const struct sockaddr *sa, char *out, size_t cap)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
        snprintf(out, cap, "%s:%u", host, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        port = ntohs(in6->sin6_port);
        snprintf(out, cap, "[%s]:%u", host, port);
    } else {
        snprintf(out, cap, "unknown");
    }
}
