/*
 * test_config.c - src/cfg: the option table, the parser and its messages,
 * defaults, listener scoping, path resolution and the generated reference.
 *
 * Error texts are compared whole: they are what a person reads when the
 * broker refuses to start, so a change to one is a change to the product.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfg/config.h"
#include "cfg/options.h"
#include "util/log.h"

#define NAME "petrel.conf"

static char err[1024];

/* Loads text into *c from fresh defaults; returns config_load_string's result. */
static int load(struct config *c, const char *text)
{
    config_defaults(c);
    err[0] = '\0';
    return config_load_string(c, NAME, text, err, sizeof err);
}

static void expect_error(const char *text, const char *want)
{
    struct config c;
    assert_int_equal(load(&c, text), -1);
    assert_string_equal(err, want);
    /* A refused file leaves the defaults, never half a file. */
    assert_int_equal(c.listener_count, 0);
    assert_null(c.path);
    config_fini(&c);
}

/* Log capture: the log sink writes into an unlinked temporary file. */
static int capture_begin(void)
{
    char tmpl[] = "/tmp/petrel-test-logXXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    unlink(tmpl);
    log_set_fd(dup(fd));
    return fd;
}

static void capture_end(int fd, char *out, size_t cap)
{
    log_set_fd(-1);
    ssize_t n = pread(fd, out, cap - 1, 0);
    out[n > 0 ? n : 0] = '\0';
    close(fd);
}

static void test_defaults(void **state)
{
    struct config c;
    config_defaults(&c);
    assert_null(c.path);
    assert_int_equal(c.listener_count, 0);
    assert_int_equal(c.threads, 0);
    assert_false(c.allow_anonymous);
    assert_null(c.password_file);
    assert_null(c.users_file);
    assert_null(c.groups_file);
    assert_null(c.acl_file);
    assert_false(c.persistence);
    assert_null(c.persistence_location);
    assert_int_equal(c.persistence_sync, CONFIG_SYNC_FULL);
    assert_int_equal(c.persistence_commit_interval, 0);
    assert_int_equal(c.persistence_max_size, 0);
    assert_int_equal(c.max_keepalive, 65535);
    assert_int_equal(c.max_inflight_messages, 20);
    assert_int_equal(c.max_queued_messages, 1000);
    assert_int_equal(c.max_queued_bytes, 0);
    assert_int_equal(c.max_packet_size, 0);
    assert_int_equal(c.max_write_buffer, 8u << 20);
    assert_int_equal(c.max_topic_length, 65535);
    assert_int_equal(c.max_topic_levels, 256);
    assert_int_equal(c.max_subscriptions, 0);
    assert_int_equal(c.connect_timeout, 10);
    assert_int_equal(c.sys_interval, 10);
    assert_int_equal(c.log_dest, LOG_DEST_STDERR);
    assert_null(c.log_file);
    assert_int_equal(c.log_mask, LOG_MASK_DEFAULT);
    config_fini(&c);
    config_fini(&c); /* twice is harmless */
}

static void test_empty_and_comments(void **state)
{
    struct config c;
    assert_int_equal(load(&c, ""), 0);
    assert_string_equal(c.path, NAME);
    config_fini(&c);
    assert_int_equal(load(&c, "# a comment\n\n   \t\n   # indented comment\r\n#no space\n"), 0);
    assert_int_equal(c.max_keepalive, 65535);
    config_fini(&c);
}

