/*
 * value.c - reading one option's value, by type.
 *
 * The parser hands over the value as the trimmed rest of the line. Numbers,
 * booleans and words are single tokens: anything after them is an error,
 * so "max_keepalive 60 # one minute" is refused rather than half-read
 * (mosquitto has only whole-line comments too). Paths take the whole rest
 * of the line, spaces included, and are stored as given; resolving them
 * against the file's directory is config_resolve_path()'s job, at use.
 * Strings (CFG_STRING) are taken the same way but are not paths; words
 * (CFG_ENUM) are one of the row's list.
 *
 * Every message starts with the option's name and quotes the offending
 * text through log_printable(), truncated, so a binary file or a 64 KiB
 * line makes a readable one-line error.
 */
#include <stdio.h>
#include <string.h>

#include "cfg/options.h"
#include "util/alloc.h"
#include "util/log.h"

#define SHOWN 64 /* bytes of offending text quoted in a message */
#define SPACE " \t"

static const char *shown(const char *p, size_t n, char *buf)
{
    return log_printable(slice_make(p, n), buf, SHOWN);
}

/* Splits value into its first token [value, value+*toklen) and the rest
 * after the whitespace that follows it (possibly ""). */
static const char *split_token(const char *value, size_t *toklen)
{
    *toklen = strcspn(value, SPACE);
    return value + *toklen + strspn(value + *toklen, SPACE);
}

static int extra_text(const struct cfg_option *opt, const char *rest, char *why, size_t cap)
{
    char buf[SHOWN];
    snprintf(why, cap, "%s: unexpected '%s' after the value", opt->name,
             shown(rest, strlen(rest), buf));
    return -1;
}

static int64_t suffix_factor(char c)
{
    switch (c) {
    case 'k':
    case 'K':
        return (int64_t)1 << 10;
    case 'm':
    case 'M':
        return (int64_t)1 << 20;
    case 'g':
    case 'G':
        return (int64_t)1 << 30;
    default:
        return 0;
    }
}

/* Parses [-]digits[suffix] (suffix only with bytes). Returns 0, -1 when it
 * is not a number, -2 when it does not fit an int64_t. */
static int parse_integer(const char *p, size_t n, bool bytes, int64_t *out)
{
    int64_t factor = 1;
    if (bytes && n > 0 && suffix_factor(p[n - 1]) != 0)
        factor = suffix_factor(p[--n]);
    bool neg = n > 0 && p[0] == '-';
    size_t i = neg ? 1 : 0;
    if (i == n)
        return -1;
    uint64_t v = 0;
    bool overflow = false;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        if (v > (UINT64_MAX - 9) / 10)
            overflow = true;
        else
            v = v * 10 + (uint64_t)(p[i] - '0');
    }
    if (overflow || v > (uint64_t)INT64_MAX / (uint64_t)factor)
        return -2;
    *out = (neg ? -(int64_t)v : (int64_t)v) * factor;
    return 0;
}

/* Reads the number in tok[0..n) for opt and checks its range. */
static int read_number(const struct cfg_option *opt, const char *tok, size_t n, int64_t *out,
                       char *why, size_t cap)
{
    char buf[SHOWN], arg[96];
    bool bytes = (opt->flags & CFG_F_BYTES) != 0;
    int r = parse_integer(tok, n, bytes, out);
    if (r == -1) {
        snprintf(why, cap, "%s: expected %s, got '%s'", opt->name,
                 bytes ? "a number of bytes (optionally with a k, M or G suffix)"
                       : "a whole number",
                 shown(tok, n, buf));
        return -1;
    }
    bool zero_ok = (opt->flags & CFG_F_ZERO_OK) && r == 0 && *out == 0;
    if (r == -2 || (!zero_ok && (*out < opt->min || *out > opt->max))) {
        snprintf(why, cap, "%s: %s is out of range (%s)", opt->name, shown(tok, n, buf),
                 cfg_option_range_text(opt, arg, sizeof arg));
        return -1;
    }
    return 0;
}

