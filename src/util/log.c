/*
 * log.c - the process log sink (see log.h).
 */
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The log sink: allowed global (STYLE.md section 3). Written rarely (start,
 * reload), read by every thread, hence atomics. */
static _Atomic int log_fd = -1;
static _Atomic unsigned log_mask = LOG_MASK_DEFAULT;

static const char *const level_names[LOG_LVL_COUNT] = {
    [LOG_LVL_ERROR] = "error",
    [LOG_LVL_WARNING] = "warning",
    [LOG_LVL_NOTICE] = "notice",
    [LOG_LVL_INFO] = "info",
    [LOG_LVL_DEBUG] = "debug",
};

void log_set_mask(unsigned mask)
{
    atomic_store(&log_mask, mask);
}

unsigned log_get_mask(void)
{
    return atomic_load(&log_mask);
}

void log_set_fd(int fd)
{
    int old = atomic_exchange(&log_fd, fd);
    if (old >= 0 && old != fd)
        close(old);
}

int log_open_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd == -1)
        return -errno;
    log_set_fd(fd);
    return 0;
}

bool log_enabled(enum log_level lvl)
{
    return (atomic_load_explicit(&log_mask, memory_order_relaxed) >> lvl) & 1u;
}

void log_write(enum log_level lvl, const char *fmt, ...)
{
    if (!log_enabled(lvl))
        return;
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
    n += (size_t)snprintf(line + n, sizeof line - n, ".%03ldZ %s: ", ts.tv_nsec / 1000000,
                          level_names[lvl]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    n += (size_t)m;
    if (n > sizeof line - 2)
        n = sizeof line - 2;
    line[n++] = '\n';
    int fd = atomic_load(&log_fd);
    if (fd < 0)
        fd = STDERR_FILENO;
    /* One write per line; a short write or EINTR loses the rest of the
     * line, which is acceptable for a log and never blocks the loop long. */
    ssize_t w;
    do {
        w = write(fd, line, n);
    } while (w == -1 && errno == EINTR);
}

const char *log_printable(struct slice s, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (cap == 0)
        return out;
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.ptr[i];
        size_t need = (c >= 0x20 && c < 0x7f && c != '\\') ? 1 : 4;
        if (o + need + 4 > cap) {
            if (o + 4 <= cap) {
                memcpy(out + o, "...", 3);
                o += 3;
            }
            break;
        }
        if (need == 1) {
            out[o++] = (char)c;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return out;
}

int log_type_parse(const char *word, unsigned *mask)
{
    static const struct {
        const char *name;
        unsigned mask;
    } words[] = {
        {"error", 1u << LOG_LVL_ERROR},     {"warning", 1u << LOG_LVL_WARNING},
        {"notice", 1u << LOG_LVL_NOTICE},   {"information", 1u << LOG_LVL_INFO},
        {"info", 1u << LOG_LVL_INFO},       {"debug", 1u << LOG_LVL_DEBUG},
        {"all", LOG_MASK_ALL},              {"none", 0},
        /* mosquitto's other types map onto ours. */
        {"subscribe", 1u << LOG_LVL_DEBUG}, {"unsubscribe", 1u << LOG_LVL_DEBUG},
        {"websockets", 1u << LOG_LVL_DEBUG},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (strcmp(word, words[i].name) == 0) {
            *mask = words[i].mask;
            return 0;
        }
    }
    return -1;
}
