/*
 * test_eauth.c - the enhanced-authentication method table: a name the
 * broker does not offer is not found (CONNACK 0x8C [MQTT-4.12.0-1]), and
 * the test-only method is not part of a build that did not link it (this
 * executable, like a release petrel).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "broker/eauth.h"

static void test_unknown_methods(void **state)
{
    assert_null(eauth_method_find(SLICE_LIT("SCRAM-SHA-1")));
    assert_null(eauth_method_find(SLICE_LIT("")));
    assert_null(eauth_method_find(SLICE_NULL));
}

static void test_test_method_not_linked(void **state)
{
    assert_null(eauth_method_find(SLICE_LIT("PETREL-TEST-CHALLENGE")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_methods),
        cmocka_unit_test(test_test_method_not_linked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
