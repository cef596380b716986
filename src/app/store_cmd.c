/*
 * store_cmd.c - `petrel store check|export|import`: argument handling and
 * the one-line summaries; the work is in src/store (check) and
 * store_export.c / store_import.c.
 *
 * DIR may be a store directory or an instance: when DIR/etc/petrel.conf
 * exists, its persistence_location (default DIR/data) names the store, so
 * `petrel store check mybroker` works as people expect.
 *
 * An export file is created 0600 and never overwrites anything: it holds
 * every stored message. Summaries go to errout, so `export DIR -` can pipe
 * the export itself on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app/instance.h"
#include "app/store_tool.h"
#include "util/alloc.h"

static int usage(FILE *errout, const char *why)
{
    if (why)
        fprintf(errout, "petrel: %s\n\n", why);
    fprintf(errout,
            "Usage: petrel store check DIR\n"
            "       petrel store export DIR OUTFILE|-\n"
            "       petrel store import DIR INFILE|-\n"
            "\n"
            "DIR is a store directory (holding %s) or an instance made by\n"
            "'petrel create'. check reports the store's health (exit 1 on problems);\n"
            "export writes it as JSON lines; import fills an empty store from an export.\n",
            STORE_FILE_NAME);
    return 2;
}

/* The store directory DIR stands for (caller frees), or NULL after
 * printing why. */
static char *resolve_dir(const char *dir, FILE *errout)
{
    char path[4096];
    if (instance_config_path(dir, path, sizeof path) != 0 || access(path, F_OK) != 0)
        return xstrdup(dir);
    struct config cfg;
    config_defaults(&cfg);
    char err[1024];
    char *out = NULL;
    if (config_load(&cfg, path, err, sizeof err) != 0)
        fprintf(errout, "petrel: %s\n", err);
    else
        out = app_store_dir(&cfg);
    config_fini(&cfg);
    return out;
}

static void print_counts(FILE *f, const struct app_store_counts *c)
{
    uint64_t rows = c->msgs + c->sessions + c->subs + c->entries + c->qos2 + c->retained;
    fprintf(f,
            "%llu rows: %llu messages, %llu retained topics, %llu sessions, %llu "
            "subscriptions, %llu queue entries, %llu QoS 2 ids",
            (unsigned long long)rows, (unsigned long long)c->msgs, (unsigned long long)c->retained,
            (unsigned long long)c->sessions, (unsigned long long)c->subs,
            (unsigned long long)c->entries, (unsigned long long)c->qos2);
}

static int cmd_export(const char *dir, const char *file, FILE *out, FILE *errout)
{
    FILE *f = out;
    if (strcmp(file, "-") != 0) {
        int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
            fprintf(errout, "petrel: %s: %s%s\n", file, strerror(errno),
                    errno == EEXIST ? " (export never overwrites a file)" : "");
            if (fd >= 0)
                close(fd);
            return 1;
        }
    }
    struct app_store_counts c;
    char err[1024];
    int rc = app_store_export(dir, f, &c, err, sizeof err);
    if (f != out && fclose(f) != 0 && rc == 0) {
        snprintf(err, sizeof err, "%s: %s", file, strerror(errno));
        rc = -1;
    }
    if (rc != 0) {
        fprintf(errout, "petrel: %s\n", err);
        if (f != out)
            unlink(file);
        return 1;
    }
    fprintf(errout, "exported ");
    print_counts(errout, &c);
    fprintf(errout, " from %s/%s to %s\n", dir, STORE_FILE_NAME,
            strcmp(file, "-") == 0 ? "standard output" : file);
    return 0;
}

static int cmd_import(const char *dir, const char *file, FILE *errout)
{
    bool std = strcmp(file, "-") == 0;
    FILE *in = std ? stdin : fopen(file, "r");
    if (in == NULL) {
        fprintf(errout, "petrel: %s: %s\n", file, strerror(errno));
        return 1;
    }
    struct app_store_counts c;
    char err[1024];
    int rc = app_store_import(dir, in, std ? "standard input" : file, &c, err, sizeof err);
    if (!std)
        fclose(in);
    if (rc != 0) {
        fprintf(errout, "petrel: %s\n", err);
        return 1;
    }
    fprintf(errout, "imported ");
    print_counts(errout, &c);
    fprintf(errout, " into %s/%s\n", dir, STORE_FILE_NAME);
    return 0;
}

int app_store_command(int argc, char **argv, FILE *out, FILE *errout)
{
    if (argc < 1)
        return usage(errout, "'store' needs a command: check, export or import");
    const char *cmd = argv[0];
    int want = strcmp(cmd, "check") == 0    ? 2
               : strcmp(cmd, "export") == 0 ? 3
               : strcmp(cmd, "import") == 0 ? 3
                                            : 0;
    if (want == 0) {
        char why[128];
        snprintf(why, sizeof why, "unknown store command '%.40s'", cmd);
        return usage(errout, why);
    }
    if (argc != want)
        return usage(errout, want == 2 ? "'store check' takes one directory"
                                       : "'store export' and 'store import' take a "
                                         "directory and a file (- for standard "
                                         "input or output)");
    char *dir = resolve_dir(argv[1], errout);
    if (dir == NULL)
        return 1;
    int rc;
    if (want == 2)
        rc = store_check(dir, out);
    else if (strcmp(cmd, "export") == 0)
        rc = cmd_export(dir, argv[2], out, errout);
    else
        rc = cmd_import(dir, argv[2], errout);
    free(dir);
    return rc;
}
