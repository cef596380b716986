/*
 * parse.c - the configuration file lexer and the generic loop over the
 * option table (see config.h for the format and options.c for the keys).
 *
 * A file is read whole (at most CFG_FILE_MAX bytes) and cut into lines;
 * each line is trimmed, `#` lines and blank lines are skipped, and the rest
 * split into a key (first word) and a value (the trimmed rest of the line).
 * The key selects a row of the table and the row's type reads the value;
 * nothing here knows any option by name.
 *
 * A failure anywhere resets the struct to the defaults, so a caller never
 * sees half a file: reload builds a fresh struct config and swaps it in
 * only when config_load() returned 0 (STYLE.md section 9).
 *
 * Not done here: resolving relative paths (config_resolve_path(), at use)
 * and opening anything the file names.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "cfg/config.h"
#include "cfg/options.h"
#include "util/alloc.h"
#include "util/log.h"

#define CFG_LINE_MAX 65536       /* bytes in one line, without its newline */
#define CFG_FILE_MAX (16u << 20) /* a config file is small; this stops /dev/zero */
#define WHITESPACE " \t\r\f\v"

struct parser {
    const char *name;          /* the file, as given, for messages */
    struct cfg_parse_state ps; /* the config being filled */
    unsigned *seen;            /* per table row: the line that last set it, 0 = not yet */
    char *line;                /* scratch copy of the current line, up to CFG_LINE_MAX + 1 bytes */
    char *err;
    size_t errlen;
};

static int fail(struct parser *p, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct parser *p, unsigned line, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (p->errlen > 0)
        snprintf(p->err, p->errlen, "%s:%u: %s", p->name, line, why);
    return -1;
}

static char *trim(char *s)
{
    s += strspn(s, WHITESPACE);
    size_t n = strlen(s);
    while (n > 0 && strchr(WHITESPACE, s[n - 1]))
        s[--n] = '\0';
    return s;
}

static int unknown_key(struct parser *p, unsigned line, const char *key)
{
    char shown[80];
    log_printable(slice_cstr(key), shown, sizeof shown);
    const char *near = cfg_option_suggest(key);
    if (near)
        return fail(p, line, "unknown option '%s'; did you mean '%s'?", shown, near);
    return fail(p, line, "unknown option '%s'", shown);
}

/* mosquitto: a key given twice means the later one; say so, with both
 * lines, since it is usually an edit that forgot the first. */
static void note_repeat(struct parser *p, unsigned line, const struct cfg_option *opt)
{
    size_t i = (size_t)(opt - cfg_options);
    if (!(opt->flags & CFG_F_REPEAT) && p->seen[i] != 0)
        log_warn("%s:%u: %s was already set on line %u; the value on line %u is used", p->name,
                 line, opt->name, p->seen[i], line);
    p->seen[i] = line;
    if (opt->type == CFG_LISTENER) {
        /* A new listener starts its own block of listener-scoped keys. */
        for (size_t j = 0; j < cfg_option_count; j++) {
            if (cfg_options[j].flags & CFG_F_LISTENER)
                p->seen[j] = 0;
        }
    }
}

static int parse_line(struct parser *p, unsigned line, char *text)
{
    char *key = trim(text);
    if (*key == '\0' || *key == '#')
        return 0;
    size_t kn = strcspn(key, WHITESPACE);
    char *value = key + kn + strspn(key + kn, WHITESPACE);
    key[kn] = '\0';
    const struct cfg_option *opt = cfg_option_find(key);
    if (opt == NULL)
        return unknown_key(p, line, key);
    struct config *c = p->ps.c;
    void *base = c;
    if (opt->flags & CFG_F_LISTENER) {
        if (c->listener_count == 0)
            return fail(p, line, "%s applies to one listener and must follow a 'listener' line",
                        opt->name);
        base = &c->listeners[c->listener_count - 1];
    }
    char why[384];
    if (cfg_value_set(opt, base, value, &p->ps, why, sizeof why) != 0)
        return fail(p, line, "%s", why);
    note_repeat(p, line, opt);
    return 0;
}