static void test_every_option_valid(void **state)
{
    struct config c;
    const char *text = "listener 1883\n"
                       "max_connections 100\n"
                       "max_topic_alias 0\n"
                       "listener 61613 0.0.0.0\n"
                       "listener 0 ::1\n"
                       "max_connections -1\n"
                       "listener 8883 [::]\n"
                       "listener 65535 broker.example.com\n"
                       "threads 4\n"
                       "allow_anonymous true\n"
                       "password_file /etc/petrel/passwd\n"
                       "users_file users.properties\n"
                       "groups_file my groups.properties\n"
                       "acl_file acl.conf\n"
                       "persistence true\n"
                       "persistence_location ../data\n"
                       "persistence_sync normal\n"
                       "persistence_commit_interval 5\n"
                       "persistence_max_size 64M\n"
                       "max_keepalive 0\n"
                       "max_inflight_messages 65535\n"
                       "max_queued_messages 4294967295\n"
                       "max_queued_bytes 1G\n"
                       "max_packet_size 20\n"
                       "max_write_buffer 64k\n"
                       "max_topic_length 1\n"
                       "max_topic_levels 65535\n"
                       "max_subscriptions 7\n"
                       "connect_timeout 3600\n"
                       "max_client_id_length 23\n"
                       "max_qos 1\n"
                       "retain_available false\n"
                       "reason_strings false\n"
                       "response_information reply/to me/\n"
                       "server_reference other.example.com:1884 [::1]:1883 10.0.0.1\n"
                       "server_reference_mode moved\n"
                       "receive_maximum 1\n"
                       "sys_interval 0\n"
                       "log_dest file ../log/petrel.log\n"
                       "log_type error\n";
    assert_int_equal(load(&c, text), 0);
    assert_int_equal(c.listener_count, 5);
    assert_int_equal(c.listeners[0].port, 1883);
    assert_null(c.listeners[0].address);
    assert_int_equal(c.listeners[0].max_connections, 100);
    assert_int_equal(c.listeners[0].max_topic_alias, 0);
    assert_int_equal(c.listeners[1].max_topic_alias, 10); /* mosquitto's default */
    assert_int_equal(c.listeners[1].port, 61613);
    assert_string_equal(c.listeners[1].address, "0.0.0.0");
    assert_int_equal(c.listeners[1].max_connections, -1);
    assert_int_equal(c.listeners[2].port, 0);
    assert_string_equal(c.listeners[2].address, "::1");
    assert_string_equal(c.listeners[3].address, "::");
    assert_int_equal(c.listeners[4].port, 65535);
    assert_string_equal(c.listeners[4].address, "broker.example.com");
    assert_int_equal(c.threads, 4);
    assert_true(c.allow_anonymous);
    assert_string_equal(c.password_file, "/etc/petrel/passwd");
    assert_string_equal(c.users_file, "users.properties");
    assert_string_equal(c.groups_file, "my groups.properties");
    assert_string_equal(c.acl_file, "acl.conf");
    assert_true(c.persistence);
    assert_string_equal(c.persistence_location, "../data");
    assert_int_equal(c.persistence_sync, CONFIG_SYNC_NORMAL);
    assert_int_equal(c.persistence_commit_interval, 5);
    assert_int_equal(c.persistence_max_size, 64u << 20);
    assert_int_equal(c.max_keepalive, 0);
    assert_int_equal(c.max_inflight_messages, 65535);
    assert_int_equal(c.max_queued_messages, 4294967295u);
    assert_int_equal(c.max_queued_bytes, 1u << 30);
    assert_int_equal(c.max_packet_size, 20);
    assert_int_equal(c.max_write_buffer, 65536);
    assert_int_equal(c.max_topic_length, 1);
    assert_int_equal(c.max_topic_levels, 65535);
    assert_int_equal(c.max_subscriptions, 7);
    assert_int_equal(c.connect_timeout, 3600);
    assert_int_equal(c.max_client_id_length, 23);
    assert_int_equal(c.max_qos, 1);
    assert_false(c.retain_available);
    assert_false(c.reason_strings);
    assert_string_equal(c.response_information, "reply/to me/");
    assert_string_equal(c.server_reference, "other.example.com:1884 [::1]:1883 10.0.0.1");
    assert_int_equal(c.server_reference_mode, CONFIG_REDIRECT_MOVED);
    assert_int_equal(c.receive_maximum, 1);
    assert_int_equal(c.sys_interval, 0);
    assert_int_equal(c.log_dest, LOG_DEST_FILE);
    assert_string_equal(c.log_file, "../log/petrel.log");
    assert_int_equal(c.log_mask, 1u << LOG_LVL_ERROR);
    config_fini(&c);
}

