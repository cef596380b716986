/*
 * config.h - the broker's configuration: one struct, filled from one
 * option table (options.c) by a generic parser (parse.c).
 *
 * The file format is mosquitto's: one `key value...` per line, `#`
 * comments, blank lines ignored. Keys that mosquitto has keep its names and
 * meanings (listener, allow_anonymous, password_file, acl_file, persistence,
 * persistence_location, max_keepalive, max_inflight_messages,
 * max_queued_messages, max_queued_bytes, max_packet_size, sys_interval,
 * log_dest, log_type); the rest are ours (threads, users_file, groups_file,
 * connect_timeout, ...). Options that follow a `listener` line and are
 * marked listener-scoped in the table apply to that listener.
 *
 * An unknown key or a bad value refuses the whole file with "file:line:
 * why". The parser builds a new struct config and only a fully valid one is
 * used (reload builds, validates, then swaps; STYLE.md section 9).
 *
 * Ownership: a struct config owns its strings and listener array;
 * config_fini() frees them. Immutable once loaded; threads read it freely.
 */
#ifndef PETREL_CFG_CONFIG_H
#define PETREL_CFG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_MAX_LISTENERS 32

struct config_listener {
    uint16_t port;      /* 0 = an ephemeral port (tests); the bound port is logged */
    char *address;      /* owned; NULL = the default address "127.0.0.1" */
    int max_connections; /* -1 = unlimited */
    uint32_t max_topic_alias; /* v5 Topic Aliases a client may use here; 0 = none */
};

/* When server_reference is given, which clients are pointed at it
 * (MQTT 5.0 section 4.11). The order is the option's word list. */
enum config_redirect {
    CONFIG_REDIRECT_SHUTDOWN = 0, /* only at shutdown: DISCONNECT 0x9C instead of 0x8B */
    CONFIG_REDIRECT_TEMPORARY,    /* every new connection: CONNACK 0x9C (Use another server) */
    CONFIG_REDIRECT_MOVED,        /* every new connection: CONNACK 0x9D (Server moved) */
};

enum log_dest_kind {
    LOG_DEST_STDERR = 0,
    LOG_DEST_STDOUT,
    LOG_DEST_FILE,
    LOG_DEST_NONE,
};

/* persistence_sync: how hard a commit pushes data to the disk (SQLite's
 * PRAGMA synchronous). The order is the option row's word order. */
enum config_sync {
    CONFIG_SYNC_FULL = 0,
    CONFIG_SYNC_NORMAL,
    CONFIG_SYNC_OFF,
};

struct config {
    /* Where the file came from (owned; NULL for the built-in defaults). Used
     * to resolve relative paths and in messages. */
    char *path;

    struct config_listener listeners[CONFIG_MAX_LISTENERS];
    size_t listener_count;

    /* Threads */
    int threads; /* 0 = the CPUs in the process's affinity mask */

    /* Authentication and authorisation */
    bool allow_anonymous;
    char *password_file; /* mosquitto format; owned, NULL = none */
    char *users_file;    /* Apollo users.properties; owned, NULL = none */
    char *groups_file;   /* Apollo groups.properties; owned, NULL = none */
    char *acl_file;      /* mosquitto ACL format plus `group`; owned, NULL = none */

    /* Persistence (src/store; the broker does not use the store yet) */
    bool persistence;
    char *persistence_location;           /* owned; NULL = the instance's data/, else "." */
    int persistence_sync;                 /* enum config_sync */
    uint32_t persistence_commit_interval; /* ms the store waits to group commits, 0 = none */
    uint64_t persistence_max_size;        /* bytes, 0 = unlimited */

    /* Limits */
    uint32_t max_keepalive;         /* seconds, 0..65535 */
    uint32_t max_inflight_messages; /* outgoing QoS 1/2 window per client, 0 = 65535 */
    uint32_t max_queued_messages;   /* per session, 0 = unlimited */
    uint64_t max_queued_bytes;      /* per session, 0 = unlimited */
    uint32_t max_packet_size;       /* bytes, 0 = the protocol maximum */
    uint64_t max_write_buffer;      /* outgoing bytes buffered per client */
    uint32_t max_topic_length;      /* bytes */
    uint32_t max_topic_levels;
    uint32_t max_subscriptions;     /* per client, 0 = unlimited */
    uint32_t connect_timeout;       /* seconds until CONNECT must have arrived */
    uint32_t max_client_id_length;  /* bytes; longer ids are refused (0x85 / 2) */

    /* What the broker offers and says (MQTT 5 CONNACK properties and reasons) */
    uint32_t max_qos;           /* 0..2: highest QoS accepted and granted */
    bool retain_available;      /* false: retained messages are refused */
    bool reason_strings;        /* add a Reason String to the packets we send */
    char *response_information; /* owned; Response Information prefix, NULL = none */
    char *server_reference;     /* owned; Server Reference for redirection, NULL = none */
    int server_reference_mode;  /* enum config_redirect */
    uint32_t receive_maximum;       /* v5 Receive Maximum announced to clients, 1..65535 */

    /* $SYS */
    uint32_t sys_interval; /* seconds, 0 = off */

    /* Logging */
    enum log_dest_kind log_dest;
    char *log_file; /* owned; with LOG_DEST_FILE */
    unsigned log_mask;
};

/* Fills c with the built-in defaults and no listeners. */
void config_defaults(struct config *c);

/* Parses the file at path into c (which must come from config_defaults()).
 * Returns 0, or -1 with err set to "path:line: why" (or "path: why") and c
 * reset to the defaults, so a refused file leaves nothing half-applied and
 * nothing to free beyond what config_fini() frees anyway. A key given twice
 * is a log_warn() naming both lines (the later value wins). err may be NULL.
 * Blocks on file I/O; call it at start-up or reload, not on a loop thread. */
int config_load(struct config *c, const char *path, char *err, size_t errlen);

/* Parses text as if it were the file `name` (tests, fuzzing); otherwise as
 * config_load(). Relative paths then resolve against name's directory. */
int config_load_string(struct config *c, const char *name, const char *text, char *err,
                       size_t errlen);

/* Frees what c owns; c may then be reused with config_defaults(). */
void config_fini(struct config *c);

/* Resolves a path relative to the config file's directory. Returns a new
 * string (owned by the caller). Absolute paths, and every path when c has
 * no file or its file name has no directory part, are returned as copies;
 * NULL gives NULL. Nothing is checked on disk. */
char *config_resolve_path(const struct config *c, const char *path);

/* Writes the option reference as Markdown (the README's config section is
 * generated from it). */
void config_write_reference(FILE *out);

#endif
