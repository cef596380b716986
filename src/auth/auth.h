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
 * on the loops, and so do SCRAM exchanges (see the SCRAM section below):
 * they use the stored keys and never run PBKDF2 on the server.
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
 * `$argon2id$`, `$scram$` (below), or plain text. Returns true on a match;
 * constant time in the password for the hashed forms. */
bool auth_verify_password(const char *stored, struct slice password);

/* ---- SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, RFC 7677) ------------------
 *
 * Stored secret. One string, usable wherever the other stored forms are
 * (a mosquitto password_file value, an Apollo users.properties value):
 *
 *   $scram$ITER$SALT$sha256=STOREDKEY:SERVERKEY$sha512=STOREDKEY:SERVERKEY
 *
 * ITER is the PBKDF2 iteration count (1..2147483647; petrel-passwd writes
 * 4096, RFC 7677's minimum), SALT is padded standard base64 of 1 to 64
 * bytes (petrel-passwd: 16 random bytes), shared by both mechanisms. Then
 * one or both of `sha256=` and `sha512=`, each at most once, in any order,
 * each followed by base64 StoredKey and ServerKey of the digest's length
 * (32 or 64 bytes), with SaltedPassword = PBKDF2-HMAC-H(password, salt,
 * ITER), ClientKey = HMAC(SaltedPassword, "Client Key"), StoredKey =
 * H(ClientKey), ServerKey = HMAC(SaltedPassword, "Server Key"). The
 * password is used as its bytes: no SASLprep normalisation (identical for
 * ASCII passwords; other passwords must be sent in the form they were
 * stored in, normally NFC/NFKC as typed).
 *
 * Such a secret also verifies a plain CONNECT password (one PBKDF2 with
 * the strongest digest stored, so it is slow like `$7$`). A user whose
 * stored value is not a SCRAM secret, or lacks the requested digest,
 * cannot use that SCRAM mechanism: the server cannot derive the keys.
 * mosquitto does not read this form, and `mosquitto_passwd -U` would take
 * it for plain text and hash it again; use petrel-passwd on such files.
 */

enum auth_scram_mech {
    AUTH_SCRAM_NONE = 0,
    AUTH_SCRAM_SHA256 = 1, /* also the bit for masks of mechanisms */
    AUTH_SCRAM_SHA512 = 2,
};
#define AUTH_SCRAM_ALL (AUTH_SCRAM_SHA256 | AUTH_SCRAM_SHA512)

/* Room for the longest secret auth_hash_scram writes, NUL included. */
#define AUTH_SCRAM_SECRET_MAX 400

/* Makes a SCRAM secret for password with a new 16-byte random salt, for
 * the mechanisms in mechs (a mask of enum auth_scram_mech, not 0).
 * iterations 0 = 4096. Writes a NUL-terminated string into out; returns 0
 * or -1 (cap too small, bad argument). Slow (one PBKDF2 per mechanism);
 * for tools, not loop threads. */
int auth_hash_scram(const char *password, unsigned iterations, unsigned mechs, char *out,
                    size_t cap);

/* The SCRAM mechanism an MQTT Authentication Method names, compared
 * exactly: "SCRAM-SHA-256" or "SCRAM-SHA-512"; AUTH_SCRAM_NONE for any
 * other name (the broker then answers CONNACK 0x8C Bad authentication
 * method [MQTT-4.12.0-1]). Any thread. */
enum auth_scram_mech auth_scram_method(struct slice name);

/* "SCRAM-SHA-256" or "SCRAM-SHA-512"; NULL for AUTH_SCRAM_NONE. */
const char *auth_scram_method_name(enum auth_scram_mech mech);

/* What a step of the exchange asks the broker to do. The reply of every
 * step is Authentication Data to send (see auth_scram_reason for the
 * packets). */
enum auth_scram_status {
    AUTH_SCRAM_CONTINUE = 0,  /* reply = server-first-message */
    AUTH_SCRAM_SUCCESS = 1,   /* reply = server-final-message "v=..." */
    AUTH_SCRAM_FAILED = 2,    /* wrong proof, unknown user or user without a
                                 secret for this mechanism (indistinguishable);
                                 reply = "e=invalid-proof" */
    AUTH_SCRAM_MALFORMED = 3, /* not a SCRAM message, or one asking for what we
                                 refuse: channel binding (p=), a mandatory
                                 extension (m=), an authzid other than the
                                 user, a nonce or channel binding that does
                                 not match; reply = "e=<RFC 5802 error>" */
};

/* One exchange; owned by the connection that runs it (one loop thread).
 * It copies what it needs from the struct auth at start and holds no
 * reference to it, so a reload between the two steps is harmless. */
struct auth_scram;

/* Step 1: parses a client-first-message (the Authentication Data of the
 * CONNECT, or of an AUTH 0x19 for re-authentication) for mechanism mech
 * (not NONE), looks the user up in a, and makes the server-first-message
 * with a fresh random nonce. On AUTH_SCRAM_CONTINUE, *sp is a new exchange
 * (free it with auth_scram_free) and *reply borrows from it until the next
 * call on it. On any other status *sp is NULL and *reply is a static
 * "e=..." string. Unknown users and users without a secret for mech get a
 * made-up salt (deterministic per user name, see auth_int.h) and fail at
 * auth_scram_finish, so the exchange does not reveal whether a name
 * exists. Cheap (a few HMACs, no PBKDF2): fine on a loop thread. */
enum auth_scram_status auth_scram_start(struct auth_scram **sp, const struct auth *a,
                                        enum auth_scram_mech mech, struct slice client_first,
                                        struct slice *reply);

/* Step 2: checks a client-final-message (the Authentication Data of the
 * client's AUTH 0x18): channel binding equal to the gs2 header of step 1
 * ("biws" for "n,,"), nonce equal to the server-first's, and the proof.
 * Returns SUCCESS (reply = "v=ServerSignature"), FAILED or MALFORMED
 * (reply = "e=..."). *reply borrows from s or is static; valid until
 * auth_scram_free(s). A second call returns MALFORMED. Cheap; the
 * exchange's thread. */
enum auth_scram_status auth_scram_finish(struct auth_scram *s, struct slice client_final,
                                         struct slice *reply);

/* The authenticated user name (SASL-decoded: "=2C" is ',', "=3D" is '=')
 * after auth_scram_finish returned SUCCESS; an empty slice before.
 * Borrowed from s. */
struct slice auth_scram_user(const struct auth_scram *s);

/* Frees an exchange; auth_scram_free(NULL) does nothing. */
void auth_scram_free(struct auth_scram *s);

/* The MQTT 5 reason code for a status: CONTINUE 0x18 (AUTH Continue
 * authentication), SUCCESS 0x00 (CONNACK, or AUTH after a
 * re-authentication), FAILED 0x86 Bad user name or password in a CONNACK
 * (what a wrong CONNECT password gets too) and 0x87 Not authorized in the
 * DISCONNECT that ends a failed re-authentication (0x86 is not a
 * DISCONNECT reason code), MALFORMED 0x87 Not authorized in both. */
uint8_t auth_scram_reason(enum auth_scram_status st, bool reauth);

#endif
