/*
 * auth.c - struct auth: loading the files, reference counting, and the
 * CONNECT decision (see auth.h for the contracts).
 *
 * A struct auth is built whole by auth_load() and never changes, so any
 * thread may read it without locks; the only shared write is the reference
 * count (C11 atomics). Reload builds a new one and swaps the pointer.
 *
 * User sources merge into one sorted table: password_file first, then
 * users_file entries whose names the password_file does not have (the
 * password_file wins, with a warning, as it is the one mosquitto users
 * maintain with mosquitto_passwd).
 */
#include "auth/auth_int.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/log.h"

struct auth {
    atomic_size_t refs;
    bool allow_anonymous;
    bool has_user_source; /* a password_file or users_file is configured */
    bool has_groups;      /* a groups_file is configured (it may be empty) */
    bool has_acl;
    struct auth_users users; /* both sources, sorted by name */
    struct auth_groups groups;
    struct auth_acl acl; /* borrows from groups */
    struct auth_scram_db scram; /* borrows users */
};

typedef int (*parse_fn)(void *out, const char *name, const uint8_t *text, size_t len, char *err,
                        size_t errlen);

static int parse_passwd(void *out, const char *name, const uint8_t *text, size_t len, char *err,
                        size_t errlen)
{
    return auth_users_parse(out, AUTH_FMT_MOSQUITTO, name, text, len, err, errlen);
}

static int parse_properties(void *out, const char *name, const uint8_t *text, size_t len, char *err,
                            size_t errlen)
{
    return auth_users_parse(out, AUTH_FMT_PROPERTIES, name, text, len, err, errlen);
}

static int parse_groups(void *out, const char *name, const uint8_t *text, size_t len, char *err,
                        size_t errlen)
{
    return auth_groups_parse(out, name, text, len, err, errlen);
}

/* Reads path and parses it with fn into out. */
static int load_file(const char *path, parse_fn fn, void *out, char *err, size_t errlen)
{
    char *data;
    size_t len;
    if (auth_file_read(path, &data, &len, err, errlen) < 0)
        return -1;
    int rc = fn(out, path, (const uint8_t *)data, len, err, errlen);
    free(data);
    return rc;
}

static int load_acl(struct auth *a, const char *path, char *err, size_t errlen)
{
    char *data;
    size_t len;
    if (auth_file_read(path, &data, &len, err, errlen) < 0)
        return -1;
    const struct auth_groups *groups = a->has_groups ? &a->groups : NULL;
    int rc = auth_acl_parse(&a->acl, groups, path, (const uint8_t *)data, len, err, errlen);
    free(data);
    return rc;
}

static int load_users(struct auth *a, const struct auth_config *cfg, char *err, size_t errlen)
{
    if (cfg->password_file &&
        load_file(cfg->password_file, parse_passwd, &a->users, err, errlen) < 0)
        return -1;
    if (cfg->users_file == NULL)
        return 0;
    struct auth_users props = {0};
    if (load_file(cfg->users_file, parse_properties, &props, err, errlen) < 0)
        return -1;
    if (props.plain > 0)
        log_warn("%s: %zu user%s a plain-text password; hash them with petrel-passwd -U %s",
                 cfg->users_file, props.plain, props.plain == 1 ? " has" : "s have",
                 cfg->users_file);
    auth_users_merge(&a->users, &props, cfg->password_file, cfg->users_file);
    return 0;
}

struct auth *auth_load(const struct auth_config *cfg, char *err, size_t errlen)
{
    struct auth *a = xcalloc(1, sizeof *a);
    atomic_init(&a->refs, 1);
    a->allow_anonymous = cfg->allow_anonymous;
    a->has_user_source = cfg->password_file || cfg->users_file;
    if (load_users(a, cfg, err, errlen) < 0)
        goto fail;
    auth_scram_db_init(&a->scram, &a->users);
    if (cfg->groups_file) {
        if (load_file(cfg->groups_file, parse_groups, &a->groups, err, errlen) < 0)
            goto fail;
        a->has_groups = true;
    }
    if (cfg->acl_file) {
        if (load_acl(a, cfg->acl_file, err, errlen) < 0)
            goto fail;
        a->has_acl = true;
    }
    return a;
fail:
    auth_unref(a);
    return NULL;
}

struct auth *auth_ref(struct auth *a)
{
    if (a)
        atomic_fetch_add_explicit(&a->refs, 1, memory_order_relaxed);
    return a;
}

void auth_unref(struct auth *a)
{
    if (a == NULL)
        return;
    /* Release on the way down, acquire by the last holder, so its frees
     * happen after every other holder's last read. */
    if (atomic_fetch_sub_explicit(&a->refs, 1, memory_order_acq_rel) != 1)
        return;
    auth_acl_fini(&a->acl);
    auth_groups_fini(&a->groups);
    auth_users_fini(&a->users);
    free(a);
}

bool auth_check_is_slow(const struct auth *a, const struct slice *username)
{
    if (!a->has_user_source || username == NULL)
        return false;
    const struct auth_user *u = auth_users_find(&a->users, *username);
    return u != NULL && u->kind != AUTH_HASH_PLAIN;
}

enum auth_result auth_check_password(const struct auth *a, const struct slice *username,
                                     const struct slice *password)
{
    /* mosquitto's rules: with no user source, anonymous access decides for
     * every client, whatever credentials it sends. */
    if (!a->has_user_source || username == NULL)
        return a->allow_anonymous ? AUTH_OK : AUTH_NOT_AUTHORIZED;
    const struct auth_user *u = auth_users_find(&a->users, *username);
    if (u == NULL || password == NULL)
        return AUTH_BAD_CREDENTIALS;
    return auth_verify_password(u->stored, *password) ? AUTH_OK : AUTH_BAD_CREDENTIALS;
}

bool auth_acl_allows(const struct auth *a, struct slice client_id, const struct slice *username,
                     struct slice topic, enum auth_access access)
{
    if (!a->has_acl)
        return true;
    return auth_acl_check(&a->acl, client_id, username, topic, access);
}

bool auth_has_acl(const struct auth *a)
{
    return a->has_acl;
}

const struct auth_scram_db *auth_scram_db_of(const struct auth *a)
{
    return &a->scram;
}

size_t auth_user_count(const struct auth *a)
{
    return a->users.n;
}
