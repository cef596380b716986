/*
 * test_hash.c - password hashes (src/auth/hash.c, base64.c): mosquitto's
 * $7$ and $6$ forms checked against the real mosquitto_passwd (at test
 * time, and through committed fixtures), argon2id, plain text, our own
 * hashes, malformed values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "auth/auth_int.h"
#include "helpers.h"

/* Values copied from tests/unit/auth/fixtures (see its README). */
static const char alice_7[] = "$7$101$w5fvsB6jcXtfC408$Ky5H96Si84njWMdPBek3hqvckGLRk5PBOvuXsqaJc5G"
                              "RinuBjgqQxma9sESzFd68ZhDTCgkCNt0tkZnW92TRUg==";
static const char carol_6[] =
    "$6$w0TnVVuMlzWg5pTO$SQFz9UIChgBr1FjqVZ5o7bwrUYijLXrXDbrY0RSIGU/VKm9Mx"
    "K67yuron/f4/A+/4dR+eKp31TXJiwWDH4YgIg==";
static const char argon_1[] =
    "$argon2id$v=19$m=1024,t=2,p=1$c29tZXNhbHQ4$f5mVnsWM8T1p28J9rgNTUO4C7B50K+wgGUGyK1XbI0s";
static const char argon_2[] =
    "$argon2id$v=19$m=256,t=1,p=2$b3RoZXJTQUxUdmFsdWU$YdTOq8TMSyjAdO4egh7HAFta/6zdv49SBYCJKOAP3D4";

static bool verify(const char *stored, const char *pw)
{
    return auth_verify_password(stored, slice_cstr(pw));
}

static void test_fixture_values(void **state)
{
    (void)state;
    assert_true(verify(alice_7, "secret"));
    assert_false(verify(alice_7, "Secret"));
    assert_false(verify(alice_7, "secret "));
    assert_false(verify(alice_7, ""));
    assert_true(verify(carol_6, "pass word:with=chars"));
    assert_false(verify(carol_6, "pass word:with=chars!"));
    assert_int_equal(auth_hash_kind_of(alice_7), AUTH_HASH_PBKDF2);
    assert_int_equal(auth_hash_kind_of(carol_6), AUTH_HASH_SHA512);
}

/* Every user of the committed mosquitto_passwd file verifies with its
 * known password and not with another's. */
static void test_fixture_file(void **state)
{
    (void)state;
    static const struct {
        const char *user, *pw;
    } known[] = {
        {"alice", "secret"},
        {"bob", "hunter2"},
        {"carol", "pass word:with=chars"},
        {"dave@example", "ünïcødé"},
    };
    char *text = th_read(th_fixture("mosquitto.passwd"));
    assert_non_null(text);
    struct auth_users u = {0};
    char err[256] = "";
    assert_int_equal(auth_users_parse(&u, AUTH_FMT_MOSQUITTO, "mosquitto.passwd",
                                      (const uint8_t *)text, strlen(text), err, sizeof err),
                     0);
    assert_int_equal(u.n, 4);
    for (size_t i = 0; i < 4; i++) {
        const struct auth_user *e = auth_users_find(&u, slice_cstr(known[i].user));
        assert_non_null(e);
        assert_true(verify(e->stored, known[i].pw));
        assert_false(verify(e->stored, known[(i + 1) % 4].pw));
    }
    auth_users_fini(&u);
    free(text);
}

static void test_argon2id(void **state)
{
    (void)state;
    assert_int_equal(auth_hash_kind_of(argon_1), AUTH_HASH_ARGON2ID);
    assert_true(auth_hash_valid(argon_1, NULL));
    assert_true(verify(argon_1, "correct horse"));
    assert_false(verify(argon_1, "correct horse "));
    assert_true(verify(argon_2, "x"));
    assert_false(verify(argon_2, "y"));
    /* argon2i and argon2d are not ours: plain text, compared as such. */
    assert_int_equal(auth_hash_kind_of("$argon2i$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$aGFzaA"),
                     AUTH_HASH_PLAIN);
}

/* Runs the real mosquitto_passwd to write FILE with one user. */
static int mosquitto_passwd(const char *tool, const char *file, const char *opt1, const char *opt2,
                            const char *user, const char *pw)
{
    char *argv[10];
    int n = 0;
    argv[n++] = (char *)tool;
    if (opt1)
        argv[n++] = (char *)opt1;
    if (opt2)
        argv[n++] = (char *)opt2;
    argv[n++] = "-c";
    argv[n++] = "-b";
    argv[n++] = (char *)file;
    argv[n++] = (char *)user;
    argv[n++] = (char *)pw;
    argv[n] = NULL;
    return th_run(argv, NULL, NULL);
}

