/*
 * store_tool.h - the persistent store as the petrel program sees it:
 * where it lives for a config, opening it at start-up, and the operator
 * commands `petrel store check|export|import` (like Apollo's
 * store-export / store-import).
 *
 * The export format is JSON lines, one object per line, portable across
 * machines and Petrel versions:
 *   {"format":"petrel-store-export","version":1,"schema":1,"petrel":"0.1.0",
 *    "created":"2026-01-31T12:00:00Z"}                      the header, first
 *   {"type":"msg","seq":1,"qos":1,"retain":false,"expiry":0,"topic":"a/b",
 *    "props":"<base64>","payload":"<base64>"}
 *   {"type":"session","seq":2,"client_id":"c1","username":"u" | null,
 *    "expiry_interval":60,"will_msg":0,"will_delay":0,"offline_at":0,
 *    "next_pid":1}
 *   {"type":"sub","session":2,"filter":"a/#","opts":1,"sub_id":0}
 *   {"type":"entry","seq":3,"session":2,"msg":1,"qos":1,"flags":0,"state":0,
 *    "pid":0,"sub_id":0}
 *   {"type":"qos2","session":2,"pid":7}
 *   {"type":"retain","topic":"a/b","msg":1}
 *   {"type":"end","rows":6}                                  the trailer, last
 * Rows come in load order (store.h). Text fields (topic, client_id,
 * username, filter) are JSON strings when they are valid UTF-8 without
 * U+0000, as MQTT requires; otherwise the key gets a "_b64" suffix and
 * the value is base64. Binary fields are always base64. Numbers are
 * unsigned integers below 2^53. A reader refuses a newer format version,
 * an unknown row type and a file without its trailer (truncated).
 */
#ifndef PETREL_APP_STORE_TOOL_H
#define PETREL_APP_STORE_TOOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cfg/config.h"
#include "store/store.h"

#define APP_EXPORT_FORMAT "petrel-store-export"
#define APP_EXPORT_VERSION 1

/* Rows of each kind, as exported or imported. */
struct app_store_counts {
    uint64_t msgs, sessions, subs, entries, qos2, retained;
};

/* The directory of the persistent store cfg describes: persistence_location
 * (relative to the config file's directory); else DIR/data when cfg is an
 * instance's DIR/etc/petrel.conf and DIR/data exists; else the current
 * directory ("."). Returns a new string (the caller frees it). */
char *app_store_dir(const struct config *cfg);

/* Opens the store cfg asks for: SQLite in app_store_dir() with the
 * persistence_* options when persistence is true, the memory store
 * otherwise. Returns 0, or -1 with err set. Start-up thread. */
int app_store_open(const struct config *cfg, struct store *st, char *err, size_t errlen);

/* Writes the store in dir to out in the export format (read-only: a
 * store a running broker holds is refused as in use). Returns 0, or -1
 * with err set. */
int app_store_export(const char *dir, FILE *out, struct app_store_counts *counts, char *err,
                     size_t errlen);

/* Reads an export from in (named name in messages) into the store in dir,
 * which must be missing or empty. All or nothing: the rows go into a new
 * file beside it that replaces the empty store only once complete.
 * Returns 0, or -1 with err set ("name:line: why" for bad input). */
int app_store_import(const char *dir, FILE *in, const char *name, struct app_store_counts *counts,
                     char *err, size_t errlen);

/* The reading half of app_store_import(): rows from in go into st, an
 * open store (any backend; fuzzing uses the memory store), committed in
 * batches; it returns once every batch it committed is done. Not all or
 * nothing by itself. Returns 0, or -1 with err set. */
int app_store_import_into(struct store *st, FILE *in, const char *name,
                          struct app_store_counts *counts, char *err, size_t errlen);

/* `petrel store SUBCOMMAND ARGS...`: argv[0] is the subcommand. DIR is a
 * store directory or an instance (DIR/etc/petrel.conf names its store).
 * Prints reports to out and errors to errout. Returns the exit status: 0
 * success, 1 failure or a store with problems, 2 bad arguments. */
int app_store_command(int argc, char **argv, FILE *out, FILE *errout);

#endif