static void test_whitespace_and_crlf(void **state)
{
    struct config c;
    assert_int_equal(load(&c, "\xef\xbb\xbf  max_keepalive\t\t 60 \r\n"
                              "\tacl_file   a b.conf  \r\n"
                              "allow_anonymous false"),
                     0);
    assert_int_equal(c.max_keepalive, 60);
    assert_string_equal(c.acl_file, "a b.conf");
    config_fini(&c);
}

/* Every row of the table: a missing value names the option and what it expects. */
static void test_every_option_missing_value(void **state)
{
    for (size_t i = 0; i < cfg_option_count; i++) {
        const struct cfg_option *opt = &cfg_options[i];
        char text[128], want[256], arg[96];
        const char *pre = (opt->flags & CFG_F_LISTENER) ? "listener 1\n" : "";
        unsigned line = (opt->flags & CFG_F_LISTENER) ? 2 : 1;
        snprintf(text, sizeof text, "%s%s   \n", pre, opt->name);
        snprintf(want, sizeof want, NAME ":%u: %s: missing value (expected %s)", line, opt->name,
                 cfg_option_arg_text(opt, arg, sizeof arg));
        expect_error(text, want);
    }
}

/* Every numeric row: both ends of its range load, one past either end does
 * not, and a word is not a number. */
static void test_every_number_range(void **state)
{
    for (size_t i = 0; i < cfg_option_count; i++) {
        const struct cfg_option *opt = &cfg_options[i];
        if (opt->type != CFG_INT && opt->type != CFG_U32 && opt->type != CFG_U64)
            continue;
        const char *pre = (opt->flags & CFG_F_LISTENER) ? "listener 1\n" : "";
        unsigned line = (opt->flags & CFG_F_LISTENER) ? 2 : 1;
        char text[128], want[256], range[96];
        struct config c;
        cfg_option_range_text(opt, range, sizeof range);
        snprintf(text, sizeof text, "%s%s %lld\n", pre, opt->name, (long long)opt->min);
        assert_int_equal(load(&c, text), 0);
        config_fini(&c);
        snprintf(text, sizeof text, "%s%s %lld\n", pre, opt->name, (long long)opt->max);
        assert_int_equal(load(&c, text), 0);
        config_fini(&c);
        if (opt->min > INT64_MIN && !((opt->flags & CFG_F_ZERO_OK) && opt->min - 1 == 0)) {
            snprintf(text, sizeof text, "%s%s %lld\n", pre, opt->name, (long long)opt->min - 1);
            snprintf(want, sizeof want, NAME ":%u: %s: %lld is out of range (%s)", line, opt->name,
                     (long long)opt->min - 1, range);
            expect_error(text, want);
        }
        if (opt->max < INT64_MAX) {
            snprintf(text, sizeof text, "%s%s %lld\n", pre, opt->name, (long long)opt->max + 1);
            snprintf(want, sizeof want, NAME ":%u: %s: %lld is out of range (%s)", line, opt->name,
                     (long long)opt->max + 1, range);
            expect_error(text, want);
        }
        snprintf(text, sizeof text, "%s%s abc\n", pre, opt->name);
        assert_int_equal(load(&c, text), -1);
        assert_non_null(strstr(err, "got 'abc'"));
        config_fini(&c);
    }
}

