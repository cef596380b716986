/*
 * listener.h - listening sockets, one per (listener, loop).
 *
 * Each configured listener is bound once per loop with SO_REUSEPORT, so
 * the kernel spreads new connections over the loops and no loop hands
 * accepted sockets to another. The first socket of a listener binds the
 * requested port (0 = ephemeral, for tests) and the others bind the port
 * it got, so all loops share one port.
 *
 * Accepting is bounded per readiness event (fairness), sets TCP_NODELAY
 * (we coalesce writes ourselves; Nagle only adds latency), and on EMFILE
 * or ENFILE gives up a reserved descriptor, accepts and drops the waiting
 * connection, and takes the descriptor back, so a full descriptor table
 * never makes the loop spin (libuv uv__emfile_trick).
 */
#ifndef PETREL_NET_LISTENER_H
#define PETREL_NET_LISTENER_H

#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

struct listen_sock;

/* Called on the loop thread with an accepted non-blocking socket; the
 * callee owns fd. */
typedef void (*listen_accept_cb)(struct listen_sock *ls, int fd, const struct sockaddr *peer);

struct listen_sock {
    int fd;         /* owned */
    uv_poll_t poll; /* on the loop this socket belongs to */
    int spare_fd;   /* reserved descriptor for the EMFILE trick, -1 if none */
    listen_accept_cb on_accept;
    void *data;     /* owner's context */
    unsigned index; /* which configured listener */
};

/* Creates, binds and listens a socket for address:port with SO_REUSEPORT.
 * *port is updated to the bound port. Returns the fd or a negative errno;
 * err gets a sentence on failure. Main thread, before the loops run. */
int listen_socket_open(const char *address, uint16_t *port, char *err, size_t errlen);

/* Starts accepting on loop. Returns 0 or a negative libuv error. */
int listen_sock_start(struct listen_sock *ls, uv_loop_t *loop, int fd, unsigned index,
                      listen_accept_cb cb, void *data);

/* Stops accepting and closes the socket (on the loop thread). */
void listen_sock_stop(struct listen_sock *ls);

#endif