static int parse_buffer(struct parser *p, const char *data, size_t len)
{
    size_t pos = 0;
    unsigned line = 0;
    /* A UTF-8 byte order mark, as some Windows editors write, is not a key. */
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        pos = 3;
    while (pos < len) {
        const char *start = data + pos;
        const char *nl = memchr(start, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - start) : len - pos;
        pos += n + (nl != NULL);
        line++;
        if (n > CFG_LINE_MAX)
            return fail(p, line, "line longer than %d bytes", CFG_LINE_MAX);
        if (memchr(start, '\0', n) != NULL)
            return fail(p, line, "NUL byte in the line (is this a text file?)");
        memcpy(p->line, start, n);
        p->line[n] = '\0';
        if (parse_line(p, line, p->line) != 0)
            return -1;
    }
    return 0;
}

/* Parses data[0..len) (NUL bytes allowed, and refused) into c. */
static int load_buffer(struct config *c, const char *name, const char *data, size_t len, char *err,
                       size_t errlen)
{
    xfree(c->path);
    c->path = xstrdup(name);
    struct parser p = {
        .name = name,
        .ps = {.c = c},
        .seen = xcalloc(cfg_option_count, sizeof(unsigned)),
        .line = xmalloc((len < CFG_LINE_MAX ? len : CFG_LINE_MAX) + 1),
        .err = err,
        .errlen = err ? errlen : 0,
    };
    int r = parse_buffer(&p, data, len);
    free(p.seen);
    free(p.line);
    if (r != 0) {
        config_fini(c);
        config_defaults(c);
    }
    return r;
}

/* Reads the whole file; returns 0, or -1 with err set to "path: why". */
static int read_file(const char *path, char **out, size_t *outlen, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (len == cap) {
            if (cap >= CFG_FILE_MAX) {
                snprintf(err, errlen, "%s: larger than %u MiB; is this a configuration file?", path,
                         CFG_FILE_MAX >> 20);
                break;
            }
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r == -1 && errno == EINTR)
            continue;
        if (r == -1)
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (r <= 0) {
            close(fd);
            *out = buf;
            *outlen = len;
            return r == 0 ? 0 : -1;
        }
        len += (size_t)r;
    }
    close(fd);
    free(buf);
    return -1;
}

void config_defaults(struct config *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < cfg_option_count; i++) {
        if (!(cfg_options[i].flags & CFG_F_LISTENER))
            cfg_value_default(&cfg_options[i], c);
    }
}

int config_load(struct config *c, const char *path, char *err, size_t errlen)
{
    char scratch[1];
    if (err == NULL || errlen == 0) {
        err = scratch;
        errlen = sizeof scratch;
    }
    char *data = NULL;
    size_t len = 0;
    if (read_file(path, &data, &len, err, errlen) != 0) {
        free(data);
        return -1;
    }
    int r = load_buffer(c, path, data, len, err, errlen);
    free(data);
    return r;
}

int config_load_string(struct config *c, const char *name, const char *text, char *err,
                       size_t errlen)
{
    return load_buffer(c, name, text, strlen(text), err, errlen);
}

void config_fini(struct config *c)
{
    for (size_t i = 0; i < cfg_option_count; i++) {
        const struct cfg_option *opt = &cfg_options[i];
        if (opt->type != CFG_PATH && opt->type != CFG_STRING)
            continue;
        if (!(opt->flags & CFG_F_LISTENER)) {
            xfree(*(char **)((char *)c + opt->offset));
            continue;
        }
        for (size_t l = 0; l < c->listener_count; l++)
            xfree(*(char **)((char *)&c->listeners[l] + opt->offset));
    }
    for (size_t l = 0; l < c->listener_count; l++)
        xfree(c->listeners[l].address);
    c->listener_count = 0;
    xfree(c->log_file);
    xfree(c->path);
}

char *config_resolve_path(const struct config *c, const char *path)
{
    if (path == NULL)
        return NULL;
    const char *slash = c->path ? strrchr(c->path, '/') : NULL;
    if (path[0] == '/' || slash == NULL)
        return xstrdup(path);
    size_t dirlen = slash == c->path ? 1 : (size_t)(slash - c->path);
    size_t n = strlen(path);
    char *out = xmalloc(dirlen + 1 + n + 1);
    memcpy(out, c->path, dirlen);
    size_t o = dirlen;
    if (out[o - 1] != '/')
        out[o++] = '/';
    memcpy(out + o, path, n + 1);
    return out;
}