static void test_error_texts(void **state)
{
    expect_error("max_keepalive 70000\n",
                 NAME ":1: max_keepalive: 70000 is out of range (0..65535)");
    expect_error("\n\n\n\n\n\n\n\nallow_anonymous yes\n",
                 NAME ":9: allow_anonymous: expected true or false, got 'yes'");
    expect_error("allow_anonymous True\n",
                 NAME ":1: allow_anonymous: expected true or false, got 'True'");
    expect_error("persistence true false\n",
                 NAME ":1: persistence: unexpected 'false' after the value");
    expect_error("persistence_sync always\n",
                 NAME ":1: persistence_sync: expected full | normal | off, got 'always'");
    expect_error("persistence_sync off now\n",
                 NAME ":1: persistence_sync: unexpected 'now' after the value");
    expect_error("persistence_max_size 64k\n",
                 NAME ":1: persistence_max_size: 64k is out of range (0 or 1M or more)");
    expect_error("max_keepalive 10x\n",
                 NAME ":1: max_keepalive: expected a whole number, got '10x'");
    expect_error("max_keepalive 10 20\n",
                 NAME ":1: max_keepalive: unexpected '20' after the value");
    expect_error("max_keepalive 60 # one minute\n",
                 NAME ":1: max_keepalive: unexpected '# one minute' after the value");
    expect_error("max_keepalive 0x10\n",
                 NAME ":1: max_keepalive: expected a whole number, got '0x10'");
    expect_error("max_keepalive -\n", NAME ":1: max_keepalive: expected a whole number, got '-'");
    expect_error("threads 99999999999999999999999\n",
                 NAME ":1: threads: 99999999999999999999999 is out of range (0..1024)");
    expect_error("max_packet_size 10\n",
                 NAME ":1: max_packet_size: 10 is out of range (0 or 20..268435460)");
    expect_error("max_write_buffer 1000\n",
                 NAME ":1: max_write_buffer: 1000 is out of range (64k or more)");
    expect_error("max_connections 5\n", NAME ":1: max_connections applies to one listener and "
                                             "must follow a 'listener' line");
    expect_error("listener\n", NAME ":1: listener: missing value (expected PORT [ADDRESS])");
    expect_error("listener 70000\n", NAME ":1: listener: 70000 is out of range (0..65535)");
    expect_error("listener http\n", NAME ":1: listener: expected a whole number, got 'http'");
    expect_error("listener 1883 127.0.0.1 extra\n",
                 NAME ":1: listener: unexpected 'extra' after the value");
    expect_error("listener 1883 bad_host!\n",
                 NAME ":1: listener: 'bad_host!' is not an IP address or host name");
    expect_error("listener 1883 -a.example\n",
                 NAME ":1: listener: '-a.example' is not an IP address or host name");
    expect_error("log_dest syslog\n",
                 NAME ":1: log_dest: expected stderr, stdout, none or file PATH, got 'syslog'");
    expect_error("log_dest file\n", NAME ":1: log_dest: 'file' needs a PATH");
    expect_error("log_dest stderr now\n", NAME ":1: log_dest: unexpected 'now' after the value");
    expect_error("log_type verbose\n", NAME ":1: log_type: expected error, warning, notice, "
                                            "information, debug, all or none, got 'verbose'");
    expect_error("log_type error warning\n",
                 NAME ":1: log_type: unexpected 'warning' after the value");
}

