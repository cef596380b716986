/*
 * store_setup.c - where the persistent store lives for a config, and
 * opening it with the persistence_* options at start-up.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "app/store_tool.h"
#include "util/alloc.h"
#include "util/log.h"

/* DIR/data for a config at DIR/etc/FILE when DIR/data is a directory (an
 * instance made by `petrel create`), else NULL. */
static char *instance_data_dir(const char *config_path)
{
    char *copy = xstrdup(config_path);
    char *slash = strrchr(copy, '/');
    char *out = NULL;
    if (slash != NULL) {
        *slash = '\0'; /* copy: the config's directory */
        char *base = strrchr(copy, '/');
        const char *name = base ? base + 1 : copy;
        if (strcmp(name, "etc") == 0) {
            if (base)
                *base = '\0';
            const char *parent = base ? (*copy ? copy : "/") : ".";
            size_t n = strlen(parent) + sizeof "/data";
            out = xmalloc(n);
            snprintf(out, n, "%s%sdata", parent, strcmp(parent, "/") == 0 ? "" : "/");
            struct stat st;
            if (stat(out, &st) != 0 || !S_ISDIR(st.st_mode))
                xfree(out);
        }
    }
    free(copy);
    return out;
}

char *app_store_dir(const struct config *cfg)
{
    if (cfg->persistence_location)
        return config_resolve_path(cfg, cfg->persistence_location);
    char *data = cfg->path ? instance_data_dir(cfg->path) : NULL;
    return data ? data : xstrdup(".");
}

static enum store_sync sync_of(const struct config *cfg)
{
    switch (cfg->persistence_sync) {
    case CONFIG_SYNC_NORMAL:
        return STORE_SYNC_NORMAL;
    case CONFIG_SYNC_OFF:
        return STORE_SYNC_OFF;
    default:
        return STORE_SYNC_FULL;
    }
}

int app_store_open(const struct config *cfg, struct store *st, char *err, size_t errlen)
{
    if (!cfg->persistence)
        return store_open(st, &store_memory_ops, NULL, err, errlen) == 0 ? 0 : -1;
    char *dir = app_store_dir(cfg);
    struct store_options opt = {
        .dir = dir,
        .sync = sync_of(cfg),
        .commit_interval_ms = cfg->persistence_commit_interval,
        .max_size = cfg->persistence_max_size,
    };
    int rc = store_open(st, &store_sqlite_ops, &opt, err, errlen);
    if (rc == 0)
        log_notice("persistence: store %s/%s", dir, STORE_FILE_NAME);
    free(dir);
    return rc == 0 ? 0 : -1;
}
