/*
 * test_scram_secret.c - stored SCRAM secrets (src/auth/scram_secret.c):
 * the `$scram$` form against values computed independently (Python's
 * hashlib, RFC 7677's salt and password), parsing and its messages, plain
 * CONNECT passwords checked against a secret, and the secret as a value in
 * a mosquitto password_file and an Apollo users.properties.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "auth/auth_int.h"
#include "helpers.h"

#define RFC_SALT "W22ZaJ0SNY7soEsUEjb6gQ=="
#define K256                                                                                       \
    "sha256=WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl" \
    "2dU="
#define K512                                                                                       \
    "sha512=6AAub3065EYRmyFpM2RNwqK+eGnrkYuEWbXn19LsEmBqzu8QaCXNc1FwpnX9NhH2hK/"                   \
    "60dzj9DoO5DvVkOHbvg"                                                                          \
    "==:jZHbYjC1aHh0/hKbxyBuGFjDrgjgKTT1esA7awWiKcRZ0o/0b1yWEebBeSVkkCFewf91nLDfKF24mvD5nmE6rA=="
/* "pencil", RFC 7677's salt, 4096 iterations (hashlib.pbkdf2_hmac). */
static const char pencil_both[] = "$scram$4096$" RFC_SALT "$" K256 "$" K512;
static const char pencil_256[] = "$scram$4096$" RFC_SALT "$" K256;
static const char pencil_512[] = "$scram$4096$" RFC_SALT "$" K512;

static bool verify(const char *stored, const char *pw)
{
    return auth_verify_password(stored, slice_cstr(pw));
}

static void test_format_matches_reference(void **state)
{
    (void)state;
    uint8_t salt[16];
    char out[AUTH_SCRAM_SECRET_MAX];
    assert_int_equal(auth_b64_decode(RFC_SALT, strlen(RFC_SALT), salt, sizeof salt), 16);
    assert_int_equal(auth_scram_secret_format(SLICE_LIT("pencil"), 4096, salt, 16, AUTH_SCRAM_ALL,
                                              out, sizeof out),
                     0);
    assert_string_equal(out, pencil_both);
    assert_int_equal(auth_scram_secret_format(SLICE_LIT("pencil"), 4096, salt, 16,
                                              AUTH_SCRAM_SHA256, out, sizeof out),
                     0);
    assert_string_equal(out, pencil_256);
    assert_int_equal(auth_scram_secret_format(SLICE_LIT("pencil"), 4096, salt, 16,
                                              AUTH_SCRAM_SHA512, out, sizeof out),
                     0);
    assert_string_equal(out, pencil_512);
    /* Bad arguments and small buffers fail cleanly. */
    assert_int_equal(auth_scram_secret_format(SLICE_LIT("p"), 1, salt, 16, 0, out, sizeof out), -1);
    assert_int_equal(auth_scram_secret_format(SLICE_LIT("p"), 1, salt, 16, 4, out, sizeof out), -1);
    assert_int_equal(auth_scram_secret_format(SLICE_LIT("p"), 1, salt, 0, 1, out, sizeof out), -1);
    assert_int_equal(auth_scram_secret_format(SLICE_LIT("p"), 0, salt, 16, 1, out, sizeof out), -1);
    for (size_t cap = 0; cap < strlen(pencil_both) + 1; cap += 7)
        assert_int_equal(
            auth_scram_secret_format(SLICE_LIT("pencil"), 4096, salt, 16, AUTH_SCRAM_ALL, out, cap),
            -1);
}

static void test_parse(void **state)
{
    (void)state;
    struct auth_scram_secret sec;
    const char *why = NULL;
    assert_true(auth_scram_secret_parse(pencil_both, &sec, &why));
    assert_int_equal(sec.iterations, 4096);
    assert_int_equal(sec.salt_len, 16);
    assert_int_equal(sec.mechs, AUTH_SCRAM_ALL);
    /* Either order; one digest alone. */
    assert_true(auth_scram_secret_parse("$scram$4096$" RFC_SALT "$" K512 "$" K256, &sec, &why));
    assert_int_equal(sec.mechs, AUTH_SCRAM_ALL);
    assert_true(auth_scram_secret_parse(pencil_512, &sec, &why));
    assert_int_equal(sec.mechs, AUTH_SCRAM_SHA512);
    assert_int_equal(auth_hash_kind_of(pencil_both), AUTH_HASH_SCRAM);
    assert_true(auth_hash_valid(pencil_256, &why));

    static const struct {
        const char *v, *why;
    } bad[] = {
        {"$scram$", "iteration count is not a number from 1 to 2147483647"},
        {"$scram$0$" RFC_SALT "$" K256, "iteration count is not a number from 1 to 2147483647"},
        {"$scram$2147483648$" RFC_SALT "$" K256,
         "iteration count is not a number from 1 to 2147483647"},
        {"$scram$x$" RFC_SALT "$" K256, "iteration count is not a number from 1 to 2147483647"},
        {"$scram$4096$$" K256, "SCRAM salt is not base64 of 1 to 64 bytes"},
        {"$scram$4096$*$" K256, "SCRAM salt is not base64 of 1 to 64 bytes"},
        {"$scram$4096$" RFC_SALT, "SCRAM salt is not base64 of 1 to 64 bytes"},
        {"$scram$4096$" RFC_SALT "$", "SCRAM keys must start with sha256= or sha512="},
        {"$scram$4096$" RFC_SALT "$sha1=AAAA:AAAA",
         "SCRAM keys must start with sha256= or sha512="},
        {"$scram$4096$" RFC_SALT "$" K256 "$" K256, "SCRAM secret names a digest twice"},
        {"$scram$4096$" RFC_SALT "$sha256=AAAA:AAAA",
         "SCRAM StoredKey:ServerKey is not base64 of the digest's size"},
        {"$scram$4096$" RFC_SALT "$sha256=WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=",
         "SCRAM StoredKey:ServerKey is not base64 of the digest's size"},
        {"$scram$4096$" RFC_SALT "$" K512 "x",
         "SCRAM StoredKey:ServerKey is not base64 of the digest's size"},
        {"$scram$4096$" RFC_SALT "$" K256 "$", "SCRAM keys must start with sha256= or sha512="},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        if (auth_hash_valid(bad[i].v, &why))
            fail_msg("accepted: %s", bad[i].v);
        assert_non_null(why);
        assert_string_equal(why, bad[i].why);
        assert_false(verify(bad[i].v, "pencil"));
    }
}