/* The MQTT 5 options: their defaults, words and checked strings. */
static void test_mqtt5_options(void **state)
{
    struct config c;
    assert_int_equal(load(&c, ""), 0);
    assert_int_equal(c.max_qos, 2);
    assert_true(c.retain_available);
    assert_true(c.reason_strings);
    assert_null(c.response_information);
    assert_null(c.server_reference);
    assert_int_equal(c.server_reference_mode, CONFIG_REDIRECT_SHUTDOWN);
    assert_int_equal(c.max_client_id_length, 65535);
    config_fini(&c);
    assert_int_equal(load(&c, "server_reference_mode temporary\nserver_reference h\n"), 0);
    assert_int_equal(c.server_reference_mode, CONFIG_REDIRECT_TEMPORARY);
    config_fini(&c);
    expect_error("server_reference_mode later\n",
                 NAME ":1: server_reference_mode: expected shutdown | temporary | moved, got "
                      "'later'");
    expect_error("server_reference_mode moved now\n",
                 NAME ":1: server_reference_mode: unexpected 'now' after the value");
    expect_error("response_information a/+/\n",
                 NAME ":1: response_information: must not contain the wildcards '+' or '#'");
    expect_error("response_information a\x01\n",
                 NAME ":1: response_information: must be UTF-8 text without control characters");
    expect_error("response_information \xc3\x28\n",
                 NAME ":1: response_information: must be UTF-8 text without control characters");
    expect_error("server_reference host:0\n",
                 NAME ":1: server_reference: 'host:0' is not HOST, HOST:PORT or [IPV6]:PORT");
    expect_error("server_reference a b:65536\n",
                 NAME ":1: server_reference: 'b:65536' is not HOST, HOST:PORT or [IPV6]:PORT");
    expect_error("server_reference [::1\n",
                 NAME ":1: server_reference: '[::1' is not HOST, HOST:PORT or [IPV6]:PORT");
    expect_error("server_reference [::1]x\n",
                 NAME ":1: server_reference: '[::1]x' is not HOST, HOST:PORT or [IPV6]:PORT");
    expect_error("server_reference bad_name\n",
                 NAME ":1: server_reference: 'bad_name' is not HOST, HOST:PORT or [IPV6]:PORT");
    expect_error("server_reference h:\n",
                 NAME ":1: server_reference: 'h:' is not HOST, HOST:PORT or [IPV6]:PORT");
}

static void test_unknown_and_suggestions(void **state)
{
    expect_error("# comment\n\nlisten 1883\n",
                 NAME ":3: unknown option 'listen'; did you mean 'listener'?");
    expect_error("\n\n\n\n\n\nmax_inflight 10\n",
                 NAME ":7: unknown option 'max_inflight'; did you mean 'max_inflight_messages'?");
    expect_error("alow_anonymous true\n",
                 NAME ":1: unknown option 'alow_anonymous'; did you mean 'allow_anonymous'?");
    expect_error("Allow_Anonymous true\n",
                 NAME ":1: unknown option 'Allow_Anonymous'; did you mean 'allow_anonymous'?");
    expect_error("persistance true\n",
                 NAME ":1: unknown option 'persistance'; did you mean 'persistence'?");
    expect_error("log_destination stderr\n",
                 NAME ":1: unknown option 'log_destination'; did you mean 'log_dest'?");
    expect_error("bind_address 0.0.0.0\n", NAME ":1: unknown option 'bind_address'");
    expect_error("port 1883\n", NAME ":1: unknown option 'port'");
    expect_error("max_ 1\n", NAME ":1: unknown option 'max_'");
    expect_error("\x01\x7f 1\n", NAME ":1: unknown option '\\x01\\x7f'");
}

static void test_listener_scoping(void **state)
{
    struct config c;
    int fd = capture_begin();
    assert_int_equal(load(&c, "listener 1\nmax_connections 5\nlistener 2\nmax_connections 6\n"
                              "listener 3\n"),
                     0);
    char log[4096];
    capture_end(fd, log, sizeof log);
    assert_string_equal(log, ""); /* the same key in another listener is no repeat */
    assert_int_equal(c.listeners[0].max_connections, 5);
    assert_int_equal(c.listeners[1].max_connections, 6);
    assert_int_equal(c.listeners[2].max_connections, -1);
    config_fini(&c);
    /* Twice within one listener is a repeat. */
    fd = capture_begin();
    assert_int_equal(load(&c, "listener 1\nmax_connections 5\nmax_connections 7\n"), 0);
    capture_end(fd, log, sizeof log);
    assert_int_equal(c.listeners[0].max_connections, 7);
    assert_non_null(strstr(log, NAME ":3: max_connections was already set on line 2"));
    config_fini(&c);
}

