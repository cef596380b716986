/*
 * listener.c - listening sockets and accepting (see listener.h).
 */
#include "net/listener.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Connections accepted per readiness event before yielding to other work. */
#define ACCEPT_BUDGET 64

static int bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -1;
}

int listen_socket_open(const char *address, uint16_t *port, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%u", *port);
    int rc = getaddrinfo(address, portstr, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve '%s': %s", address, gai_strerror(rc));
        return -EINVAL;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        rc = -errno;
        snprintf(err, errlen, "socket: %s", strerror(errno));
        freeaddrinfo(res);
        return rc;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (res->ai_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, res->ai_addr, res->ai_addrlen) == -1 || listen(fd, 1024) == -1) {
        rc = -errno;
        snprintf(err, errlen, "cannot listen on %s port %u: %s", address, *port, strerror(errno));
        close(fd);
        freeaddrinfo(res);
        return rc;
    }
    freeaddrinfo(res);
    int p = bound_port(fd);
    if (p > 0)
        *port = (uint16_t)p;
    return fd;
}

static void accept_shed(struct listen_sock *ls)
{
    /* Out of descriptors: free the spare, take one waiting connection and
     * drop it, so the kernel queue drains instead of waking us forever. */
    if (ls->spare_fd < 0)
        return;
    close(ls->spare_fd);
    ls->spare_fd = -1;
    int fd = accept4(ls->fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd >= 0)
        close(fd);
    ls->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void on_listen_ready(uv_poll_t *h, int status, int events)
{
    struct listen_sock *ls = h->data;
    (void)events;
    if (status < 0)
        return;
    for (int i = 0; i < ACCEPT_BUDGET; i++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        int fd = accept4(ls->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd == -1) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE)
                accept_shed(ls);
            return; /* EAGAIN (another loop took it) or an error to retry later */
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ls->on_accept(ls, fd, (struct sockaddr *)&ss);
    }
}

int listen_sock_start(struct listen_sock *ls, uv_loop_t *loop, int fd, unsigned index,
                      listen_accept_cb cb, void *data)
{
    ls->fd = fd;
    ls->index = index;
    ls->on_accept = cb;
    ls->data = data;
    ls->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int rc = uv_poll_init(loop, &ls->poll, fd);
    if (rc != 0)
        return rc;
    ls->poll.data = ls;
    return uv_poll_start(&ls->poll, UV_READABLE, on_listen_ready);
}

static void on_listen_closed(uv_handle_t *h)
{
    struct listen_sock *ls = h->data;
    if (ls->fd >= 0)
        close(ls->fd);
    ls->fd = -1;
    if (ls->spare_fd >= 0)
        close(ls->spare_fd);
    ls->spare_fd = -1;
}

void listen_sock_stop(struct listen_sock *ls)
{
    if (!uv_is_closing((uv_handle_t *)&ls->poll))
        uv_close((uv_handle_t *)&ls->poll, on_listen_closed);
}
