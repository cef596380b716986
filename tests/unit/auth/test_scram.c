/*
 * test_scram.c - the SCRAM exchange (src/auth/scram.c, scram_parse.c): the
 * RFC 7677 SCRAM-SHA-256 test vector with its nonces, SHA-512 round trips
 * against the independent client of scram_client.h, the public API over
 * loaded files, malformed and refused messages of both steps, and unknown
 * or non-SCRAM users failing only at the proof.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "auth/auth_int.h"
#include "helpers.h"
#include "mqtt/reason.h"
#include "scram_client.h"
#include "util/log.h"

/* RFC 7677 section 3: user "user", password "pencil". */
#define RFC_SALT "W22ZaJ0SNY7soEsUEjb6gQ=="
#define RFC_CNONCE "rOprNGfwEbeRWgbNEkqO"
#define RFC_SNONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define RFC_FIRST "n,,n=user,r=" RFC_CNONCE
#define RFC_SERVER_FIRST "r=" RFC_CNONCE RFC_SNONCE ",s=" RFC_SALT ",i=4096"
#define RFC_FINAL                                                                                  \
    "c=biws,r=" RFC_CNONCE RFC_SNONCE ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define RFC_SERVER_FINAL "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

static struct auth_users users;
static struct auth_scram_db db;

/* Makes a secret with a fixed salt (the RFC's) and a small count when the
 * test does not need the RFC's. */
static void secret(const char *pw, unsigned long iter, unsigned mechs, char *out, size_t cap)
{
    uint8_t salt[16];
    assert_int_equal(auth_b64_decode(RFC_SALT, strlen(RFC_SALT), salt, sizeof salt), 16);
    assert_int_equal(
        auth_scram_secret_format(slice_cstr(pw), iter, salt, sizeof salt, mechs, out, cap), 0);
}

/* Loads users from password_file text into the static table and db. */
static void db_load(const char *text)
{
    char err[256];
    auth_users_fini(&users);
    if (auth_users_parse(&users, AUTH_FMT_MOSQUITTO, "pw", (const uint8_t *)text, strlen(text), err,
                         sizeof err) != 0)
        fail_msg("%s", err);
    auth_scram_db_init(&db, &users);
}

/* The usual table: "user" (RFC secret, SHA-256 only), "both" (both
 * digests, password "pw2"), "seven" ($7$ hash of "secret"), "a,b=c". */
static void db_standard(void)
{
    char s1[AUTH_SCRAM_SECRET_MAX], s2[AUTH_SCRAM_SECRET_MAX], s3[AUTH_SCRAM_SECRET_MAX];
    char text[2048];
    secret("pencil", 4096, AUTH_SCRAM_SHA256, s1, sizeof s1);
    secret("pw2", 4096, AUTH_SCRAM_ALL, s2, sizeof s2);
    secret("odd", 4096, AUTH_SCRAM_ALL, s3, sizeof s3);
    snprintf(text, sizeof text,
             "user:%s\nboth:%s\nseven:$7$101$w5fvsB6jcXtfC408$Ky5H96Si84njWMdPBek3hqvckGLRk5PBOvuX"
             "sqaJc5GRinuBjgqQxma9sESzFd68ZhDTCgkCNt0tkZnW92TRUg==\na,b=c:%s\n",
             s1, s2, s3);
    db_load(text);
}

static int teardown(void **state)
{
    (void)state;
    auth_users_fini(&users);
    return 0;
}

static enum auth_scram_status start(struct auth_scram **s, enum auth_scram_mech mech,
                                    const char *first, struct slice *reply)
{
    return auth_scram_start_with(s, &db, mech, slice_cstr(first), SLICE_LIT(RFC_SNONCE), reply);
}

static void expect_reply(struct slice got, const char *want)
{
    if (!slice_eq_cstr(got, want))
        fail_msg("reply \"%.*s\", want \"%s\"", (int)got.len, (const char *)got.ptr, want);
}

static void test_rfc7677_vector(void **state)
{
    (void)state;
    db_standard();
    struct auth_scram *s;
    struct slice reply;
    assert_int_equal(start(&s, AUTH_SCRAM_SHA256, RFC_FIRST, &reply), AUTH_SCRAM_CONTINUE);
    expect_reply(reply, RFC_SERVER_FIRST);
    assert_int_equal(auth_scram_user(s).len, 0); /* not before success */
    assert_int_equal(auth_scram_finish(s, SLICE_LIT(RFC_FINAL), &reply), AUTH_SCRAM_SUCCESS);
    expect_reply(reply, RFC_SERVER_FINAL);
    assert_true(slice_eq_cstr(auth_scram_user(s), "user"));
    /* One exchange, one final: a replay on the same state is refused. */
    assert_int_equal(auth_scram_finish(s, SLICE_LIT(RFC_FINAL), &reply), AUTH_SCRAM_MALFORMED);
    assert_int_equal(auth_scram_user(s).len, 4);
    auth_scram_free(s);
    auth_scram_free(NULL);
}