static void test_too_many_listeners(void **state)
{
    char text[CONFIG_MAX_LISTENERS * 16 + 32], want[128];
    size_t o = 0;
    for (int i = 0; i <= CONFIG_MAX_LISTENERS; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "listener %d\n", 1000 + i);
    snprintf(want, sizeof want, NAME ":%d: listener: too many listeners (at most %d)",
             CONFIG_MAX_LISTENERS + 1, CONFIG_MAX_LISTENERS);
    expect_error(text, want);
}

static void test_log_type_repeated(void **state)
{
    struct config c;
    assert_int_equal(load(&c, "log_type error\nlog_type debug\n"), 0);
    assert_int_equal(c.log_mask, (1u << LOG_LVL_ERROR) | (1u << LOG_LVL_DEBUG));
    config_fini(&c);
    assert_int_equal(load(&c, "log_type none\n"), 0);
    assert_int_equal(c.log_mask, 0);
    config_fini(&c);
    assert_int_equal(load(&c, "log_type all\nlog_type none\n"), 0);
    assert_int_equal(c.log_mask, LOG_MASK_ALL);
    config_fini(&c);
    assert_int_equal(load(&c, "log_type information\n"), 0);
    assert_int_equal(c.log_mask, 1u << LOG_LVL_INFO);
    config_fini(&c);
}

static void test_log_dest(void **state)
{
    struct config c;
    int fd = capture_begin();
    assert_int_equal(load(&c, "log_dest file a.log\nlog_dest stdout\n"), 0);
    char log[1024];
    capture_end(fd, log, sizeof log);
    assert_non_null(strstr(log, NAME ":2: log_dest was already set on line 1"));
    assert_int_equal(c.log_dest, LOG_DEST_STDOUT);
    assert_null(c.log_file);
    config_fini(&c);
    assert_int_equal(load(&c, "log_dest none\n"), 0);
    assert_int_equal(c.log_dest, LOG_DEST_NONE);
    config_fini(&c);
    assert_int_equal(load(&c, "log_dest file  /var/log/my petrel.log \n"), 0);
    assert_int_equal(c.log_dest, LOG_DEST_FILE);
    assert_string_equal(c.log_file, "/var/log/my petrel.log");
    config_fini(&c);
}

static void test_duplicate_key_warns(void **state)
{
    struct config c;
    int fd = capture_begin();
    assert_int_equal(load(&c, "max_keepalive 10\n# x\nmax_keepalive 20\nacl_file a\nacl_file b\n"),
                     0);
    char log[4096];
    capture_end(fd, log, sizeof log);
    assert_int_equal(c.max_keepalive, 20);
    assert_string_equal(c.acl_file, "b");
    assert_non_null(strstr(log, "warning: " NAME ":3: max_keepalive was already set on line 1; "
                                "the value on line 3 is used\n"));
    assert_non_null(strstr(log, "warning: " NAME ":5: acl_file was already set on line 4; "
                                "the value on line 5 is used\n"));
    config_fini(&c);
}

