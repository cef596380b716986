/*
 * auth_int.h - the inside of src/auth, shared by its files, its unit tests,
 * the fuzz target and petrel-passwd.
 *
 * Every parser works on bytes in memory and takes the name to put in its
 * messages, so tests and fuzzers need no files. Messages are "name:line:
 * why" for a bad line and "name: why" for a bad file. Parsed tables are
 * sorted by name once loaded and are then read-only, which is what lets a
 * struct auth be shared by every thread without locks.
 *
 * Names from files are stored NUL-terminated with their length: the files
 * may not contain NUL bytes (a line with one is an error), so the two
 * views agree.
 */
#ifndef PETREL_AUTH_AUTH_INT_H
#define PETREL_AUTH_AUTH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"
#include "util/slice.h"

/* Largest auth file we read: far above any real user list, and a bound
 * on what a mistaken path (a log, a database) can make us allocate. */
#define AUTH_FILE_MAX (64u << 20)

/* ---- Text files (text.c) ------------------------------------------------ */

/* A line iterator over a file's bytes. */
struct auth_text {
    const char *name; /* for messages; borrowed */
    const uint8_t *p; /* borrowed */
    size_t len;
    size_t off;
    unsigned line; /* number of the line last returned, from 1 */
};

void auth_text_init(struct auth_text *t, const char *name, const uint8_t *p, size_t len);

/* Returns the next line without its "\n" or "\r\n" in *line, or false at
 * the end. */
bool auth_text_next(struct auth_text *t, struct slice *line);

/* Trims spaces and tabs at both ends. */
struct slice auth_slice_trim(struct slice s);

/* Orders names by bytes, then length (memcmp order); 0 when equal. */
int auth_name_cmp(const void *a, size_t alen, const void *b, size_t blen);

/* Writes "name:line: message" (line 0: "name: message") into err. */
void auth_errf(char *err, size_t errlen, const char *name, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Reads a whole file (at most AUTH_FILE_MAX bytes) into *data (owned by
 * the caller, NUL-terminated) and *len. Returns 0, or -1 with err set to
 * "path: why". */
int auth_file_read(const char *path, char **data, size_t *len, char *err, size_t errlen);

/* ---- Password hashes (hash.c, base64.c) --------------------------------- */

enum auth_hash_kind {
    AUTH_HASH_PLAIN = 0, /* no recognised prefix: plain text */
    AUTH_HASH_SHA512,    /* $6$SALT$HASH: SHA-512(password || salt), mosquitto's */
    AUTH_HASH_PBKDF2,    /* $7$ITER$SALT$HASH: PBKDF2-HMAC-SHA512, 64-byte key */
    AUTH_HASH_ARGON2ID,  /* $argon2id$v=19$m=..,t=..,p=..$SALT$HASH */
    AUTH_HASH_SCRAM,     /* $scram$ITER$SALT$sha256=K:K$sha512=K:K (auth.h) */
};

/* Classifies a stored value by its prefix only. */
enum auth_hash_kind auth_hash_kind_of(const char *stored);

/* True when a stored value with a hash prefix is well formed (and its cost
 * parameters are within bounds); plain text is always valid. Sets *why to a
 * static sentence when not. Cheap: decodes, never hashes. */
bool auth_hash_valid(const char *stored, const char **why);

/* Standard base64 (RFC 4648 alphabet). Decoding accepts input with or
 * without '=' padding and rejects anything else; returns the decoded length
 * or -1 (bad input or more than cap bytes). Encoding writes padded output
 * and a NUL; returns its length or -1 when cap is too small. */
long auth_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap);
long auth_b64_encode(const uint8_t *in, size_t n, char *out, size_t cap);

/* ---- Users (users.c) ---------------------------------------------------- */

enum auth_file_format {
    AUTH_FMT_MOSQUITTO = 0, /* password_file: user:hash */
    AUTH_FMT_PROPERTIES,    /* users.properties / groups.properties: key=value */
};

/* Splits one line of a user file. Returns 1 with *key and *value (owned by
 * the caller, NUL-terminated, escapes resolved for properties) for an entry,
 * 0 for a blank or comment line, -1 with *why (static) for a bad line. */
int auth_entry_parse(enum auth_file_format fmt, struct slice line, char **key, size_t *key_len,
                     char **value, const char **why);

struct auth_user {
    char *name; /* owned */
    size_t name_len;
    char *stored; /* owned: hash or plain text */
    enum auth_hash_kind kind;
    unsigned line; /* where it was defined, for messages */
};

/* A table of users, sorted by name once parsed. */
struct auth_users {
    struct auth_user *v; /* owned */
    size_t n, cap;
    size_t plain; /* how many stored values are plain text */
};

/* Parses a mosquitto password_file (fmt AUTH_FMT_MOSQUITTO: values must be
 * hashes) or an Apollo users.properties (plain text allowed) into u, which
 * must be zeroed. Returns 0, or -1 with err set; u is then empty. Duplicate
 * user names are errors. */
