/*
 * auth.h - users, groups, passwords and ACLs.
 *
 * A struct auth is built from the files named in the config (mosquitto
 * password_file, Apollo users.properties / groups.properties, mosquitto
 * acl_file with `group` blocks) and is immutable afterwards. It is
 * reference counted with atomics: every loop thread and every password
 * check running in the thread pool holds a reference, and SIGHUP builds a
 * new one and swaps it in without dropping connections; the old one is
 * freed when its last holder lets go.
 *
 * Password checks (auth_check_password) can be slow by design (PBKDF2,
 * argon2) and must never run on a loop thread. ACL checks are cheap and run
 * on the loops.
 */
#ifndef PETREL_AUTH_AUTH_H
#define PETREL_AUTH_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/slice.h"

struct auth;

struct auth_config {
    bool allow_anonymous;
    const char *password_file; /* NULL = none */
    const char *users_file;    /* NULL = none */
    const char *groups_file;   /* NULL = none */
    const char *acl_file;      /* NULL = none: everything is allowed */
};

/* Loads every file named in cfg. Returns a new auth with one reference, or
 * NULL with err set to "file:line: why". Plain-text passwords in
 * users.properties are accepted with a warning in the log. */
struct auth *auth_load(const struct auth_config *cfg, char *err, size_t errlen);

/* Reference counting; any thread. auth_unref(NULL) does nothing. */
struct auth *auth_ref(struct auth *a);
void auth_unref(struct auth *a);

enum auth_result {
    AUTH_OK = 0,
    AUTH_BAD_CREDENTIALS = 1, /* CONNACK 4 / 0x86 */
    AUTH_NOT_AUTHORIZED = 2,  /* CONNACK 5 / 0x87 */
};

/* True when checking these credentials needs the slow path (a hash); false
 * when the answer is immediate (anonymous handling, unknown user). Loop
 * threads call this to decide whether to go to the thread pool. */
bool auth_check_is_slow(const struct auth *a, const struct slice *username);

/* Checks a CONNECT's credentials. username/password NULL = absent.
 * Rules (mosquitto's): with no user source configured, anonymous access
 * decides and any user name/password is accepted when allow_anonymous is
 * on; a client without a user name needs allow_anonymous; a user name must
 * exist in a user source and its password must verify. May be slow: call
 * from the thread pool when auth_check_is_slow() says so. Any thread. */
enum auth_result auth_check_password(const struct auth *a, const struct slice *username,
                                     const struct slice *password);

enum auth_access {
    AUTH_ACCESS_READ = 1,      /* receive a message on a topic */
    AUTH_ACCESS_WRITE = 2,     /* publish to a topic */
    AUTH_ACCESS_SUBSCRIBE = 4, /* subscribe with a filter */
};

/* ACL check. topic is a topic name for READ/WRITE and a topic filter for
 * SUBSCRIBE (allowed when some readable ACL entry covers the filter, e.g.
 * `topic read a/#` covers `a/+/c`). username NULL = anonymous. With no
 * acl_file everything is allowed. `deny` entries win over grants. Cheap;
 * any thread. */
bool auth_acl_allows(const struct auth *a, struct slice client_id, const struct slice *username,
                     struct slice topic, enum auth_access access);

/* True when an acl_file is loaded (so delivery must check READ access). */
bool auth_has_acl(const struct auth *a);

/* Number of users loaded from all sources (for the start-up log). */
size_t auth_user_count(const struct auth *a);

/* Hashes a password in mosquitto's `$7$` form (PBKDF2-SHA512, 101
 * iterations by default as mosquitto_passwd 2.0, 12-byte random salt).
 * Writes a NUL-terminated string into out; returns 0 or -1 (cap too small).
 * iterations 0 = the default. */
int auth_hash_password(const char *password, unsigned iterations, char *out, size_t cap);

/* Verifies password against a stored value: `$7$`, `$6$` (mosquitto),
 * `$argon2id$`, or plain text. Returns true on a match; constant time in
 * the password for the hashed forms. */
bool auth_verify_password(const char *stored, struct slice password);

#endif
