/*
 * test_utf8.c - mqtt_utf8_valid: RFC 3629 well-formedness plus no U+0000
 * [MQTT-1.5.4-1] [MQTT-1.5.4-2]; mqtt_utf8_data_valid: the same with
 * U+0000 allowed (payloads with Payload Format Indicator 1).
 */
#include "codec_test.h"

struct u8case {
    const char *name;
    uint8_t b[8];
    size_t n;
    bool ok;
};

static const struct u8case cases[] = {
    {"empty", {0}, 0, true},
    {"ascii", {'a', 'b', '/'}, 3, true},
    {"U+0000 [MQTT-1.5.4-2]", {'a', 0x00, 'b'}, 3, false},
    {"U+0001 control (MAY reject; accepted)", {0x01}, 1, true},
    {"U+007F", {0x7F}, 1, true},
    {"U+0080", {0xC2, 0x80}, 2, true},
    {"U+07FF", {0xDF, 0xBF}, 2, true},
    {"overlong U+0000 C0 80", {0xC0, 0x80}, 2, false},
    {"overlong C1 BF", {0xC1, 0xBF}, 2, false},
    {"U+0800", {0xE0, 0xA0, 0x80}, 3, true},
    {"overlong E0 9F BF", {0xE0, 0x9F, 0xBF}, 3, false},
    {"U+D7FF", {0xED, 0x9F, 0xBF}, 3, true},
    {"surrogate U+D800 [MQTT-1.5.4-1]", {0xED, 0xA0, 0x80}, 3, false},
    {"surrogate U+DFFF [MQTT-1.5.4-1]", {0xED, 0xBF, 0xBF}, 3, false},
    {"U+E000", {0xEE, 0x80, 0x80}, 3, true},
    {"U+FEFF BOM [MQTT-1.5.4-3] kept", {0xEF, 0xBB, 0xBF}, 3, true},
    {"U+FFFF non-character", {0xEF, 0xBF, 0xBF}, 3, true},
    {"U+10000", {0xF0, 0x90, 0x80, 0x80}, 4, true},
    {"overlong F0 8F BF BF", {0xF0, 0x8F, 0xBF, 0xBF}, 4, false},
    {"U+10FFFF 4-byte max", {0xF4, 0x8F, 0xBF, 0xBF}, 4, true},
    {"U+110000", {0xF4, 0x90, 0x80, 0x80}, 4, false},
    {"F5 lead", {0xF5, 0x80, 0x80, 0x80}, 4, false},
    {"FE", {0xFE}, 1, false},
    {"FF", {0xFF}, 1, false},
    {"lone continuation", {0x80}, 1, false},
    {"truncated 2-byte", {0xC2}, 1, false},
    {"truncated 3-byte", {0xE0, 0xA0}, 2, false},
    {"truncated 4-byte", {0xF0, 0x90, 0x80}, 3, false},
    {"bad continuation", {0xC2, 0x41}, 2, false},
    {"bad 3rd byte", {0xE2, 0x82, 0x28}, 3, false},
    {"bad 4th byte", {0xF0, 0x90, 0x80, 0x28}, 4, false},
    {"mixed", {'a', 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 'z'}, 7, true},
};

static void utf8_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* Exactly-sized copy: a read past the end trips ASan. */
        uint8_t *b = malloc(cases[i].n ? cases[i].n : 1);
        assert_non_null(b);
        memcpy(b, cases[i].b, cases[i].n);
        struct slice s = slice_make(cases[i].n ? b : NULL, cases[i].n);
        bool got = mqtt_utf8_valid(s);
        if (got != cases[i].ok)
            print_error("%s\n", cases[i].name);
        assert_int_equal(got, cases[i].ok);
        /* Payload data differs only in allowing U+0000. */
        bool nul = strcmp(cases[i].name, "U+0000 [MQTT-1.5.4-2]") == 0;
        bool data = mqtt_utf8_data_valid(s);
        if (data != (cases[i].ok || nul))
            print_error("data: %s\n", cases[i].name);
        assert_int_equal(data, cases[i].ok || nul);
        free(b);
    }
}

/* Every code point U+0001..U+10FFFF outside the surrogates, encoded by hand. */
static void utf8_every_scalar_value(void **state)
{
    (void)state;
    for (uint32_t cp = 1; cp <= 0x10FFFF; cp++) {
        uint8_t b[4];
        size_t n;
        if (cp < 0x80) {
            b[0] = (uint8_t)cp;
            n = 1;
        } else if (cp < 0x800) {
            b[0] = (uint8_t)(0xC0 | cp >> 6);
            b[1] = (uint8_t)(0x80 | (cp & 0x3F));
            n = 2;
        } else if (cp < 0x10000) {
            b[0] = (uint8_t)(0xE0 | cp >> 12);
            b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
            b[2] = (uint8_t)(0x80 | (cp & 0x3F));
            n = 3;
        } else {
            b[0] = (uint8_t)(0xF0 | cp >> 18);
            b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
            b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
            b[3] = (uint8_t)(0x80 | (cp & 0x3F));
            n = 4;
        }
        bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
        if (mqtt_utf8_valid(slice_make(b, n)) == surrogate)
            fail_msg("U+%04X", cp);
    }
}

static void utf8_data_allows_nul_only(void **state)
{
    (void)state;
    const uint8_t nul[] = {0x00}, text[] = {'a', 0x00, 0xC3, 0xA9, 0x00};
    const uint8_t overlong_nul[] = {0xC0, 0x80};
    assert_true(mqtt_utf8_data_valid(slice_make(nul, sizeof nul)));
    assert_true(mqtt_utf8_data_valid(slice_make(text, sizeof text)));
    assert_false(mqtt_utf8_valid(slice_make(text, sizeof text)));
    /* The overlong form of U+0000 is still ill-formed. */
    assert_false(mqtt_utf8_data_valid(slice_make(overlong_nul, sizeof overlong_nul)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(utf8_table),
        cmocka_unit_test(utf8_every_scalar_value),
        cmocka_unit_test(utf8_data_allows_nul_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
