/*
 * fuzz_config.c - libFuzzer target for the configuration parser.
 *
 * The input is a whole file. config_load_string() takes a C string, so the
 * input is copied and NUL-terminated (embedded NULs end it early; the
 * NUL-byte check is covered by the unit tests through config_load()).
 * Every path must return 0 or -1 with a message, free everything it
 * allocated (config_fini) and never crash; the reference writer and path
 * resolution run on the result too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/config.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    if (!quiet) {
        /* Duplicate-key warnings would flood the fuzzer's output. */
        log_set_mask(0);
        quiet = 1;
    }
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct config c;
    char err[256];
    config_defaults(&c);
    if (config_load_string(&c, "etc/fuzz.conf", text, err, sizeof err) == 0) {
        char *p = config_resolve_path(&c, c.acl_file);
        free(p);
        p = config_resolve_path(&c, c.log_file);
        free(p);
    } else if (err[0] == '\0' || strlen(err) >= sizeof err) {
        abort(); /* every refusal says why */
    }
    config_fini(&c);
    free(text);
    return 0;
}