int auth_users_parse(struct auth_users *u, enum auth_file_format fmt, const char *name,
                     const uint8_t *text, size_t len, char *err, size_t errlen);

/* Binary search by name; NULL when absent. */
const struct auth_user *auth_users_find(const struct auth_users *u, struct slice name);

/* Moves the users of src whose names dst lacks into dst (which stays
 * sorted) and frees the rest with a warning naming both files; src ends
 * empty. */
void auth_users_merge(struct auth_users *dst, struct auth_users *src, const char *dst_name,
                      const char *src_name);

/* Frees what u owns and zeroes it. */
void auth_users_fini(struct auth_users *u);

/* ---- SCRAM (scram_secret.c, scram_parse.c, scram.c) ---------------------- */

#define SCRAM_DIGEST_MAX 64 /* SHA-512 */
#define SCRAM_SALT_MAX 64
#define SCRAM_DEFAULT_ITERATIONS 4096 /* RFC 7677's minimum */
#define SCRAM_SALT_LEN 16             /* what we write; RFC 7677's example too */

/* Largest client-first or client-final message accepted: far above real
 * ones (a user name, a nonce, 88 bytes of proof), and it bounds what a
 * client that has not authenticated can make the broker keep. */
#define SCRAM_MSG_MAX 4096

/* A parsed stored secret; index [0] is SHA-256, [1] SHA-512. */
struct auth_scram_secret {
    unsigned long iterations;
    uint8_t salt[SCRAM_SALT_MAX];
    size_t salt_len;
    unsigned mechs; /* mask of enum auth_scram_mech present */
    uint8_t stored_key[2][SCRAM_DIGEST_MAX];
    uint8_t server_key[2][SCRAM_DIGEST_MAX];
};

/* Index into auth_scram_secret key arrays, 0 or 1 (mech must not be NONE). */
static inline int scram_index(enum auth_scram_mech mech)
{
    return mech == AUTH_SCRAM_SHA512;
}

/* Digest length of a mechanism: 32 or 64. */
size_t auth_scram_digest_len(enum auth_scram_mech mech);

/* H(in) and HMAC-H(key, in) for the mechanism's digest; out holds
 * auth_scram_digest_len(mech) bytes. Abort if OpenSSL fails (it does not for
 * these digests short of memory exhaustion). */
void auth_scram_hash(enum auth_scram_mech mech, const uint8_t *in, size_t n, uint8_t *out);
void auth_scram_hmac(enum auth_scram_mech mech, const uint8_t *key, size_t keylen, const void *in,
                     size_t n, uint8_t *out);

/* Parses a `$scram$` value. Returns true, or false with *why (static). */
bool auth_scram_secret_parse(const char *stored, struct auth_scram_secret *out, const char **why);

/* Writes the secret of password for the mechanisms in mechs with the given
 * salt and iteration count (auth_hash_scram with its salt chosen). Returns
 * 0 or -1 (cap too small, bad argument). */
int auth_scram_secret_format(struct slice password, unsigned long iterations, const uint8_t *salt,
                             size_t salt_len, unsigned mechs, char *out, size_t cap);

/* True when password matches a `$scram$` value (one PBKDF2 with the
 * strongest digest it holds); constant time in the password. */
bool auth_scram_secret_verify(const char *stored, struct slice password);

/* What an exchange needs from the user table. The key for made-up salts
 * is derived from the table's contents (every name and stored value), so
 * it is secret exactly as long as the files are, and stays the same across
 * restarts and reloads that leave the users unchanged: a name that does
 * not exist keeps the same salt, as a real user's does. It changes when
 * any user changes, which an observer probing a name across such a change
 * could notice; the risk is small and a separate secret file would have to
 * be managed for it. fake_iterations is the count most SCRAM secrets of
 * the table use (ties: the smallest), or 4096 when there are none. */
struct auth_scram_db {
    const struct auth_users *users; /* borrowed */
    uint8_t fake_key[32];
    unsigned long fake_iterations;
};

/* Fills db for users (which must outlive it and not change). */
void auth_scram_db_init(struct auth_scram_db *db, const struct auth_users *users);

/* The SCRAM lookup data of a loaded struct auth (auth.c). */
const struct auth_scram_db *auth_scram_db_of(const struct auth *a);

/* A parsed client-first-message; slices borrow from the message. */
struct auth_scram_first {
    struct slice gs2;     /* gs2-header with its final ',' e.g. "n,," */
    struct slice authzid; /* saslname after "a=", still encoded; empty when absent */
    struct slice bare;    /* client-first-message-bare */
    struct slice user;    /* saslname after "n=", still encoded */
    struct slice nonce;   /* c-nonce after "r=" */
};