/* Runs a whole exchange with the test client; returns the final status. */
static enum auth_scram_status round_trip(enum auth_scram_mech mech, const char *gs2,
                                         const char *user, const char *pw, const char *ext)
{
    struct tc_scram c;
    struct auth_scram *s;
    struct slice reply;
    tc_first(&c, mech, gs2, user, "cNonce-123", pw);
    assert_int_equal(start(&s, mech, c.first, &reply), AUTH_SCRAM_CONTINUE);
    assert_true(tc_final(&c, reply, ext));
    enum auth_scram_status st = auth_scram_finish(s, slice_cstr(c.final), &reply);
    if (st == AUTH_SCRAM_SUCCESS)
        expect_reply(reply, c.server_final);
    else if (st == AUTH_SCRAM_FAILED)
        expect_reply(reply, "e=invalid-proof");
    auth_scram_free(s);
    return st;
}

static void test_round_trips(void **state)
{
    (void)state;
    db_standard();
    assert_int_equal(round_trip(AUTH_SCRAM_SHA512, "n,,", "both", "pw2", NULL), AUTH_SCRAM_SUCCESS);
    assert_int_equal(round_trip(AUTH_SCRAM_SHA256, "n,,", "both", "pw2", NULL), AUTH_SCRAM_SUCCESS);
    assert_int_equal(round_trip(AUTH_SCRAM_SHA512, "n,,", "both", "pw3", NULL), AUTH_SCRAM_FAILED);
    assert_int_equal(round_trip(AUTH_SCRAM_SHA256, "n,,", "user", "pencil", NULL),
                     AUTH_SCRAM_SUCCESS);
    assert_int_equal(round_trip(AUTH_SCRAM_SHA256, "n,,", "user", "Pencil", NULL),
                     AUTH_SCRAM_FAILED);
    /* "y": the client could bind but thinks we cannot; we cannot. */
    assert_int_equal(round_trip(AUTH_SCRAM_SHA512, "y,,", "both", "pw2", NULL), AUTH_SCRAM_SUCCESS);
    /* An authzid naming the user itself; c= then carries it. */
    assert_int_equal(round_trip(AUTH_SCRAM_SHA512, "n,a=both,", "both", "pw2", NULL),
                     AUTH_SCRAM_SUCCESS);
    /* Optional extensions before the proof are ignored (and signed). */
    assert_int_equal(round_trip(AUTH_SCRAM_SHA512, "n,,", "both", "pw2", ",x=ext,Y=2"),
                     AUTH_SCRAM_SUCCESS);
    /* saslname escapes: the stored name is "a,b=c". */
    struct tc_scram c;
    struct auth_scram *s;
    struct slice reply;
    tc_first(&c, AUTH_SCRAM_SHA256, "n,,", "a=2Cb=3Dc", "n", "odd");
    assert_int_equal(start(&s, AUTH_SCRAM_SHA256, c.first, &reply), AUTH_SCRAM_CONTINUE);
    assert_true(tc_final(&c, reply, NULL));
    assert_int_equal(auth_scram_finish(s, slice_cstr(c.final), &reply), AUTH_SCRAM_SUCCESS);
    assert_true(slice_eq_cstr(auth_scram_user(s), "a,b=c"));
    auth_scram_free(s);
}

/* Unknown users, users without a SCRAM secret and users without the asked
 * digest all get a plausible server-first and fail only at the proof. */