static void test_byte_suffixes(void **state)
{
    struct config c;
    assert_int_equal(load(&c, "max_queued_bytes 3k\nmax_write_buffer 2M\nmax_packet_size 1K\n"), 0);
    assert_int_equal(c.max_queued_bytes, 3072);
    assert_int_equal(c.max_write_buffer, 2u << 20);
    assert_int_equal(c.max_packet_size, 1024);
    config_fini(&c);
    assert_int_equal(load(&c, "max_queued_bytes 5g\nmax_write_buffer 1m\nmax_packet_size 256M\n"),
                     0);
    assert_int_equal(c.max_queued_bytes, 5ull << 30);
    assert_int_equal(c.max_write_buffer, 1u << 20);
    assert_int_equal(c.max_packet_size, 256u << 20);
    config_fini(&c);
    expect_error("max_packet_size 1G\n",
                 NAME ":1: max_packet_size: 1G is out of range (0 or 20..268435460)");
    expect_error("max_queued_bytes 99999999999G\n",
                 NAME ":1: max_queued_bytes: 99999999999G is out of range (0 or more)");
    expect_error("max_queued_bytes 10Q\n",
                 NAME ":1: max_queued_bytes: expected a number of "
                      "bytes (optionally with a k, M or G suffix), got '10Q'");
    expect_error("max_queued_bytes 10kB\n",
                 NAME ":1: max_queued_bytes: expected a number of "
                      "bytes (optionally with a k, M or G suffix), got '10kB'");
    expect_error("max_queued_bytes k\n",
                 NAME ":1: max_queued_bytes: expected a number of "
                      "bytes (optionally with a k, M or G suffix), got 'k'");
    /* Counts and seconds take no suffix. */
    expect_error("max_keepalive 1k\n", NAME ":1: max_keepalive: expected a whole number, got '1k'");
}

static void test_nul_byte_and_long_line(void **state)
{
    char path[] = "/tmp/petrel-test-confXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char nul[] = "max_keepalive 10\nthreads 1\0 2\n";
    assert_int_equal(write(fd, nul, sizeof nul - 1), (ssize_t)(sizeof nul - 1));
    close(fd);
    struct config c;
    config_defaults(&c);
    assert_int_equal(config_load(&c, path, err, sizeof err), -1);
    char want[256];
    snprintf(want, sizeof want, "%s:2: NUL byte in the line (is this a text file?)", path);
    assert_string_equal(err, want);
    config_fini(&c);
    unlink(path);

    /* 70,000 bytes on one line: an error with the line number, not a crash. */
    size_t n = 70000;
    char *text = malloc(n + 64);
    assert_non_null(text);
    strcpy(text, "threads 1\nacl_file ");
    size_t o = strlen(text);
    memset(text + o, 'a', n);
    strcpy(text + o + n, "\nthreads 2\n");
    expect_error(text, NAME ":2: line longer than 65536 bytes");
    /* A line of exactly the limit is fine. */
    const char *line2 = text + strlen("threads 1\n");
    strcpy(text + strlen("threads 1\n") + 65536, "\n");
    assert_int_equal(load(&c, line2), 0);
    assert_int_equal(strlen(c.acl_file), 65536 - strlen("acl_file "));
    config_fini(&c);
    free(text);
}

static void test_unreadable_file(void **state)
{
    struct config c;
    config_defaults(&c);
    assert_int_equal(config_load(&c, "/nonexistent/petrel.conf", err, sizeof err), -1);
    assert_string_equal(err, "/nonexistent/petrel.conf: No such file or directory");
    assert_int_equal(config_load(&c, "/tmp", err, sizeof err), -1);
    assert_string_equal(err, "/tmp: Is a directory");
    assert_int_equal(config_load(&c, "/nonexistent", NULL, 0), -1);
    config_fini(&c);
}

static void test_load_file(void **state)
{
    char path[] = "/tmp/petrel-test-confXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char text[] = "listener 1883\nusers_file users.properties\n"
                               "password_file /abs/passwd\n";
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    struct config c;
    config_defaults(&c);
    assert_int_equal(config_load(&c, path, err, sizeof err), 0);
    assert_string_equal(c.path, path);
    char *p = config_resolve_path(&c, c.users_file);
    assert_string_equal(p, "/tmp/users.properties");
    free(p);
    p = config_resolve_path(&c, c.password_file);
    assert_string_equal(p, "/abs/passwd");
    free(p);
    config_fini(&c);
    unlink(path);
}

