/*
 * test_text.c - src/cli/common_text.c: CONNACK codes in words (what a
 * user reads when the broker refuses), and the exit-code table of --help.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/common.h"

static void expect(uint8_t version, uint8_t code, const char *want)
{
    char out[160];
    cli_connack_explain(version, code, out, sizeof out);
    assert_string_equal(out, want);
}

static void test_connack_v5(void **state)
{
    expect(MQTT_V5, 0x86, "Connection refused: bad user name or password (0x86)");
    expect(MQTT_V5, 0x87, "Connection refused: not authorized (0x87)");
    expect(MQTT_V5, 0x85, "Connection refused: client identifier not valid (0x85)");
    expect(MQTT_V5, 0x9B, "Connection refused: QoS not supported (0x9b)");
    /* Not a CONNACK code: the specification's name, or "Unknown". */
    expect(MQTT_V5, 0x8E, "Connection refused: Session taken over (0x8e)");
    expect(MQTT_V5, 0xFF, "Connection refused: Unknown (0xff)");
}

static void test_connack_v3(void **state)
{
    expect(MQTT_V311, 1, "Connection refused: unacceptable protocol version (1)");
    expect(MQTT_V311, 2, "Connection refused: identifier rejected (2)");
    expect(MQTT_V311, 3, "Connection refused: server unavailable (3)");
    expect(MQTT_V311, 4, "Connection refused: bad user name or password (4)");
    expect(MQTT_V31, 5, "Connection refused: not authorized (5)");
    expect(MQTT_V311, 6, "Connection refused: unknown return code (6)");
}

static void test_exit_codes_help(void **state)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    cli_exit_codes_print(f, CLI_SUB);
    fclose(f);
    /* Each status scripts rely on is listed with its number. */
    const char *lines[] = {"  0  ", "  1  ", "  2  ", "  3  ", "  4  ", "  5  "};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        assert_non_null(strstr(text, lines[i]));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connack_v5),
        cmocka_unit_test(test_connack_v3),
        cmocka_unit_test(test_exit_codes_help),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
