/*
 * options.h - the option table and the pieces that read it (internal to
 * src/cfg; the rest of the broker sees only config.h).
 *
 * Every option is one row of cfg_options[] (options.c): its name, value
 * type, default, range, scope, whether SIGHUP applies it, where it is
 * stored and one line of help. The parser (parse.c), the value readers
 * (value.c), the defaults and the generated reference (reference.c) all
 * loop over that table; no code anywhere names an individual option except
 * its row and its validate hook (STYLE.md section 9).
 */
#ifndef PETREL_CFG_OPTIONS_H
#define PETREL_CFG_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg/config.h"

/* How a value is read and where it is stored (the C type of the field). */
enum cfg_type {
    CFG_BOOL = 1, /* bool: exactly `true` or `false` */
    CFG_INT,      /* int: decimal, may be negative when min < 0 */
    CFG_U32,      /* uint32_t: decimal (k/M/G with CFG_F_BYTES) */
    CFG_U64,      /* uint64_t: decimal (k/M/G with CFG_F_BYTES) */
    CFG_PATH,     /* char *: the rest of the line, stored as given */
    CFG_LISTENER, /* appends to config.listeners: PORT [ADDRESS] */
    CFG_LOG_DEST, /* enum log_dest_kind plus config.log_file */
    CFG_LOG_TYPE, /* unsigned mask, one word per line */
    CFG_STRING,   /* char *: the rest of the line, stored as given (not a path) */
    CFG_ENUM,     /* int: the index of the value in the row's `words` */
    CFG_TYPE_COUNT
};

#define CFG_F_LISTENER 0x01u /* stored in the most recent listener, not in struct config */
#define CFG_F_RELOAD 0x02u   /* SIGHUP applies it; otherwise it needs a restart */
#define CFG_F_REPEAT 0x04u   /* may be given several times without a warning */
#define CFG_F_BYTES 0x08u    /* accepts a k, M or G suffix (1024-based) */
#define CFG_F_ZERO_OK 0x10u  /* 0 is allowed besides min..max (0 = off / protocol default) */

struct cfg_option;

/* A validate hook: called after the value is stored, with a pointer to the
 * field (for CFG_LISTENER, the new struct config_listener). Returns 0, or -1
 * with a reason in why (without the option name; the caller adds it). */
typedef int (*cfg_validate_fn)(const struct cfg_option *opt, const void *field, char *why,
                               size_t cap);

struct cfg_option {
    const char *name;
    enum cfg_type type;
    unsigned flags;   /* CFG_F_* */
    size_t offset;    /* into struct config, or struct config_listener with CFG_F_LISTENER */
    int64_t def;      /* default for numeric, bool and enum types */
    int64_t min, max; /* inclusive range for numeric types */
    cfg_validate_fn validate; /* NULL = none */
    const char *help;         /* one line for the reference */
    /* Rows that need them (the last members, so other rows leave them out): */
    const char *const *words; /* CFG_ENUM: the accepted words, NULL-terminated */
    const char *arg;          /* what the value looks like, when the type's own text is vague */
};

/* The table, in the order the reference lists it. Constant; any thread. */
extern const struct cfg_option cfg_options[];
extern const size_t cfg_option_count;

/* Returns the row named name (exact, case-sensitive like mosquitto), or NULL. */
const struct cfg_option *cfg_option_find(const char *name);

/* Returns the name of the option closest to an unknown key, or NULL when
 * nothing is close enough to be a plausible typo. */
const char *cfg_option_suggest(const char *unknown);

/* Writes opt's built-in default into the struct it is stored in (base is a
 * struct config, or a struct config_listener for CFG_F_LISTENER rows). */
void cfg_value_default(const struct cfg_option *opt, void *base);

/* Parse state shared by the value readers for one file. */
struct cfg_parse_state {
    struct config *c;
    bool log_type_seen; /* the first log_type in a file replaces the default mask */
};

/* Reads value (NUL-terminated, trimmed, may be empty) for opt and stores it
 * into base (as for cfg_value_default). Returns 0, or -1 with a reason in why
 * that starts with the option's name. */
int cfg_value_set(const struct cfg_option *opt, void *base, const char *value,
                  struct cfg_parse_state *ps, char *why, size_t cap);

/* Writes what opt expects ("0..65535", "true | false", "PORT [ADDRESS]")
 * into buf, for messages and the reference. Returns buf. */
const char *cfg_option_arg_text(const struct cfg_option *opt, char *buf, size_t cap);

/* Writes the range of a numeric option ("0..65535", "0 or 20..268435460",
 * "64k or more"; for listener, the port's). Returns buf. */
const char *cfg_option_range_text(const struct cfg_option *opt, char *buf, size_t cap);

/* Writes opt's default as a person would write it in the file ("8M",
 * "false", "none"). Returns buf. */
const char *cfg_option_default_text(const struct cfg_option *opt, char *buf, size_t cap);

#endif