static void test_resolve_path(void **state)
{
    struct config c;
    config_defaults(&c);
    char *p = config_resolve_path(&c, "users.properties"); /* no file: as given */
    assert_string_equal(p, "users.properties");
    free(p);
    assert_null(config_resolve_path(&c, NULL));
    static const struct {
        const char *conf, *path, *want;
    } cases[] = {
        {"etc/petrel.conf", "users.properties", "etc/users.properties"},
        {"etc/petrel.conf", "../data", "etc/../data"},
        {"/srv/b/etc/petrel.conf", "acl.conf", "/srv/b/etc/acl.conf"},
        {"/petrel.conf", "acl.conf", "/acl.conf"},
        {"petrel.conf", "acl.conf", "acl.conf"},
        {"etc/petrel.conf", "/abs/acl.conf", "/abs/acl.conf"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(config_load_string(&c, cases[i].conf, "", err, sizeof err), 0);
        p = config_resolve_path(&c, cases[i].path);
        assert_string_equal(p, cases[i].want);
        free(p);
        config_fini(&c);
        config_defaults(&c);
    }
}

static void test_reference_mentions_every_option(void **state)
{
    char *doc = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&doc, &n);
    assert_non_null(f);
    config_write_reference(f);
    fclose(f);
    assert_non_null(strstr(doc, "| key | argument | default | scope | reload | description |\n"));
    for (size_t i = 0; i < cfg_option_count; i++) {
        char row[96];
        snprintf(row, sizeof row, "\n| `%s` |", cfg_options[i].name);
        assert_non_null(strstr(doc, row));
    }
    assert_non_null(strstr(doc, "| `max_keepalive` | `0..65535` | `65535` | global | restart |"));
    assert_non_null(
        strstr(doc, "| `max_write_buffer` | `64k or more` | `8M` | global | restart |"));
    assert_non_null(strstr(doc, "| `allow_anonymous` | `true \\| false` | `false` | global | "
                                "reload |"));
    assert_non_null(strstr(doc, "| `max_connections` | `-1..2147483647` | `-1` | listener |"));
    assert_non_null(strstr(doc, "| `acl_file` | `PATH` | none | global | reload |"));
    assert_non_null(strstr(doc, "| `server_reference_mode` | `shutdown \\| temporary \\| moved` | "
                                "`shutdown` | global | restart |"));
    assert_non_null(strstr(doc, "| `response_information` | `PREFIX` | none | global |"));
    assert_non_null(strstr(doc, "| `log_type` | `error \\| warning \\| notice \\| information "
                                "\\| debug \\| all \\| none` | `error, warning, notice, "
                                "information` |"));
    free(doc);
}

/* Loading into a config that already holds values (reuse after fini) leaks nothing. */
static void test_reuse_after_error(void **state)
{
    struct config c;
    assert_int_equal(load(&c, "listener 1 ::1\nacl_file x\nlog_dest file y\nthreads -1\n"), -1);
    assert_int_equal(c.listener_count, 0);
    assert_null(c.acl_file);
    assert_null(c.log_file);
    assert_int_equal(config_load_string(&c, NAME, "listener 2\n", NULL, 0), 0);
    assert_int_equal(c.listeners[0].port, 2);
    config_fini(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_empty_and_comments),
        cmocka_unit_test(test_every_option_valid),
        cmocka_unit_test(test_whitespace_and_crlf),
        cmocka_unit_test(test_every_option_missing_value),
        cmocka_unit_test(test_every_number_range),
        cmocka_unit_test(test_error_texts),
        cmocka_unit_test(test_mqtt5_options),
        cmocka_unit_test(test_unknown_and_suggestions),
        cmocka_unit_test(test_listener_scoping),
        cmocka_unit_test(test_too_many_listeners),
        cmocka_unit_test(test_log_type_repeated),
        cmocka_unit_test(test_log_dest),
        cmocka_unit_test(test_duplicate_key_warns),
        cmocka_unit_test(test_byte_suffixes),
        cmocka_unit_test(test_nul_byte_and_long_line),
        cmocka_unit_test(test_unreadable_file),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_resolve_path),
        cmocka_unit_test(test_reference_mentions_every_option),
        cmocka_unit_test(test_reuse_after_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
