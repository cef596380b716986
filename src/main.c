/*
 * main.c - the petrel command line: argument handling only; the broker is
 * built and run by src/app.
 *
 *   petrel                     run with no config: 127.0.0.1:1883 and :61613, anonymous
 *   petrel -c FILE             run with a config file (mosquitto format)
 *   petrel run DIR             run the instance in DIR (DIR/etc/petrel.conf)
 *   petrel create DIR          make a new instance (like `apollo create`)
 *   petrel store CMD DIR ...   check, export or import a persistent store
 *   petrel -t -c FILE          check a config file and exit
 *   petrel --config-reference  print the option reference (Markdown)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "app/instance.h"
#include "app/store_tool.h"
#include "cfg/config.h"
#include "util/log.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: petrel [-c FILE] [-t]\n"
            "       petrel run DIR\n"
            "       petrel create DIR\n"
            "       petrel store check DIR | export DIR FILE | import DIR FILE\n"
            "       petrel --version | --help | --config-reference\n"
            "\n"
            "Petrel is an MQTT 3.1, 3.1.1 and 5.0 broker.\n"
            "\n"
            "  -c, --config FILE   run with this config file (mosquitto format)\n"
            "  -t, --test-config   check the config file and exit\n"
            "  run DIR             run the instance in DIR (reads DIR/etc/petrel.conf)\n"
            "  create DIR          make a new instance in DIR: config, users, ACL, an admin\n"
            "                      user with a generated password\n"
            "  store check DIR     report the health of the persistent store in DIR (a\n"
            "                      store directory or an instance); exit 1 on problems\n"
            "  store export DIR FILE  write the store as JSON lines (FILE - = stdout)\n"
            "  store import DIR FILE  fill an empty store from an export (FILE - = stdin)\n"
            "  --config-reference  print every config option as a Markdown table\n"
            "  -V, --version       print the version\n"
            "  -h, --help          print this help\n"
            "\n"
            "With no config, petrel listens on 127.0.0.1 ports 1883 and 61613 and lets\n"
            "anyone connect (loopback only).\n");
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "petrel: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n\n");
    usage(stderr);
    return 2;
}

/* Applies log_dest and log_type before anything else is logged. */
static int setup_log(const struct config *cfg)
{
    log_set_mask(cfg->log_mask);
    switch (cfg->log_dest) {
    case LOG_DEST_STDOUT:
        log_set_fd(dup(STDOUT_FILENO));
        break;
    case LOG_DEST_NONE:
        log_set_mask(0);
        break;
    case LOG_DEST_FILE: {
        char *path = config_resolve_path(cfg, cfg->log_file);
        int rc = log_open_file(path);
        if (rc != 0) {
            fprintf(stderr, "petrel: cannot open log file %s: %s\n", path, strerror(-rc));
            free(path);
            return -1;
        }
        free(path);
        break;
    }
    default:
        break;
    }
    return 0;
}

static int run_file(const char *path, bool test_only)
{
    struct config cfg;
    config_defaults(&cfg);
    char err[1024];
    if (config_load(&cfg, path, err, sizeof err) != 0) {
        fprintf(stderr, "petrel: %s\n", err);
        config_fini(&cfg);
        return 1;
    }
    if (cfg.listener_count == 0) {
        fprintf(stderr, "petrel: %s: no listener configured (add e.g. 'listener 1883')\n", path);
        config_fini(&cfg);
        return 1;
    }
    if (test_only) {
        printf("%s: configuration OK\n", path);
        config_fini(&cfg);
        return 0;
    }
    int rc = setup_log(&cfg) == 0 ? app_run(&cfg, false) : 1;
    config_fini(&cfg);
    return rc;
}

static int run_builtin(void)
{
    struct config cfg;
    app_builtin_config(&cfg);
    int rc = app_run(&cfg, true);
    config_fini(&cfg);
    return rc;
}

static int run_instance(const char *dir, bool test_only)
{
    char path[4096];
    if (instance_config_path(dir, path, sizeof path) != 0) {
        fprintf(stderr, "petrel: %s: path too long\n", dir);
        return 1;
    }
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "petrel: %s is not a Petrel instance (no %s); make one with "
                        "'petrel create %s'\n", dir, path, dir);
        return 1;
    }
    return run_file(path, test_only);
}

static int create_instance(const char *dir)
{
    char err[1024];
    if (instance_create(dir, stdout, err, sizeof err) != 0) {
        fprintf(stderr, "petrel: %s\n", err);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *config = NULL;
    bool test_only = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
            printf("petrel %s\n", PETREL_VERSION);
            return 0;
        } else if (strcmp(a, "--config-reference") == 0) {
            config_write_reference(stdout);
            return 0;
        } else if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
            if (i + 1 >= argc)
                return usage_error("%s needs a file name", a);
            config = argv[++i];
        } else if (strcmp(a, "-t") == 0 || strcmp(a, "--test-config") == 0) {
            test_only = true;
        } else if (strcmp(a, "store") == 0) {
            return app_store_command(argc - i - 1, argv + i + 1, stdout, stderr);
        } else if (strcmp(a, "run") == 0 || strcmp(a, "create") == 0) {
            if (i + 2 != argc)
                return usage_error("'%s' takes exactly one directory", a);
            if (strcmp(a, "run") == 0)
                return run_instance(argv[i + 1], test_only);
            return create_instance(argv[i + 1]);
        } else {
            fprintf(stderr, "petrel: unexpected argument '%s'\n\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (config)
        return run_file(config, test_only);
    if (test_only) {
        fprintf(stderr, "petrel: -t needs a config file (-c FILE)\n");
        return 2;
    }
    return run_builtin();
}