static void test_no_usable_secret(void **state)
{
    (void)state;
    db_standard();
    static const struct {
        enum auth_scram_mech mech;
        const char *user, *pw;
    } cases[] = {
        {AUTH_SCRAM_SHA256, "nobody", "pencil"},
        {AUTH_SCRAM_SHA512, "seven", "secret"}, /* $7$ hash */
        {AUTH_SCRAM_SHA512, "user", "pencil"},  /* SHA-256 only */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tc_scram c;
        struct auth_scram *s;
        struct slice r1, r2;
        tc_first(&c, cases[i].mech, "n,,", cases[i].user, "abc", cases[i].pw);
        assert_int_equal(start(&s, cases[i].mech, c.first, &r1), AUTH_SCRAM_CONTINUE);
        char salt64[64];
        assert_true(tc_attr((const char *)r1.ptr, r1.len, 's', salt64, sizeof salt64));
        assert_int_equal(strlen(salt64), 24); /* 16 bytes, like a real salt */
        assert_non_null(strstr((const char *)r1.ptr, ",i=4096"));
        /* The same name gets the same salt every time. */
        struct auth_scram *s2;
        assert_int_equal(start(&s2, cases[i].mech, c.first, &r2), AUTH_SCRAM_CONTINUE);
        assert_true(slice_eq(r1, r2));
        auth_scram_free(s2);
        assert_true(tc_final(&c, r1, NULL));
        assert_int_equal(auth_scram_finish(s, slice_cstr(c.final), &r1), AUTH_SCRAM_FAILED);
        expect_reply(r1, "e=invalid-proof");
        assert_int_equal(auth_scram_user(s).len, 0);
        auth_scram_free(s);
    }
    /* Different names, different salts. */
    struct auth_scram *a, *b;
    struct slice ra, rb;
    assert_int_equal(start(&a, AUTH_SCRAM_SHA256, "n,,n=x1,r=a", &ra), AUTH_SCRAM_CONTINUE);
    assert_int_equal(start(&b, AUTH_SCRAM_SHA256, "n,,n=x2,r=a", &rb), AUTH_SCRAM_CONTINUE);
    assert_false(slice_eq(ra, rb));
    auth_scram_free(a);
    auth_scram_free(b);
}

/* The made-up iteration count follows the table's most common one. */
static void test_fake_iterations(void **state)
{
    (void)state;
    char s1[AUTH_SCRAM_SECRET_MAX], s2[AUTH_SCRAM_SECRET_MAX], text[2048];
    secret("a", 10000, AUTH_SCRAM_SHA256, s1, sizeof s1);
    secret("b", 5000, AUTH_SCRAM_SHA256, s2, sizeof s2);
    snprintf(text, sizeof text, "u1:%s\nu2:%s\nu3:%s\n", s2, s1, s1);
    db_load(text);
    assert_int_equal(db.fake_iterations, 10000);
    struct auth_scram *s;
    struct slice r;
    assert_int_equal(start(&s, AUTH_SCRAM_SHA256, "n,,n=ghost,r=a", &r), AUTH_SCRAM_CONTINUE);
    assert_non_null(strstr((const char *)r.ptr, ",i=10000"));
    auth_scram_free(s);
    db_load("");
    assert_int_equal(db.fake_iterations, 4096);
}

struct first_case {
    const char *msg;
    const char *reply;
};

