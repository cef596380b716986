/*
 * options.c - the option table: every configuration key, in one place.
 *
 * Adding an option is adding a row here and a field in struct config (or
 * struct config_listener); the parser, the defaults and the README's
 * reference pick it up from the row. Keys mosquitto has keep its names and
 * meanings. Only the user and ACL sources are reloadable (SIGHUP rebuilds
 * struct auth and swaps it in); everything else shapes threads, listeners
 * or memory limits already handed out, so it needs a restart.
 *
 * This file also holds the validate hooks and the key lookup (exact, and
 * the "did you mean" suggestion for typos).
 */
#include "cfg/options.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "util/log.h"

#define G(field) offsetof(struct config, field)
#define L(field) offsetof(struct config_listener, field)

/* Largest MQTT packet: a 268,435,455-byte remaining length plus a 5-byte
 * fixed header. The smallest useful limit (20) still fits a CONNECT. */
#define PACKET_SIZE_MAX 268435460
#define BYTES_MAX INT64_MAX

static int check_listener_address(const struct cfg_option *opt, const void *field, char *why,
                                  size_t cap);

/* clang-format off */
const struct cfg_option cfg_options[] = {
    {"listener", CFG_LISTENER, CFG_F_REPEAT, G(listeners), 0, 0, 65535, check_listener_address,
     "Accept MQTT connections on PORT (0 = any free port) at ADDRESS, an IP address or host name "
     "(default 127.0.0.1: this machine only; 0.0.0.0 or :: for every interface). Repeatable, up "
     "to 32."},
    {"max_connections", CFG_INT, CFG_F_LISTENER, L(max_connections), -1, -1, INT_MAX, NULL,
     "Connections this listener accepts at once; -1 = unlimited."},
    {"max_topic_alias", CFG_U32, CFG_F_LISTENER, L(max_topic_alias), 10, 0, 65535, NULL,
     "Topic Aliases an MQTT 5 client on this listener may use (announced as Topic Alias Maximum "
     "in CONNACK; 0 = none). It also bounds the aliases the broker assigns to the topics it "
     "sends to a client that accepts them: at most the smaller of this and the client's own "
     "maximum, the least recently used one reassigned when all are taken."},
    {"threads", CFG_INT, 0, G(threads), 0, 0, 1024, NULL,
     "Worker threads, each with its own event loop; 0 = one per CPU the process may run on."},
    {"allow_anonymous", CFG_BOOL, CFG_F_RELOAD, G(allow_anonymous), 0, 0, 1, NULL,
     "Let clients connect without a user name."},
    {"password_file", CFG_PATH, CFG_F_RELOAD, G(password_file), 0, 0, 0, NULL,
     "mosquitto password file (`user:hash` lines, as written by `petrel-passwd`)."},
    {"users_file", CFG_PATH, CFG_F_RELOAD, G(users_file), 0, 0, 0, NULL,
     "Apollo `users.properties` file (`user=password` lines; hashed values `$7$...`)."},
    {"groups_file", CFG_PATH, CFG_F_RELOAD, G(groups_file), 0, 0, 0, NULL,
     "Apollo `groups.properties` file (`group=user1|user2` lines), for `group` blocks in the ACL."},
    {"acl_file", CFG_PATH, CFG_F_RELOAD, G(acl_file), 0, 0, 0, NULL,
     "mosquitto ACL file, plus `group NAME` blocks; without one every client may use every topic."},
    {"persistence", CFG_BOOL, 0, G(persistence), 0, 0, 1, NULL,
     "Keep sessions, queued messages and retained messages on disk across restarts."},
    {"persistence_location", CFG_PATH, 0, G(persistence_location), 0, 0, 0, NULL,
     "Directory for the persistent store (default: `data/` beside this file)."},
    {"max_keepalive", CFG_U32, 0, G(max_keepalive), 65535, 0, 65535, NULL,
     "Largest keep-alive, in seconds, a client may ask for."},
    {"max_inflight_messages", CFG_U32, 0, G(max_inflight_messages), 20, 0, 65535, NULL,
     "QoS 1 and 2 messages sent to one client and not yet acknowledged; 0 = 65535."},
    {"max_queued_messages", CFG_U32, 0, G(max_queued_messages), 1000, 0, UINT32_MAX, NULL,
     "Messages queued for one session beyond the in-flight window; 0 = unlimited."},
    {"max_queued_bytes", CFG_U64, CFG_F_BYTES, G(max_queued_bytes), 0, 0, BYTES_MAX, NULL,
     "Payload bytes queued for one session; 0 = unlimited."},
    {"max_packet_size", CFG_U32, CFG_F_BYTES | CFG_F_ZERO_OK, G(max_packet_size), 0, 20,
     PACKET_SIZE_MAX, NULL,
     "Largest packet accepted from a client, in bytes; 0 = the protocol maximum."},
    {"max_write_buffer", CFG_U64, CFG_F_BYTES, G(max_write_buffer), 8 << 20, 64 << 10, BYTES_MAX,
     NULL, "Outgoing bytes buffered for one client. At the bound, reading from it pauses, QoS 0 messages for it are dropped (counted in $SYS) and QoS 1/2 messages wait in its session queue."},
    {"max_topic_length", CFG_U32, 0, G(max_topic_length), 65535, 1, 65535, NULL,
     "Longest topic name or filter, in bytes."},
    {"max_topic_levels", CFG_U32, 0, G(max_topic_levels), 256, 1, 65535, NULL,
     "Most `/`-separated levels in a topic name or filter."},
    {"max_subscriptions", CFG_U32, 0, G(max_subscriptions), 0, 0, UINT32_MAX, NULL,
     "Subscriptions one client may hold; 0 = unlimited."},
    {"receive_maximum", CFG_U32, 0, G(receive_maximum), 65535, 1, 65535, NULL,
     "QoS 1 and 2 messages an MQTT 5 client may have sent and not yet had acknowledged "
     "(announced as Receive Maximum in CONNACK when below 65535). A client that goes over it is "
     "disconnected with reason 0x93."},
    {"connect_timeout", CFG_U32, 0, G(connect_timeout), 10, 1, 3600, NULL,
     "Seconds a new connection has to send CONNECT before it is closed."},
    {"sys_interval", CFG_U32, 0, G(sys_interval), 10, 0, 86400, NULL,
     "Seconds between `$SYS/broker/...` updates; 0 = no `$SYS` topics."},
    {"log_dest", CFG_LOG_DEST, 0, G(log_dest), LOG_DEST_STDERR, 0, 0, NULL,
     "Where the log goes; `file PATH` appends to PATH."},
    {"log_type", CFG_LOG_TYPE, CFG_F_REPEAT, G(log_mask), LOG_MASK_DEFAULT, 0, 0, NULL,
     "Which messages are logged: error, warning, notice, information, debug, all or none. "
     "Repeatable: the first line replaces the default set, later lines add to it."},
};
/* clang-format on */