static int set_number(const struct cfg_option *opt, void *field, const char *value, char *why,
                      size_t cap)
{
    size_t n;
    const char *rest = split_token(value, &n);
    int64_t v;
    if (read_number(opt, value, n, &v, why, cap) != 0)
        return -1;
    if (*rest)
        return extra_text(opt, rest, why, cap);
    if (opt->type == CFG_INT)
        *(int *)field = (int)v;
    else if (opt->type == CFG_U32)
        *(uint32_t *)field = (uint32_t)v;
    else
        *(uint64_t *)field = (uint64_t)v;
    return 0;
}

static int set_bool(const struct cfg_option *opt, bool *field, const char *value, char *why,
                    size_t cap)
{
    size_t n;
    const char *rest = split_token(value, &n);
    char buf[SHOWN];
    /* Exactly mosquitto's words: "yes", "1" or "True" are refused rather
     * than guessed, so a file means the same to both brokers. */
    if (n == 4 && memcmp(value, "true", 4) == 0)
        *field = true;
    else if (n == 5 && memcmp(value, "false", 5) == 0)
        *field = false;
    else {
        snprintf(why, cap, "%s: expected true or false, got '%s'", opt->name, shown(value, n, buf));
        return -1;
    }
    return *rest ? extra_text(opt, rest, why, cap) : 0;
}

static void set_string(char **field, const char *value)
{
    free(*field);
    *field = xstrdup(value);
}

/* `listener PORT [ADDRESS]`; IPv6 literals may be bracketed ([::1]). */
static int set_listener(const struct cfg_option *opt, struct cfg_parse_state *ps, const char *value,
                        char *why, size_t cap)
{
    struct config *c = ps->c;
    if (c->listener_count == CONFIG_MAX_LISTENERS) {
        snprintf(why, cap, "%s: too many listeners (at most %d)", opt->name, CONFIG_MAX_LISTENERS);
        return -1;
    }
    size_t n, an;
    const char *addr = split_token(value, &n);
    const char *rest = split_token(addr, &an);
    int64_t port;
    if (read_number(opt, value, n, &port, why, cap) != 0)
        return -1;
    if (*rest)
        return extra_text(opt, rest, why, cap);
    if (an >= 2 && addr[0] == '[' && addr[an - 1] == ']') {
        addr++;
        an -= 2;
    }
    struct config_listener *l = &c->listeners[c->listener_count++];
    memset(l, 0, sizeof *l);
    for (size_t i = 0; i < cfg_option_count; i++) {
        if (cfg_options[i].flags & CFG_F_LISTENER)
            cfg_value_default(&cfg_options[i], l);
    }
    l->port = (uint16_t)port;
    l->address = an > 0 ? xmemdup(addr, an) : NULL;
    return 0;
}

static int set_log_dest(const struct cfg_option *opt, struct cfg_parse_state *ps, const char *value,
                        char *why, size_t cap)
{
    static const struct {
        const char *word;
        enum log_dest_kind kind;
    } words[] = {{"stderr", LOG_DEST_STDERR},
                 {"stdout", LOG_DEST_STDOUT},
                 {"none", LOG_DEST_NONE},
                 {"file", LOG_DEST_FILE}};
    size_t n, i;
    const char *rest = split_token(value, &n);
    for (i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (strlen(words[i].word) == n && memcmp(words[i].word, value, n) == 0)
            break;
    }
    char buf[SHOWN];
    if (i == sizeof words / sizeof words[0]) {
        snprintf(why, cap, "%s: expected stderr, stdout, none or file PATH, got '%s'", opt->name,
                 shown(value, n, buf));
        return -1;
    }
    if (words[i].kind == LOG_DEST_FILE && *rest == '\0') {
        snprintf(why, cap, "%s: 'file' needs a PATH", opt->name);
        return -1;
    }
    if (words[i].kind != LOG_DEST_FILE && *rest)
        return extra_text(opt, rest, why, cap);
    ps->c->log_dest = words[i].kind;
    xfree(ps->c->log_file);
    if (words[i].kind == LOG_DEST_FILE)
        ps->c->log_file = xstrdup(rest);
    return 0;
}