static void test_malformed_first(void **state)
{
    (void)state;
    db_standard();
    static const struct first_case cases[] = {
        {"", "e=invalid-encoding"},
        {"n,,", "e=invalid-encoding"},
        {"n,,n=user", "e=invalid-encoding"},        /* no nonce */
        {"n,,r=abc", "e=invalid-encoding"},         /* no user */
        {"n,,n=,r=abc", "e=invalid-encoding"},      /* empty user */
        {"n,,n=user,r=", "e=invalid-encoding"},     /* empty nonce */
        {"n,,n=user,r=a b", "e=invalid-encoding"},  /* nonce not printable */
        {"n,,n=user,r=abc,", "e=invalid-encoding"}, /* empty extension */
        {"n,,n=user,r=abc,1=x", "e=invalid-encoding"},
        {"n,,n=user,r=abc,x", "e=invalid-encoding"},
        {"n,n=user,r=abc", "e=invalid-encoding"}, /* gs2 header cut short */
        {"x,,n=user,r=abc", "e=invalid-encoding"},
        {"nn,,n=user,r=abc", "e=invalid-encoding"},
        {"n,b=user,n=user,r=abc", "e=invalid-encoding"},
        {"n,,r=abc,n=user", "e=invalid-encoding"}, /* order matters */
        {"p=tls-unique,,n=user,r=abc", "e=channel-binding-not-supported"},
        {"n,,m=ext,n=user,r=abc", "e=extensions-not-supported"},
        {"n,,n=us=er,r=abc", "e=invalid-username-encoding"},
        {"n,,n=us=2c,r=abc", "e=invalid-username-encoding"}, /* escapes are upper case */
        {"n,,n=us=2,r=abc", "e=invalid-username-encoding"},
        {"n,,n=\x01u,r=abc", "e=invalid-username-encoding"},
        {"n,,n=\xff,r=abc", "e=invalid-username-encoding"},
        {"n,a=,n=user,r=abc", "e=invalid-encoding"},
        {"n,a=us=er,n=user,r=abc", "e=invalid-username-encoding"},
        {"n,a=other,n=user,r=abc", "e=other-error"}, /* authzid must be the user */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct auth_scram *s = (struct auth_scram *)&s;
        struct slice r;
        if (start(&s, AUTH_SCRAM_SHA256, cases[i].msg, &r) != AUTH_SCRAM_MALFORMED)
            fail_msg("accepted: %s", cases[i].msg);
        assert_null(s);
        expect_reply(r, cases[i].reply);
    }
    /* A NUL inside, and a message past the bound. */
    struct auth_scram *s;
    struct slice r;
    static const char nul[] = "n,,n=u\0v,r=abc";
    assert_int_equal(auth_scram_start_with(&s, &db, AUTH_SCRAM_SHA256,
                                           slice_make(nul, sizeof nul - 1), SLICE_LIT("x"), &r),
                     AUTH_SCRAM_MALFORMED);
    char *big = malloc(SCRAM_MSG_MAX + 2);
    memset(big, 'a', SCRAM_MSG_MAX + 1);
    memcpy(big, "n,,n=user,r=", 12);
    big[SCRAM_MSG_MAX + 1] = '\0';
    assert_int_equal(start(&s, AUTH_SCRAM_SHA256, big, &r), AUTH_SCRAM_MALFORMED);
    big[SCRAM_MSG_MAX] = '\0'; /* exactly the bound: fine */
    assert_int_equal(start(&s, AUTH_SCRAM_SHA256, big, &r), AUTH_SCRAM_CONTINUE);
    auth_scram_free(s);
    free(big);
    /* No mechanism, or a bad injected nonce: refused, not crashed. */
    assert_int_equal(start(&s, AUTH_SCRAM_NONE, RFC_FIRST, &r), AUTH_SCRAM_MALFORMED);
    assert_int_equal(auth_scram_start_with(&s, &db, AUTH_SCRAM_SHA256, SLICE_LIT(RFC_FIRST),
                                           SLICE_LIT("a,b"), &r),
                     AUTH_SCRAM_MALFORMED);
}

/* Client-final messages after the RFC's first step. */
static void test_malformed_final(void **state)
{
    (void)state;
    db_standard();
#define N RFC_CNONCE RFC_SNONCE
#define P "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    static const struct {
        const char *msg;
        enum auth_scram_status st;
        const char *reply;
    } cases[] = {
        {"", AUTH_SCRAM_MALFORMED, "e=invalid-encoding"},
        {"c=biws,r=" N, AUTH_SCRAM_MALFORMED, "e=invalid-encoding"},  /* no proof */
        {"r=" N ",p=" P, AUTH_SCRAM_MALFORMED, "e=invalid-encoding"}, /* no c= */
        {"c=biws,p=" P, AUTH_SCRAM_MALFORMED, "e=invalid-encoding"},  /* no r= */
        {"c=biws,r=" N ",p=" P ",x=1", AUTH_SCRAM_MALFORMED, "e=invalid-encoding"},
        {"c=biws,r=" N ",p=", AUTH_SCRAM_MALFORMED, "e=invalid-encoding"},
        {"c=biws,r=" N ",1=x,p=" P, AUTH_SCRAM_MALFORMED, "e=invalid-encoding"},
        {"c=bi*s,r=" N ",p=" P, AUTH_SCRAM_MALFORMED, "e=invalid-encoding"},
        {"c=biws,r=" N ",p=dHzb*apWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", AUTH_SCRAM_MALFORMED,
         "e=invalid-encoding"},
        {"c=biws,r=" N ",p=dHzbZapW", AUTH_SCRAM_MALFORMED, "e=invalid-encoding"},      /* short */
        {"c=eSws,r=" N ",p=" P, AUTH_SCRAM_MALFORMED, "e=channel-bindings-dont-match"}, /* y,, */
        {"c=cD10bHMtdW5pcXVlLCw=,r=" N ",p=" P, AUTH_SCRAM_MALFORMED,
         "e=channel-bindings-dont-match"},
        {"c=biws,r=" RFC_CNONCE ",p=" P, AUTH_SCRAM_MALFORMED, "e=other-error"}, /* nonce */
        {"c=biws,r=" N "x,p=" P, AUTH_SCRAM_MALFORMED, "e=other-error"},
        {"c=biws,r=" N ",p=AHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", AUTH_SCRAM_FAILED,
         "e=invalid-proof"},
        {"c=biws,r=" N ",x=1,p=" P, AUTH_SCRAM_FAILED, "e=invalid-proof"}, /* ext is signed */
        {RFC_FINAL, AUTH_SCRAM_SUCCESS, RFC_SERVER_FINAL},
    };
