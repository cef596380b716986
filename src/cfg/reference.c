/*
 * reference.c - the option reference, generated from the option table.
 *
 * config_write_reference() writes the Markdown that the README's
 * configuration section is made of (scripts/gen-config-doc.sh puts it
 * there, and `make test` checks that it is current). The same renderers
 * give the "expected ..." part of parse errors, so the documentation and
 * the messages cannot disagree.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cfg/config.h"
#include "cfg/options.h"
#include "util/log.h"

/* A byte count the way a person writes it: 8M rather than 8388608. */
static const char *number_text(int64_t v, bool bytes, char *buf, size_t cap)
{
    static const struct {
        int shift;
        char suffix;
    } units[] = {{30, 'G'}, {20, 'M'}, {10, 'k'}};
    for (size_t i = 0; bytes && v > 0 && i < sizeof units / sizeof units[0]; i++) {
        int64_t unit = (int64_t)1 << units[i].shift;
        if (v % unit == 0) {
            snprintf(buf, cap, "%" PRId64 "%c", v / unit, units[i].suffix);
            return buf;
        }
    }
    snprintf(buf, cap, "%" PRId64, v);
    return buf;
}

const char *cfg_option_range_text(const struct cfg_option *opt, char *buf, size_t cap)
{
    bool bytes = (opt->flags & CFG_F_BYTES) != 0;
    char lo[32], hi[32];
    number_text(opt->min, bytes, lo, sizeof lo);
    number_text(opt->max, bytes, hi, sizeof hi);
    const char *zero = (opt->flags & CFG_F_ZERO_OK) ? "0 or " : "";
    if (opt->max == INT64_MAX)
        snprintf(buf, cap, "%s%s or more", zero, lo);
    else
        snprintf(buf, cap, "%s%s..%s", zero, lo, hi);
    return buf;
}

/* The words of a CFG_ENUM row joined by " | ". */
static const char *words_text(const struct cfg_option *opt, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; opt->words[i] && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? " | " : "", opt->words[i]);
    return buf;
}

const char *cfg_option_arg_text(const struct cfg_option *opt, char *buf, size_t cap)
{
    if (opt->arg) {
        snprintf(buf, cap, "%s", opt->arg);
        return buf;
    }
    switch (opt->type) {
    case CFG_BOOL:
        snprintf(buf, cap, "true | false");
        break;
    case CFG_INT:
    case CFG_U32:
    case CFG_U64:
        return cfg_option_range_text(opt, buf, cap);
    case CFG_PATH:
        snprintf(buf, cap, "PATH");
        break;
    case CFG_STRING:
        snprintf(buf, cap, "TEXT");
        break;
    case CFG_ENUM:
        return words_text(opt, buf, cap);
    case CFG_LISTENER:
        snprintf(buf, cap, "PORT [ADDRESS]");
        break;
    case CFG_LOG_DEST:
        snprintf(buf, cap, "stderr | stdout | none | file PATH");
        break;
    case CFG_LOG_TYPE:
        snprintf(buf, cap, "error | warning | notice | information | debug | all | none");
        break;
    case CFG_TYPE_COUNT:
        snprintf(buf, cap, "?");
        break;
    }
    return buf;
}

static const char *mask_text(unsigned mask, char *buf, size_t cap)
{
    static const char *const names[LOG_LVL_COUNT] = {"error", "warning", "notice", "information",
                                                     "debug"};
    if (mask == LOG_MASK_ALL || mask == 0) {
        snprintf(buf, cap, "%s", mask ? "all" : "none");
        return buf;
    }
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < LOG_LVL_COUNT && o < cap; i++) {
        if (mask & (1u << i))
            o += (size_t)snprintf(buf + o, cap - o, "%s%s", o ? ", " : "", names[i]);
    }
    return buf;
}

const char *cfg_option_default_text(const struct cfg_option *opt, char *buf, size_t cap)
{
    switch (opt->type) {
    case CFG_BOOL:
        snprintf(buf, cap, "%s", opt->def ? "true" : "false");
        break;
    case CFG_INT:
    case CFG_U32:
    case CFG_U64:
        return number_text(opt->def, (opt->flags & CFG_F_BYTES) != 0, buf, cap);
    case CFG_LOG_DEST:
        snprintf(buf, cap, "%s",
                 opt->def == LOG_DEST_STDOUT ? "stdout"
                 : opt->def == LOG_DEST_NONE ? "none"
                 : opt->def == LOG_DEST_FILE ? "file"
                                             : "stderr");
        break;
    case CFG_LOG_TYPE:
        return mask_text((unsigned)opt->def, buf, cap);
    case CFG_ENUM:
        snprintf(buf, cap, "%s", opt->words[opt->def]);
        break;
    case CFG_PATH:
    case CFG_STRING:
    case CFG_LISTENER:
    case CFG_TYPE_COUNT:
        snprintf(buf, cap, "none");
        break;
    }
    return buf;
}

/* Writes s as a Markdown table cell: pipes escaped, optionally as code. */
static void put_cell(FILE *out, const char *s, bool code)
{
    fputs(code ? " `" : " ", out);
    for (; *s; s++) {
        if (*s == '|')
            fputc('\\', out);
        fputc(*s, out);
    }
    fputs(code ? "` |" : " |", out);
}

void config_write_reference(FILE *out)
{
    fputs("`petrel.conf` has one option per line: the key, a space, then the value "
          "(`max_keepalive 60`). Lines starting with `#` are comments and blank lines are "
          "ignored. Booleans are `true` or `false`; byte sizes may end in `k`, `M` or `G` "
          "(1024-based); a path or a text is the rest of the line, and a path is relative to "
          "the file's own directory. Options of scope *listener* apply to the `listener` line "
          "above them. A key given twice takes the later value, with a warning, unless it is "
          "repeatable. An unknown key or a bad value stops petrel with the file, line and "
          "reason. Options marked *reload* take effect on SIGHUP; the others need a restart. "
          "Started without "
          "a file, petrel listens on 127.0.0.1:1883 and 127.0.0.1:61613 and allows anonymous "
          "clients.\n\n",
          out);
    fputs("| key | argument | default | scope | reload | description |\n", out);
    fputs("|---|---|---|---|---|---|\n", out);
    for (size_t i = 0; i < cfg_option_count; i++) {
        const struct cfg_option *opt = &cfg_options[i];
        char arg[96], def[96];
        cfg_option_arg_text(opt, arg, sizeof arg);
        cfg_option_default_text(opt, def, sizeof def);
        fputc('|', out);
        put_cell(out, opt->name, true);
        put_cell(out, arg, true);
        put_cell(out, def, strcmp(def, "none") != 0);
        put_cell(out, (opt->flags & CFG_F_LISTENER) ? "listener" : "global", false);
        put_cell(out, (opt->flags & CFG_F_RELOAD) ? "reload" : "restart", false);
        put_cell(out, opt->help, false);
        fputc('\n', out);
    }
}
