/*
 * app.h - the petrel program: running a broker from a loaded config.
 *
 * src/main.c parses the command line and calls these; they live in a
 * library so tests link them too.
 */
#ifndef PETREL_APP_APP_H
#define PETREL_APP_APP_H

#include <stdbool.h>

#include "cfg/config.h"

/* The CPUs in this process's affinity mask (at least 1): the default
 * number of worker threads, so a broker pinned to one core runs one loop. */
unsigned app_default_threads(void);

/* Fills cfg for running without a config file: 127.0.0.1:1883 and
 * 127.0.0.1:61613, anonymous access. */
void app_builtin_config(struct config *cfg);

/* Runs the broker until SIGINT/SIGTERM. cfg must stay valid until it
 * returns. builtin says cfg came from app_builtin_config (for messages).
 * Returns the process exit status: 0 after a clean stop, 1 when it could
 * not start (the reason is logged). Main thread. */
int app_run(const struct config *cfg, bool builtin);

#endif