#undef N
#undef P
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct auth_scram *s;
        struct slice r;
        assert_int_equal(start(&s, AUTH_SCRAM_SHA256, RFC_FIRST, &r), AUTH_SCRAM_CONTINUE);
        enum auth_scram_status st = auth_scram_finish(s, slice_cstr(cases[i].msg), &r);
        if (st != cases[i].st)
            fail_msg("case %zu (%s): status %d, want %d", i, cases[i].msg, st, cases[i].st);
        expect_reply(r, cases[i].reply);
        if (st != AUTH_SCRAM_SUCCESS)
            assert_int_equal(auth_scram_user(s).len, 0);
        auth_scram_free(s);
    }
}

static void test_method_and_reason(void **state)
{
    (void)state;
    assert_int_equal(auth_scram_method(SLICE_LIT("SCRAM-SHA-256")), AUTH_SCRAM_SHA256);
    assert_int_equal(auth_scram_method(SLICE_LIT("SCRAM-SHA-512")), AUTH_SCRAM_SHA512);
    assert_int_equal(auth_scram_method(SLICE_LIT("scram-sha-256")), AUTH_SCRAM_NONE);
    assert_int_equal(auth_scram_method(SLICE_LIT("SCRAM-SHA-1")), AUTH_SCRAM_NONE);
    assert_int_equal(auth_scram_method(SLICE_LIT("SCRAM-SHA-256-PLUS")), AUTH_SCRAM_NONE);
    assert_int_equal(auth_scram_method(SLICE_NULL), AUTH_SCRAM_NONE);
    assert_string_equal(auth_scram_method_name(AUTH_SCRAM_SHA256), "SCRAM-SHA-256");
    assert_string_equal(auth_scram_method_name(AUTH_SCRAM_SHA512), "SCRAM-SHA-512");
    assert_null(auth_scram_method_name(AUTH_SCRAM_NONE));
    assert_int_equal(auth_scram_reason(AUTH_SCRAM_CONTINUE, false), 0x18);
    assert_int_equal(auth_scram_reason(AUTH_SCRAM_SUCCESS, false), 0x00);
    assert_int_equal(auth_scram_reason(AUTH_SCRAM_FAILED, false),
                     MQTT_RC_BAD_USER_NAME_OR_PASSWORD);
    assert_int_equal(auth_scram_reason(AUTH_SCRAM_FAILED, true), MQTT_RC_NOT_AUTHORIZED);
    assert_int_equal(auth_scram_reason(AUTH_SCRAM_MALFORMED, false), MQTT_RC_NOT_AUTHORIZED);
    assert_int_equal(auth_scram_reason(AUTH_SCRAM_MALFORMED, true), MQTT_RC_NOT_AUTHORIZED);
}

/* The public entry point, over files loaded as the broker loads them:
 * random nonces, both formats, and the same made-up salt after a reload. */