const size_t cfg_option_count = sizeof cfg_options / sizeof cfg_options[0];

/* A host name as RFC 1123 allows it: dot-separated labels of letters,
 * digits and inner hyphens, each 1..63 bytes, 253 bytes in all. */
static bool is_host_name(const char *s)
{
    size_t total = strlen(s), label = 0;
    if (total == 0 || total > 253)
        return false;
    for (const char *p = s; *p; p++) {
        if (*p == '.') {
            if (label == 0 || p[-1] == '-')
                return false;
            label = 0;
            continue;
        }
        if (!isalnum((unsigned char)*p) && !(*p == '-' && label > 0))
            return false;
        if (++label > 63)
            return false;
    }
    return label > 0 || s[total - 1] == '.';
}

static int check_listener_address(const struct cfg_option *opt, const void *field, char *why,
                                  size_t cap)
{
    const struct config_listener *l = field;
    unsigned char addr[16];
    if (l->address == NULL || inet_pton(AF_INET, l->address, addr) == 1 ||
        inet_pton(AF_INET6, l->address, addr) == 1 || is_host_name(l->address))
        return 0;
    char shown[80];
    snprintf(why, cap, "'%s' is not an IP address or host name",
             log_printable(slice_cstr(l->address), shown, sizeof shown));
    return -1;
}

const struct cfg_option *cfg_option_find(const char *name)
{
    for (size_t i = 0; i < cfg_option_count; i++) {
        if (strcmp(cfg_options[i].name, name) == 0)
            return &cfg_options[i];
    }
    return NULL;
}