/* Reads the hash mosquitto_passwd wrote for its one user. */
static char *hash_of(const char *file)
{
    char *text = th_read(file);
    if (text == NULL)
        return NULL;
    char *colon = strchr(text, ':');
    char *nl = strchr(text, '\n');
    if (colon == NULL)
        return NULL;
    if (nl)
        *nl = '\0';
    char *h = strdup(colon + 1);
    free(text);
    return h;
}

static void test_real_mosquitto_passwd(void **state)
{
    (void)state;
    const char *found = th_which("mosquitto_passwd");
    if (found == NULL) {
        printf("# SKIP: mosquitto_passwd is not installed (Debian package mosquitto)\n");
        skip();
    }
    char tool[PATH_MAX];
    snprintf(tool, sizeof tool, "%s", found);
    static const struct {
        const char *o1, *o2;
        enum auth_hash_kind kind;
    } forms[] = {
        {NULL, NULL, AUTH_HASH_PBKDF2},
        {"-I", "2000", AUTH_HASH_PBKDF2},
        {"-H", "sha512", AUTH_HASH_SHA512},
        {"-H", "sha512-pbkdf2", AUTH_HASH_PBKDF2},
    };
    static const char *const passwords[] = {"p", "a much longer password with spaces and :=#",
                                            "ünïcødé €"};
    char *dir = th_tmpdir();
    assert_non_null(dir);
    const char *file = th_path(dir, "pw");
    for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
        for (size_t p = 0; p < 3; p++) {
            assert_int_equal(
                mosquitto_passwd(tool, file, forms[f].o1, forms[f].o2, "u", passwords[p]), 0);
            char *h = hash_of(file);
            assert_non_null(h);
            assert_int_equal(auth_hash_kind_of(h), forms[f].kind);
            assert_true(auth_hash_valid(h, NULL));
            assert_true(verify(h, passwords[p]));
            assert_false(verify(h, passwords[(p + 1) % 3]));
            free(h);
        }
    }
    th_rmdir(dir);
}

static void test_own_hash(void **state)
{
    (void)state;
    char out[256], out2[256];
    assert_int_equal(auth_hash_password("s3cret", 0, out, sizeof out), 0);
    assert_true(strncmp(out, "$7$101$", 7) == 0);
    assert_true(auth_hash_valid(out, NULL));
    assert_true(verify(out, "s3cret"));
    assert_false(verify(out, "s3cre"));
    /* A fresh salt each time. */
    assert_int_equal(auth_hash_password("s3cret", 0, out2, sizeof out2), 0);
    assert_string_not_equal(out, out2);
    assert_int_equal(auth_hash_password("", 5000, out, sizeof out), 0);
    assert_true(strncmp(out, "$7$5000$", 8) == 0);
    assert_true(verify(out, ""));
    assert_false(verify(out, "x"));
    /* Too small a buffer. */
    assert_int_equal(auth_hash_password("x", 0, out, 50), -1);
}

static void test_plain(void **state)
{
    (void)state;
    assert_true(verify("password", "password"));
    assert_false(verify("password", "passwor"));
    assert_false(verify("password", "password\n"));
    assert_false(verify("password", ""));
    /* A NUL inside the offered password never matches a C-string value. */
    assert_false(auth_verify_password("ab", slice_make("ab\0", 3)));
}

