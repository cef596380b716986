/*
 * worker.h - starting, running and stopping the worker threads.
 */
#ifndef PETREL_BROKER_WORKER_H
#define PETREL_BROKER_WORKER_H

#include "broker/server.h"

/* Prepares worker id of srv on the calling (main) thread: loop, timers,
 * one accepting socket per listener (listen_fds[i] is the socket for
 * listener i, taken over). Returns 0 or a negative error. */
int worker_init(struct worker *w, struct server *srv, unsigned id, const int *listen_fds,
                struct auth *auth);

/* Starts the worker's thread. */
int worker_start(struct worker *w);

/* Any thread: asks the worker to close its clients and stop. */
void worker_request_shutdown(struct worker *w);

/* Any thread: hands the worker a new users/ACL object (one reference is
 * taken here for the worker). */
void worker_swap_auth(struct worker *w, struct auth *auth);

/* Main thread: waits for the worker's thread to end. */
void worker_join(struct worker *w);

/* Main thread, after every worker has been joined: frees sessions and
 * anything still in the inbox. */
void worker_fini(struct worker *w);

#endif