static int set_log_type(const struct cfg_option *opt, unsigned *mask, struct cfg_parse_state *ps,
                        const char *value, char *why, size_t cap)
{
    size_t n;
    const char *rest = split_token(value, &n);
    char word[16], buf[SHOWN];
    unsigned m = 0;
    int bad = n >= sizeof word;
    if (!bad) {
        memcpy(word, value, n);
        word[n] = '\0';
        bad = log_type_parse(word, &m) != 0;
    }
    if (bad) {
        snprintf(why, cap,
                 "%s: expected error, warning, notice, information, debug, all or none, got '%s'",
                 opt->name, shown(value, n, buf));
        return -1;
    }
    if (*rest)
        return extra_text(opt, rest, why, cap);
    /* mosquitto: the first log_type in a file replaces the default set and
     * later ones add to it, so "log_type error" means only errors. */
    *mask = ps->log_type_seen ? (*mask | m) : m;
    ps->log_type_seen = true;
    return 0;
}

/* One word of opt->words; the field holds its index. */
static int set_enum(const struct cfg_option *opt, int *field, const char *value, char *why,
                    size_t cap)
{
    size_t n;
    const char *rest = split_token(value, &n);
    for (int i = 0; opt->words[i]; i++) {
        if (strlen(opt->words[i]) == n && memcmp(opt->words[i], value, n) == 0) {
            *field = i;
            return *rest ? extra_text(opt, rest, why, cap) : 0;
        }
    }
    char buf[SHOWN], arg[96];
    snprintf(why, cap, "%s: expected %s, got '%s'", opt->name,
             cfg_option_arg_text(opt, arg, sizeof arg), shown(value, n, buf));
    return -1;
}

static int set_by_type(const struct cfg_option *opt, void *field, const char *value,
                       struct cfg_parse_state *ps, char *why, size_t cap)
{
    switch (opt->type) {
    case CFG_BOOL:
        return set_bool(opt, field, value, why, cap);
    case CFG_INT:
    case CFG_U32:
    case CFG_U64:
        return set_number(opt, field, value, why, cap);
    case CFG_PATH:
    case CFG_STRING:
        set_string(field, value);
        return 0;
    case CFG_ENUM:
        return set_enum(opt, field, value, why, cap);
    case CFG_LISTENER:
        return set_listener(opt, ps, value, why, cap);
    case CFG_LOG_DEST:
        return set_log_dest(opt, ps, value, why, cap);
    case CFG_LOG_TYPE:
        return set_log_type(opt, field, ps, value, why, cap);
    case CFG_TYPE_COUNT:
        break;
    }
    snprintf(why, cap, "%s: option has no type (a bug in the option table)", opt->name);
    return -1;
}

int cfg_value_set(const struct cfg_option *opt, void *base, const char *value,
                  struct cfg_parse_state *ps, char *why, size_t cap)
{
    if (*value == '\0') {
        char arg[96];
        snprintf(why, cap, "%s: missing value (expected %s)", opt->name,
                 cfg_option_arg_text(opt, arg, sizeof arg));
        return -1;
    }
    void *field = (char *)base + opt->offset;
    if (set_by_type(opt, field, value, ps, why, cap) != 0)
        return -1;
    if (opt->type == CFG_LISTENER)
        field = &ps->c->listeners[ps->c->listener_count - 1];
    if (opt->validate) {
        char reason[256];
        if (opt->validate(opt, field, reason, sizeof reason) != 0) {
            snprintf(why, cap, "%s: %s", opt->name, reason);
            return -1;
        }
    }
    return 0;
}

void cfg_value_default(const struct cfg_option *opt, void *base)
{
    void *field = (char *)base + opt->offset;
    switch (opt->type) {
    case CFG_BOOL:
        *(bool *)field = opt->def != 0;
        break;
    case CFG_INT:
        *(int *)field = (int)opt->def;
        break;
    case CFG_U32:
        *(uint32_t *)field = (uint32_t)opt->def;
        break;
    case CFG_U64:
        *(uint64_t *)field = (uint64_t)opt->def;
        break;
    case CFG_LOG_DEST:
        *(enum log_dest_kind *)field = (enum log_dest_kind)opt->def;
        break;
    case CFG_LOG_TYPE:
        *(unsigned *)field = (unsigned)opt->def;
        break;
    case CFG_ENUM:
        *(int *)field = (int)opt->def;
        break;
    case CFG_PATH:     /* NULL, from the caller's zeroing */
    case CFG_STRING:
    case CFG_LISTENER: /* none until a `listener` line */
    case CFG_TYPE_COUNT:
        break;
    }
}
