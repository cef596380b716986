/*
 * text.c - reading the auth files: whole-file reads, line iteration and
 * "file:line: why" messages, shared by the user, group and ACL parsers.
 */
#include "auth/auth_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"

void auth_text_init(struct auth_text *t, const char *name, const uint8_t *p, size_t len)
{
    t->name = name;
    t->p = p;
    t->len = len;
    t->off = 0;
    t->line = 0;
}

bool auth_text_next(struct auth_text *t, struct slice *line)
{
    if (t->off >= t->len)
        return false;
    const uint8_t *start = t->p + t->off;
    size_t rest = t->len - t->off;
    const uint8_t *nl = memchr(start, '\n', rest);
    size_t n = nl ? (size_t)(nl - start) : rest;
    t->off += nl ? n + 1 : n;
    t->line++;
    /* Files edited on Windows end lines with "\r\n". */
    if (n > 0 && start[n - 1] == '\r')
        n--;
    *line = slice_make(start, n);
    return true;
}

struct slice auth_slice_trim(struct slice s)
{
    while (s.len > 0 && (s.ptr[0] == ' ' || s.ptr[0] == '\t')) {
        s.ptr++;
        s.len--;
    }
    while (s.len > 0 && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t'))
        s.len--;
    if (s.len == 0)
        s.ptr = NULL;
    return s;
}

int auth_name_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen;
}

void auth_errf(char *err, size_t errlen, const char *name, unsigned line, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    int n =
        line ? snprintf(err, errlen, "%s:%u: ", name, line) : snprintf(err, errlen, "%s: ", name);
    if (n < 0 || (size_t)n >= errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* Reads fd to the end into a buffer of at most AUTH_FILE_MAX bytes. */
static int read_all(int fd, char **data, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = xmalloc(cap + 1);
    for (;;) {
        if (n == cap) {
            if (cap >= AUTH_FILE_MAX) {
                free(buf);
                return -EFBIG;
            }
            cap *= 2;
            buf = xrealloc(buf, cap + 1);
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r == -1 && errno == EINTR)
            continue;
        if (r == -1) {
            int e = errno;
            free(buf);
            return -e;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

int auth_file_read(const char *path, char **data, size_t *len, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        auth_errf(err, errlen, path, 0, "%s", strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        auth_errf(err, errlen, path, 0, "is a directory");
        return -1;
    }
    int rc = read_all(fd, data, len);
    close(fd);
    if (rc == -EFBIG) {
        auth_errf(err, errlen, path, 0, "larger than %u MiB", AUTH_FILE_MAX >> 20);
        return -1;
    }
    if (rc < 0) {
        auth_errf(err, errlen, path, 0, "%s", strerror(-rc));
        return -1;
    }
    return 0;
}
