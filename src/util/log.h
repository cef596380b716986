/*
 * log.h - the process log sink.
 *
 * The log sink is one of the three globals STYLE.md allows: a file
 * descriptor (stderr by default, or a file from `log_dest file PATH`) and a
 * level mask (`log_type`). Each line is formatted into a local buffer and
 * written with one write(2), so lines from different loop threads never
 * interleave. Format: "2026-11-27T22:50:01.123Z notice: message".
 *
 * Client data in a log line goes through log_printable(), which escapes
 * control bytes and truncates, so a hostile client id cannot forge lines.
 */
#ifndef PETREL_UTIL_LOG_H
#define PETREL_UTIL_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "util/slice.h"

enum log_level {
    LOG_LVL_ERROR = 0,
    LOG_LVL_WARNING,
    LOG_LVL_NOTICE,
    LOG_LVL_INFO,
    LOG_LVL_DEBUG,
    LOG_LVL_COUNT
};

#define LOG_MASK_DEFAULT                                                                           \
    ((1u << LOG_LVL_ERROR) | (1u << LOG_LVL_WARNING) | (1u << LOG_LVL_NOTICE) |                     \
     (1u << LOG_LVL_INFO))
#define LOG_MASK_ALL ((1u << LOG_LVL_COUNT) - 1)

/* Sets which levels are written (bit per enum log_level). Any thread. */
void log_set_mask(unsigned mask);
unsigned log_get_mask(void);
/* Redirects the log to an already open fd (taken over; closed on the next redirect). -1 = stderr. */
void log_set_fd(int fd);
/* Opens path for appending and redirects the log there. Returns 0 or -errno. */
int log_open_file(const char *path);

bool log_enabled(enum log_level lvl);
void log_write(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_write(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_write(LOG_LVL_WARNING, __VA_ARGS__)
#define log_notice(...) log_write(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...)                                                                              \
    do {                                                                                           \
        if (log_enabled(LOG_LVL_INFO))                                                             \
            log_write(LOG_LVL_INFO, __VA_ARGS__);                                                  \
    } while (0)
#define log_debug(...)                                                                             \
    do {                                                                                           \
        if (log_enabled(LOG_LVL_DEBUG))                                                            \
            log_write(LOG_LVL_DEBUG, __VA_ARGS__);                                                 \
    } while (0)

/* Writes s into out (cap bytes, NUL-terminated) with control and non-ASCII
 * bytes escaped as \xNN, truncated with "..." past cap. Returns out. */
const char *log_printable(struct slice s, char *out, size_t cap);

/* Parses a mosquitto log_type word (error, warning, notice, information,
 * debug, all, none) into a mask; returns 0 and sets *mask, or -1. */
int log_type_parse(const char *word, unsigned *mask);

#endif
