/*
 * bench.c - petrel-bench: an MQTT load generator that counts loss,
 * duplicates and reordering exactly and measures end-to-end latency.
 *
 *   petrel-bench fanin -q 1 --pubs 100 --subs 1 -p 1883 --duration 10
 *
 * This file is only the program's outline: parse the command line, build
 * the run, run it, print the report, exit with its status. The pieces are
 * described in bench.h.
 */
#include <stdio.h>
#include <string.h>

#include "cli/bench.h"

int main(int argc, char **argv)
{
    static struct bench_opts o; /* static: large, and lives as long as the program */
    switch (bench_opts_parse(&o, argc, argv)) {
    case BENCH_PARSE_HELP:
        bench_usage_print(stdout, true);
        return BENCH_EXIT_OK;
    case BENCH_PARSE_VERSION:
        printf("petrel-bench %s\n", PETREL_VERSION);
        return BENCH_EXIT_OK;
    case BENCH_PARSE_ERROR:
        fprintf(stderr, "petrel-bench: %s\n", o.err);
        bench_usage_print(stderr, false);
        return BENCH_EXIT_USAGE;
    }
    struct bench_run r;
    int rc = bench_run_init(&r, &o);
    if (rc == 0) {
        rc = bench_run_go(&r);
        rc = bench_report_final(&r, rc);
    }
    bench_run_fini(&r);
    return rc;
}
