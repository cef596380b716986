/*
 * test_base64.c - src/util/base64.c: RFC 4648 test vectors both ways,
 * unpadded input, every byte value, and what the decoder refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/base64.h"

static const char *const vectors[][2] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

static void test_rfc4648_vectors(void **state)
{
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        const char *plain = vectors[i][0], *enc = vectors[i][1];
        char out[32];
        base64_encode((const uint8_t *)plain, strlen(plain), out);
        assert_string_equal(out, enc);
        assert_int_equal(strlen(out), base64_encoded_len(strlen(plain)));
        uint8_t dec[32];
        assert_int_equal(base64_decode(enc, strlen(enc), dec), (long)strlen(plain));
        assert_memory_equal(dec, plain, strlen(plain));
        /* Without the padding. */
        size_t n = strlen(enc);
        while (n > 0 && enc[n - 1] == '=')
            n--;
        assert_int_equal(base64_decode(enc, n, dec), (long)strlen(plain));
    }
}

static void test_every_byte(void **state)
{
    uint8_t in[256], dec[base64_decoded_max(344)];
    char enc[345];
    for (int i = 0; i < 256; i++)
        in[i] = (uint8_t)i;
    for (size_t n = 0; n <= 256; n += 37) {
        base64_encode(in, n, enc);
        assert_int_equal(base64_decode(enc, strlen(enc), dec), (long)n);
        assert_memory_equal(dec, in, n);
    }
    base64_encode(NULL, 0, enc);
    assert_string_equal(enc, "");
}

static void test_refused(void **state)
{
    static const char *const bad[] = {"Zg=",      "Z",    "Zm9v\n", "Zm 9",
                                      "Zm9v====", "Zh==", "Zm9-",   "=Zm9"};
    uint8_t dec[16];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(base64_decode(bad[i], strlen(bad[i]), dec), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648_vectors),
        cmocka_unit_test(test_every_byte),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