static void test_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "$7$",
        "$7$101$",
        "$7$0$w5fvsB6jcXtfC408$Ky5H96Si84njWMdPBek3hqvckGLRk5PBOvuXsqaJc5GRinuBjgqQxma9sESzFd68Z"
        "hDTCgkCNt0tkZnW92TRUg==",
        "$7$x101$w5fvsB6jcXtfC408$Ky5H96Si84njWMdPBek3hqvckGLRk5PBOvuXsqaJc5GRinuBjgqQxma9sESzFd6"
        "8ZhDTCgkCNt0tkZnW92TRUg==",
        "$7$99999999999$w5fvsB6jcXtfC408$Ky5H96Si84njWMdPBek3hqvckGLRk5PBOvuXsqaJc5GRinuBjgqQxma9"
        "sESzFd68ZhDTCgkCNt0tkZnW92TRUg==",
        "$7$101$w5fvsB6jcXtfC408$Ky5H96Si84njWMdPBek3hq", /* short hash */
        "$7$101$w5f*sB6jcXtfC408$Ky5H96Si84njWMdPBek3hqvckGLRk5PBOvuXsqaJc5GRinuBjgqQxma9sESzFd68Z"
        "hDTCgkCNt0tkZnW92TRUg==",
        "$6$w0TnVVuMlzWg5pTO",
        /* crypt(3)'s sha512-crypt is not mosquitto's $6$. */
        "$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2x"
        "S0ktL3nh/",
        "$6$rounds=5000$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc"
        ".eoxqOmSuNp2xS0ktL3nh/",
        "$argon2id$v=19$m=1024,t=2,p=1$c29tZXNhbHQ4",
        "$argon2id$v=19$m=1024,t=2,p=1$c29tZXNhbHQ4$f5mVnsWM8T1p28J9rgNTUO4C7B50K+wgGUGyK1XbI0s$",
        "$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHQ4$f5mVnsWM8T1p28J9rgNTUO4C7B50K+wgGUGyK1XbI0s",
        "$argon2id$v=19$m=1024,t=0,p=1$c29tZXNhbHQ4$f5mVnsWM8T1p28J9rgNTUO4C7B50K+wgGUGyK1XbI0s",
        "$argon2id$v=19$m=1024,t=2,p=0$c29tZXNhbHQ4$f5mVnsWM8T1p28J9rgNTUO4C7B50K+wgGUGyK1XbI0s",
        "$argon2id$v=19$m=1024,p=1,t=2$c29tZXNhbHQ4$f5mVnsWM8T1p28J9rgNTUO4C7B50K+wgGUGyK1XbI0s",
        "$argon2id$v=19$m=1024,t=2,p=1$c2Fs$f5mVnsWM8T1p28J9rgNTUO4C7B50K+wgGUGyK1XbI0s",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why = NULL;
        if (auth_hash_valid(bad[i], &why))
            fail_msg("accepted malformed hash %s", bad[i]);
        assert_non_null(why);
        /* Malformed never verifies, not even against itself as plain text. */
        assert_false(verify(bad[i], bad[i]));
        assert_false(verify(bad[i], "secret"));
    }
    /* Without v= (argon2 1.0 encodings) the form is still accepted. */
    assert_true(auth_hash_valid(
        "$argon2id$m=1024,t=2,p=1$c29tZXNhbHQ4$f5mVnsWM8T1p28J9rgNTUO4C7B50K+wgGUGyK1XbI0s", NULL));
}

static void test_base64(void **state)
{
    (void)state;
    uint8_t out[16];
    char enc[32];
    assert_int_equal(auth_b64_decode("", 0, out, sizeof out), 0);
    assert_int_equal(auth_b64_decode("Zg==", 4, out, sizeof out), 1);
    assert_int_equal(out[0], 'f');
    assert_int_equal(auth_b64_decode("Zg", 2, out, sizeof out), 1);
    assert_int_equal(auth_b64_decode("Zm9v", 4, out, sizeof out), 3);
    assert_memory_equal(out, "foo", 3);
    assert_int_equal(auth_b64_decode("Zm9vYg", 6, out, sizeof out), 4);
    assert_int_equal(auth_b64_decode("Zh==", 4, out, sizeof out), -1); /* stray bits */
    assert_int_equal(auth_b64_decode("Zg=", 3, out, sizeof out), -1);  /* half padding */
    assert_int_equal(auth_b64_decode("Z", 1, out, sizeof out), -1);
    assert_int_equal(auth_b64_decode("Zm9v\n", 5, out, sizeof out), -1);
    assert_int_equal(auth_b64_decode("Zm-v", 4, out, sizeof out), -1);
    assert_int_equal(auth_b64_decode("Zm9vYmFy", 8, out, 5), -1); /* cap */
    assert_int_equal(auth_b64_encode((const uint8_t *)"fo", 2, enc, sizeof enc), 4);
    assert_string_equal(enc, "Zm8=");
    assert_int_equal(auth_b64_encode((const uint8_t *)"foob", 4, enc, sizeof enc), 8);
    assert_string_equal(enc, "Zm9vYg==");
    assert_int_equal(auth_b64_encode((const uint8_t *)"foo", 3, enc, 4), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_values), cmocka_unit_test(test_fixture_file),
        cmocka_unit_test(test_argon2id),       cmocka_unit_test(test_real_mosquitto_passwd),
        cmocka_unit_test(test_own_hash),       cmocka_unit_test(test_plain),
        cmocka_unit_test(test_malformed),      cmocka_unit_test(test_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