/* A parsed client-final-message; slices borrow from the message. */
struct auth_scram_final {
    struct slice cbind;         /* base64 after "c=" */
    struct slice nonce;         /* after "r=" */
    struct slice without_proof; /* client-final-message-without-proof */
    struct slice proof;         /* base64 after "p=" */
};

/* Parse the two client messages (RFC 5802 section 7 grammar), at most
 * SCRAM_MSG_MAX bytes. Return 0, or -1 with *err set to a static
 * server-error message ("e=invalid-encoding", "e=extensions-not-supported",
 * "e=channel-binding-not-supported", "e=invalid-username-encoding"). Pure:
 * they check syntax (saslnames included); the exchange checks meaning. */
int auth_scram_parse_first(struct slice msg, struct auth_scram_first *out, const char **err);
int auth_scram_parse_final(struct slice msg, struct auth_scram_final *out, const char **err);

/* Decodes a saslname ("=2C" -> ',', "=3D" -> '=') into out (cap bytes).
 * Returns the length, or -1 when it is empty, has another '=' sequence, or
 * the result is not UTF-8 without control characters (we accept such
 * names as already prepared; SASLprep's mapping and normalisation are not
 * applied, so names must be stored in the form clients send). */
long auth_scram_name_decode(struct slice in, char *out, size_t cap);

/* auth_scram_start with the lookup data and the server nonce given (tests
 * and fuzzing inject fixed nonces): server_nonce must be printable ASCII
 * without ','; auth_scram_start passes 24 base64 characters of 18 random
 * bytes. */
enum auth_scram_status auth_scram_start_with(struct auth_scram **sp, const struct auth_scram_db *db,
                                             enum auth_scram_mech mech, struct slice client_first,
                                             struct slice server_nonce, struct slice *reply);

/* ---- Groups (groups.c) -------------------------------------------------- */

struct auth_name {
    char *ptr; /* owned, NUL-terminated */
    size_t len;
};

struct auth_group {
    struct auth_name name;
    struct auth_name *members; /* owned, sorted, without duplicates */
    size_t n;
    unsigned line;
};

struct auth_groups {
    struct auth_group *v; /* owned, sorted by name */
    size_t n, cap;
};

/* Parses an Apollo groups.properties (group=user1|user2, ',' also
 * separates) into g, which must be zeroed. Returns 0, or -1 with err set. */
int auth_groups_parse(struct auth_groups *g, const char *name, const uint8_t *text, size_t len,
                      char *err, size_t errlen);
const struct auth_group *auth_groups_find(const struct auth_groups *g, struct slice name);
bool auth_group_has(const struct auth_group *grp, struct slice user);
void auth_groups_fini(struct auth_groups *g);

/* ---- ACL (acl.c, acl_parse.c) ------------------------------------------- */

/* Access bits of an entry; an entry with none of them is a `deny`. */
#define ACL_READ 1u
#define ACL_WRITE 2u

struct acl_entry {
    char *filter; /* owned; a valid topic filter (patterns: before substitution) */
    size_t len;
    uint8_t access; /* ACL_READ | ACL_WRITE, or 0 for deny */
    bool subst;     /* pattern containing %c or %u */
};

struct acl_block {
    struct auth_name name;          /* user or group name; empty for anon/patterns */
    const struct auth_group *group; /* group blocks: the group (borrowed from groups) */
    struct acl_entry *v;            /* owned */
    size_t n, cap;
};

struct auth_acl {
    struct acl_block anon;     /* `topic` lines before any user/group line */
    struct acl_block patterns; /* every `pattern` line */
    struct acl_block *users;   /* owned, sorted by name after parsing */
    size_t nusers, capusers;
    struct acl_block *groups; /* owned, one per group named */
    size_t ngroups, capgroups;
};

/* Parses a mosquitto acl_file with our `group NAME` blocks into acl (which
 * must be zeroed). groups is the loaded groups_file, or NULL when there is
 * none (a `group` line is then an error); it must outlive acl. Returns 0,
 * or -1 with err set and acl empty. */
int auth_acl_parse(struct auth_acl *acl, const struct auth_groups *groups, const char *name,
                   const uint8_t *text, size_t len, char *err, size_t errlen);
void auth_acl_fini(struct auth_acl *acl);

/* The ACL decision of auth_acl_allows() for one loaded ACL. */
bool auth_acl_check(const struct auth_acl *acl, struct slice client_id,
                    const struct slice *username, struct slice topic, enum auth_access access);

/* True when every topic name that `filter` matches is also matched by
 * `entry` (both valid, non-shared filters). Conservative: false when
 * unsure, so a grant never widens. `a/#` covers `a`, `a/+/c` and `a/#`;
 * `a/+` does not cover `a/#`; `#` does not cover `$SYS/x` [MQTT-4.7.2-1]. */
bool auth_filter_covers(struct slice entry, struct slice filter);

#endif
