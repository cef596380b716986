/*
 * common_net.c - the TCP connection of the command-line tools, and their
 * signal handling.
 *
 * Connecting is non-blocking with a deadline, so an unreachable host ends
 * in a clear "cannot connect" (exit 2) instead of the kernel's minutes-long
 * SYN retries. Every address getaddrinfo() gives is tried in order (IPv6
 * and IPv4 alike), as a host name may resolve to both.
 *
 * Signals: SIGINT and SIGTERM are blocked except while the client waits in
 * ppoll(), which unblocks them atomically, so a stop request can only land
 * during a wait and always ends it (EINTR); the handler only sets a flag.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/common.h"
#include "util/clock.h"

/* The one global of the tools: set by the signal handler (STYLE.md 3). */
static volatile sig_atomic_t stop_flag;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

void cli_signals_install(sigset_t *wait_mask)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: the wait must return so the loop sees the flag. */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, wait_mask);
    sigdelset(wait_mask, SIGINT);
    sigdelset(wait_mask, SIGTERM);
}

bool cli_stop_requested(void)
{
    return stop_flag != 0;
}

void cli_errorf(const char *prog, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Waits for a non-blocking connect to finish; returns 0 or an errno. */
static int connect_wait(int fd, uint64_t deadline_ms)
{
    for (;;) {
        uint64_t now = clock_mono_ms();
        if (now >= deadline_ms)
            return ETIMEDOUT;
        struct pollfd p = {fd, POLLOUT, 0};
        int n = poll(&p, 1, (int)(deadline_ms - now > 1000000 ? 1000000 : deadline_ms - now));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        if (n == 0)
            continue;
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            return errno;
        return err;
    }
}

/* One address: returns a connected socket, or -1 with *err set. */
static int try_address(const struct addrinfo *ai, uint64_t deadline_ms, int *err)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
        *err = errno;
        return -1;
    }
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ? 0 : errno;
    if (rc == EINPROGRESS)
        rc = connect_wait(fd, deadline_ms);
    if (rc) {
        *err = rc;
        close(fd);
        return -1;
    }
    /* Small packets, sent at once: acknowledgements must not wait for Nagle. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

int cli_net_connect(const char *prog, const char *host, uint16_t port, uint64_t deadline_ms)
{
    char name[256];
    size_t len = strlen(host);
    /* "[::1]" as in URLs: the brackets are not part of the address. */
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']' && len - 2 < sizeof name) {
        memcpy(name, host + 1, len - 2);
        name[len - 2] = '\0';
    } else {
        snprintf(name, sizeof name, "%s", host);
    }
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(name, service, &hints, &res);
    if (gai) {
        cli_errorf(prog, "cannot resolve '%s': %s", name, gai_strerror(gai));
        return -1;
    }
    int fd = -1, err = 0;
    for (const struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next)
        fd = try_address(ai, deadline_ms, &err);
    freeaddrinfo(res);
    if (fd < 0)
        cli_errorf(prog, "cannot connect to %s port %u: %s", name, port, strerror(err));
    return fd;
}
