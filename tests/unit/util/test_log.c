/*
 * test_log.c - log_printable (escaping client data for log lines) and
 * log_type_parse (mosquitto's log_type words).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/log.h"

static void printable_passes_plain_text(void **state)
{
    (void)state;
    char out[64];
    assert_string_equal(log_printable(SLICE_LIT("client-1 ok"), out, sizeof out), "client-1 ok");
    assert_string_equal(log_printable(SLICE_NULL, out, sizeof out), "");
}

/* Control bytes, '\', DEL and non-ASCII cannot forge a log line. */
static void printable_escapes(void **state)
{
    (void)state;
    char out[64];
    assert_string_equal(log_printable(SLICE_LIT("a\nb"), out, sizeof out), "a\\x0ab");
    assert_string_equal(log_printable(SLICE_LIT("\\"), out, sizeof out), "\\x5c");
    assert_string_equal(log_printable(SLICE_LIT("\x7f\x00\xc3\xa9"), out, sizeof out),
                        "\\x7f\\x00\\xc3\\xa9");
    assert_string_equal(log_printable(SLICE_LIT("\r\x1b[2J"), out, sizeof out), "\\x0d\\x1b[2J");
}

static void printable_truncates(void **state)
{
    (void)state;
    char out[16];
    assert_string_equal(log_printable(SLICE_LIT("abcdefghijklmnopqrstuvwxyz"), out, sizeof out),
                        "abcdefghijkl...");
    /* An escape that does not fit is not cut in half. */
    assert_string_equal(log_printable(SLICE_LIT("abcdefghij\x01"), out, sizeof out),
                        "abcdefghij...");
}

/* Whatever cap, the output is NUL-terminated inside it and nothing past it is touched. */
static void printable_never_overflows(void **state)
{
    (void)state;
    const struct slice s = SLICE_LIT("x\x01y\x02z\\0123456789");
    for (size_t cap = 1; cap < 48; cap++) {
        char out[64];
        memset(out, '#', sizeof out);
        const char *r = log_printable(s, out, cap);
        assert_ptr_equal(r, out);
        assert_true(strlen(out) < cap);
        for (size_t i = cap; i < sizeof out; i++)
            assert_int_equal(out[i], '#');
    }
    char untouched = '#';
    log_printable(s, &untouched, 0);
    assert_int_equal(untouched, '#');
}

static void type_parse(void **state)
{
    (void)state;
    static const struct {
        const char *word;
        unsigned mask;
    } cases[] = {
        {"error", 1u << LOG_LVL_ERROR},
        {"warning", 1u << LOG_LVL_WARNING},
        {"notice", 1u << LOG_LVL_NOTICE},
        {"information", 1u << LOG_LVL_INFO},
        {"info", 1u << LOG_LVL_INFO},
        {"debug", 1u << LOG_LVL_DEBUG},
        {"all", LOG_MASK_ALL},
        {"none", 0},
        {"subscribe", 1u << LOG_LVL_DEBUG},
        {"unsubscribe", 1u << LOG_LVL_DEBUG},
        {"websockets", 1u << LOG_LVL_DEBUG},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned mask = 0xDEAD;
        assert_int_equal(log_type_parse(cases[i].word, &mask), 0);
        assert_int_equal(mask, cases[i].mask);
    }
    unsigned mask = 0xDEAD;
    assert_int_equal(log_type_parse("Error", &mask), -1);
    assert_int_equal(log_type_parse("", &mask), -1);
    assert_int_equal(log_type_parse("errors", &mask), -1);
    assert_int_equal(mask, 0xDEAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(printable_passes_plain_text),
        cmocka_unit_test(printable_escapes),
        cmocka_unit_test(printable_truncates),
        cmocka_unit_test(printable_never_overflows),
        cmocka_unit_test(type_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
