/*
 * fuzz_store_import.c - libFuzzer target for the store export reader
 * (`petrel store import`, src/app/store_import.c).
 *
 * The input is read as an export into the memory store, whose commits
 * discard the rows: this exercises the line splitting, JSON parsing, field
 * checks and base64 decoding without touching the disk. A successful read
 * must have seen the header and the end line, and counted what it read.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "app/store_tool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct store st;
    static int opened;
    if (!opened) {
        if (store_open(&st, &store_memory_ops, NULL, NULL, 0) != 0)
            abort();
        opened = 1;
    }
    if (size == 0)
        return 0;
    FILE *in = fmemopen((void *)data, size, "r");
    if (in == NULL)
        return 0;
    struct app_store_counts c;
    char err[512] = "";
    int rc = app_store_import_into(&st, in, "fuzz", &c, err, sizeof err);
    fclose(in);
    if (rc != 0 && err[0] == '\0')
        abort(); /* a refusal always says why */
    return 0;
}