static void test_plain_password(void **state)
{
    (void)state;
    assert_true(verify(pencil_both, "pencil"));
    assert_true(verify(pencil_256, "pencil"));
    assert_true(verify(pencil_512, "pencil"));
    assert_false(verify(pencil_both, "Pencil"));
    assert_false(verify(pencil_both, "pencil "));
    assert_false(verify(pencil_both, ""));
    assert_false(verify(pencil_256, "$scram$4096$" RFC_SALT "$" K256)); /* not plain text */
    /* A SHA-512 key that disagrees with the SHA-256 one: SHA-512 decides. */
    char mixed[AUTH_SCRAM_SECRET_MAX], other[AUTH_SCRAM_SECRET_MAX];
    uint8_t salt[16];
    auth_b64_decode(RFC_SALT, strlen(RFC_SALT), salt, sizeof salt);
    assert_int_equal(auth_scram_secret_format(SLICE_LIT("other"), 4096, salt, 16, AUTH_SCRAM_SHA512,
                                              other, sizeof other),
                     0);
    snprintf(mixed, sizeof mixed, "%s$%s", pencil_256, strstr(other, "sha512="));
    assert_true(verify(mixed, "other"));
    assert_false(verify(mixed, "pencil"));

    /* Random salts: two secrets of one password differ and both verify. */
    char a[AUTH_SCRAM_SECRET_MAX], b[AUTH_SCRAM_SECRET_MAX];
    assert_int_equal(auth_hash_scram("s3cret", 0, AUTH_SCRAM_ALL, a, sizeof a), 0);
    assert_int_equal(auth_hash_scram("s3cret", 1000, AUTH_SCRAM_SHA256, b, sizeof b), 0);
    assert_string_not_equal(a, b);
    assert_true(strncmp(a, "$scram$4096$", 12) == 0);
    assert_true(strncmp(b, "$scram$1000$", 12) == 0);
    assert_null(strstr(b, "sha512="));
    assert_true(verify(a, "s3cret"));
    assert_true(verify(b, "s3cret"));
    assert_false(verify(a, "s3cre"));
    assert_int_equal(auth_hash_scram("x", 0, AUTH_SCRAM_ALL, a, 100), -1);
}

/* The secret as a value in both user file formats. */
static void test_user_files(void **state)
{
    (void)state;
    char text[2048], err[256];
    struct auth_users u = {0};
    snprintf(text, sizeof text, "# users\nalice:%s\nbob:%s\n", pencil_both, pencil_512);
    assert_int_equal(auth_users_parse(&u, AUTH_FMT_MOSQUITTO, "pw", (const uint8_t *)text,
                                      strlen(text), err, sizeof err),
                     0);
    const struct auth_user *e = auth_users_find(&u, SLICE_LIT("alice"));
    assert_non_null(e);
    assert_int_equal(e->kind, AUTH_HASH_SCRAM);
    assert_string_equal(e->stored, pencil_both);
    assert_int_equal(u.plain, 0);
    auth_users_fini(&u);

    /* Properties: '=' and ':' in a value are kept as they are. */
    snprintf(text, sizeof text, "alice=%s\nbob : %s  \n", pencil_both, pencil_256);
    assert_int_equal(auth_users_parse(&u, AUTH_FMT_PROPERTIES, "users.properties",
                                      (const uint8_t *)text, strlen(text), err, sizeof err),
                     0);
    assert_string_equal(auth_users_find(&u, SLICE_LIT("bob"))->stored, pencil_256);
    assert_string_equal(auth_users_find(&u, SLICE_LIT("alice"))->stored, pencil_both);
    auth_users_fini(&u);

    /* A broken secret is a load error with the line, as for other hashes. */
    snprintf(text, sizeof text, "a:$scram$4096$%s$sha256=AAAA:AAAA\n", RFC_SALT);
    assert_int_equal(auth_users_parse(&u, AUTH_FMT_MOSQUITTO, "pw", (const uint8_t *)text,
                                      strlen(text), err, sizeof err),
                     -1);
    assert_string_equal(
        err, "pw:1: user 'a': SCRAM StoredKey:ServerKey is not base64 of the digest's size");
    assert_int_equal(auth_users_parse(&u, AUTH_FMT_PROPERTIES, "u.properties",
                                      (const uint8_t *)"a=$scram$1$x\n", 13, err, sizeof err),
                     -1);
    assert_string_equal(err, "u.properties:1: user 'a': SCRAM salt is not base64 of 1 to 64 bytes");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_matches_reference),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_plain_password),
        cmocka_unit_test(test_user_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