static void test_public_api(void **state)
{
    (void)state;
    char *dir = th_tmpdir();
    char s1[AUTH_SCRAM_SECRET_MAX], s2[AUTH_SCRAM_SECRET_MAX], text[1024];
    assert_int_equal(auth_hash_scram("pw-one", 0, AUTH_SCRAM_ALL, s1, sizeof s1), 0);
    assert_int_equal(auth_hash_scram("pw-two", 4097, AUTH_SCRAM_SHA512, s2, sizeof s2), 0);
    const char *pwf = th_path(dir, "passwd"), *props = th_path(dir, "users.properties");
    snprintf(text, sizeof text, "one:%s\n", s1);
    assert_int_equal(th_write(pwf, text), 0);
    snprintf(text, sizeof text, "two=%s\nplain=text\n", s2);
    assert_int_equal(th_write(props, text), 0);
    struct auth_config cfg = {false, pwf, props, NULL, NULL};
    char err[256];
    log_set_fd(open("/dev/null", O_WRONLY)); /* the plain-text warning */
    struct auth *a = auth_load(&cfg, err, sizeof err);
    assert_non_null(a);

    static const struct {
        enum auth_scram_mech mech;
        const char *user, *pw;
        enum auth_scram_status want;
    } cases[] = {
        {AUTH_SCRAM_SHA256, "one", "pw-one", AUTH_SCRAM_SUCCESS},
        {AUTH_SCRAM_SHA512, "one", "pw-one", AUTH_SCRAM_SUCCESS},
        {AUTH_SCRAM_SHA512, "two", "pw-two", AUTH_SCRAM_SUCCESS},
        {AUTH_SCRAM_SHA256, "two", "pw-two", AUTH_SCRAM_FAILED},
        {AUTH_SCRAM_SHA512, "plain", "text", AUTH_SCRAM_FAILED},
        {AUTH_SCRAM_SHA512, "none", "x", AUTH_SCRAM_FAILED},
    };
    char first_nonce[64] = "";
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tc_scram c;
        struct auth_scram *s;
        struct slice r;
        tc_first(&c, cases[i].mech, "n,,", cases[i].user, "client", cases[i].pw);
        assert_int_equal(auth_scram_start(&s, a, cases[i].mech, slice_cstr(c.first), &r),
                         AUTH_SCRAM_CONTINUE);
        char nonce[64];
        assert_true(tc_attr((const char *)r.ptr, r.len, 'r', nonce, sizeof nonce));
        assert_int_equal(strlen(nonce), 6 + 24);
        assert_true(strncmp(nonce, "client", 6) == 0);
        assert_string_not_equal(nonce, first_nonce); /* fresh every time */
        snprintf(first_nonce, sizeof first_nonce, "%s", nonce);
        assert_true(tc_final(&c, r, NULL));
        assert_int_equal(auth_scram_finish(s, slice_cstr(c.final), &r), cases[i].want);
        auth_scram_free(s);
    }
    /* Plain CONNECT passwords verify against the same secrets. */
    struct slice u = SLICE_LIT("two"), p = SLICE_LIT("pw-two"), bad = SLICE_LIT("pw-one");
    assert_int_equal(auth_check_password(a, &u, &p), AUTH_OK);
    assert_int_equal(auth_check_password(a, &u, &bad), AUTH_BAD_CREDENTIALS);
    assert_true(auth_check_is_slow(a, &u));

    /* A reload of the same files gives the same made-up salt. */
    struct auth *b = auth_load(&cfg, err, sizeof err);
    assert_non_null(b);
    log_set_fd(-1);
    struct auth_scram *sa, *sb;
    struct slice ra, rb;
    assert_int_equal(auth_scram_start(&sa, a, AUTH_SCRAM_SHA256, SLICE_LIT("n,,n=ghost,r=x"), &ra),
                     AUTH_SCRAM_CONTINUE);
    assert_int_equal(auth_scram_start(&sb, b, AUTH_SCRAM_SHA256, SLICE_LIT("n,,n=ghost,r=x"), &rb),
                     AUTH_SCRAM_CONTINUE);
    const char *sa_s = strstr((const char *)ra.ptr, ",s="),
               *sb_s = strstr((const char *)rb.ptr, ",s=");
    assert_non_null(sa_s);
    assert_non_null(sb_s);
    assert_memory_equal(sa_s, sb_s, 3 + 24);
    auth_scram_free(sa);
    auth_scram_free(sb);
    auth_unref(b);
    /* The exchange holds no reference: it outlives the struct auth. */
    struct auth_scram *s;
    struct tc_scram c;
    struct slice r;
    tc_first(&c, AUTH_SCRAM_SHA256, "n,,", "one", "late", "pw-one");
    assert_int_equal(auth_scram_start(&s, a, AUTH_SCRAM_SHA256, slice_cstr(c.first), &r),
                     AUTH_SCRAM_CONTINUE);
    assert_true(tc_final(&c, r, NULL));
    auth_unref(a);
    assert_int_equal(auth_scram_finish(s, slice_cstr(c.final), &r), AUTH_SCRAM_SUCCESS);
    auth_scram_free(s);
    th_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_rfc7677_vector, teardown),
        cmocka_unit_test_teardown(test_round_trips, teardown),
        cmocka_unit_test_teardown(test_no_usable_secret, teardown),
        cmocka_unit_test_teardown(test_fake_iterations, teardown),
        cmocka_unit_test_teardown(test_malformed_first, teardown),
        cmocka_unit_test_teardown(test_malformed_final, teardown),
        cmocka_unit_test(test_method_and_reason),
        cmocka_unit_test(test_public_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
