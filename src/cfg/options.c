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
static int check_response_information(const struct cfg_option *opt, const void *field, char *why,
                                      size_t cap);
static int check_server_reference(const struct cfg_option *opt, const void *field, char *why,
                                  size_t cap);

static const char *const redirect_words[] = {"shutdown", "temporary", "moved", NULL};
static const char *const sync_words[] = {"full", "normal", "off", NULL};

/* clang-format off */
const struct cfg_option cfg_options[] = {
    {"listener", CFG_LISTENER, CFG_F_REPEAT, G(listeners), 0, 0, 65535, check_listener_address,
     "Accept MQTT connections on PORT (0 = any free port) at ADDRESS, an IP address or host name "
     "(default 127.0.0.1: this machine only; 0.0.0.0 or :: for every interface). Repeatable, up "
     "to 32.", NULL, NULL},
    {"max_connections", CFG_INT, CFG_F_LISTENER, L(max_connections), -1, -1, INT_MAX, NULL,
     "Connections this listener accepts at once; -1 = unlimited. Past it, a new connection's "
     "CONNECT is refused with 0x97 Quota exceeded (3.1.1: return code 3).", NULL, NULL},
    {"max_topic_alias", CFG_U32, CFG_F_LISTENER, L(max_topic_alias), 10, 0, 65535, NULL,
     "Topic Aliases an MQTT 5 client on this listener may use (announced as Topic Alias Maximum "
     "in CONNACK; 0 = none). It also bounds the aliases the broker assigns to the topics it "
     "sends to a client that accepts them: at most the smaller of this and the client's own "
     "maximum, the least recently used one reassigned when all are taken.", NULL, NULL},
    {"threads", CFG_INT, 0, G(threads), 0, 0, 1024, NULL,
     "Worker threads, each with its own event loop; 0 = one per CPU the process may run on.",
     NULL, NULL},
    {"allow_anonymous", CFG_BOOL, CFG_F_RELOAD, G(allow_anonymous), 0, 0, 1, NULL,
     "Let clients connect without a user name.", NULL, NULL},
    {"password_file", CFG_PATH, CFG_F_RELOAD, G(password_file), 0, 0, 0, NULL,
     "mosquitto password file (`user:hash` lines, as written by `petrel-passwd`).", NULL, NULL},
    {"users_file", CFG_PATH, CFG_F_RELOAD, G(users_file), 0, 0, 0, NULL,
     "Apollo `users.properties` file (`user=password` lines; hashed values `$7$...`).", NULL, NULL},
    {"groups_file", CFG_PATH, CFG_F_RELOAD, G(groups_file), 0, 0, 0, NULL,
     "Apollo `groups.properties` file (`group=user1|user2` lines), for `group` blocks in the ACL.",
     NULL, NULL},
    {"acl_file", CFG_PATH, CFG_F_RELOAD, G(acl_file), 0, 0, 0, NULL,
     "mosquitto ACL file, plus `group NAME` blocks; without one every client may use every topic.",
     NULL, NULL},
    {"persistence", CFG_BOOL, 0, G(persistence), 0, 0, 1, NULL,
     "Keep sessions, queued messages and retained messages on disk across restarts.", NULL, NULL},
    {"persistence_location", CFG_PATH, 0, G(persistence_location), 0, 0, 0, NULL,
     "Directory holding the persistent store, `petrel.db` (default: the instance's `data/` "
     "for an instance's `etc/petrel.conf`, else the current directory).", NULL, NULL},
    {"persistence_sync", CFG_ENUM, 0, G(persistence_sync), CONFIG_SYNC_FULL, 0, 0, NULL,
     "How a commit reaches the disk: `full` syncs every commit (nothing acknowledged is lost, "
     "even on power loss); `normal` syncs at checkpoints (a power loss may lose the last "
     "commits, a crash of petrel loses nothing); `off` never syncs (for tests).",
     sync_words, NULL},
    {"persistence_commit_interval", CFG_U32, 0, G(persistence_commit_interval), 0, 0, 10000,
     NULL,
     "Milliseconds the store waits to gather more changes into one commit; 0 = commit what "
     "each event-loop pass produced at once. Larger values mean fewer syncs and slower "
     "acknowledgements.", NULL, NULL},
    {"persistence_max_size", CFG_U64, CFG_F_BYTES | CFG_F_ZERO_OK, G(persistence_max_size), 0,
     1 << 20, BYTES_MAX, NULL,
     "Largest size of the store file, in bytes; a commit that needs more fails like a full "
     "disk. 0 = unlimited.", NULL, NULL},
    {"max_keepalive", CFG_U32, 0, G(max_keepalive), 65535, 0, 65535, NULL,
     "Largest keep-alive, in seconds, a client may ask for.", NULL, NULL},
    {"max_inflight_messages", CFG_U32, 0, G(max_inflight_messages), 20, 0, 65535, NULL,
     "QoS 1 and 2 messages sent to one client and not yet acknowledged; 0 = 65535.", NULL, NULL},
    {"max_queued_messages", CFG_U32, 0, G(max_queued_messages), 1000, 0, UINT32_MAX, NULL,
     "Messages queued for one session beyond the in-flight window; 0 = unlimited.", NULL, NULL},
    {"max_queued_bytes", CFG_U64, CFG_F_BYTES, G(max_queued_bytes), 0, 0, BYTES_MAX, NULL,
     "Payload bytes queued for one session; 0 = unlimited.", NULL, NULL},
    {"max_packet_size", CFG_U32, CFG_F_BYTES | CFG_F_ZERO_OK, G(max_packet_size), 0, 20,
     PACKET_SIZE_MAX, NULL,
     "Largest packet accepted from a client, in bytes; 0 = the protocol maximum.", NULL, NULL},
    {"max_write_buffer", CFG_U64, CFG_F_BYTES, G(max_write_buffer), 8 << 20, 64 << 10, BYTES_MAX,
     NULL, "Outgoing bytes buffered for one client. At the bound, reading from it pauses, QoS 0 messages for it are dropped (counted in $SYS) and QoS 1/2 messages wait in its session queue.",
     NULL, NULL},
    {"max_topic_length", CFG_U32, 0, G(max_topic_length), 65535, 1, 65535, NULL,
     "Longest topic name or filter, in bytes.", NULL, NULL},
    {"max_topic_levels", CFG_U32, 0, G(max_topic_levels), 256, 1, 65535, NULL,
     "Most `/`-separated levels in a topic name or filter.", NULL, NULL},
    {"max_subscriptions", CFG_U32, 0, G(max_subscriptions), 0, 0, UINT32_MAX, NULL,
     "Subscriptions one client may hold; 0 = unlimited.", NULL, NULL},
    {"receive_maximum", CFG_U32, 0, G(receive_maximum), 65535, 1, 65535, NULL,
     "QoS 1 and 2 messages an MQTT 5 client may have sent and not yet had acknowledged "
     "(announced as Receive Maximum in CONNACK when below 65535). A client that goes over it is "
     "disconnected with reason 0x93.", NULL, NULL},
    {"connect_timeout", CFG_U32, 0, G(connect_timeout), 10, 1, 3600, NULL,
     "Seconds a new connection has to send CONNECT before it is closed.", NULL, NULL},
    {"max_client_id_length", CFG_U32, 0, G(max_client_id_length), 65535, 23, 65535, NULL,
     "Longest client identifier accepted, in bytes; a longer one is refused (MQTT 5: CONNACK "
     "0x85, 3.1.1: return code 2). At least 23, which every broker must accept.", NULL, NULL},
    {"max_qos", CFG_U32, 0, G(max_qos), 2, 0, 2, NULL,
     "Highest QoS the broker accepts from clients and grants in SUBACK. Below 2, MQTT 5 clients "
     "are told (Maximum QoS in CONNACK). A PUBLISH above it closes the connection (MQTT 5: "
     "DISCONNECT 0x9B); a will above it refuses the CONNECT (0x9B; 3.1.1: return code 3).",
     NULL, NULL},
    {"retain_available", CFG_BOOL, 0, G(retain_available), 1, 0, 1, NULL,
     "Whether clients may publish retained messages. When false, MQTT 5 clients are told "
     "(Retain Available 0 in CONNACK), a retained PUBLISH closes the connection (MQTT 5: "
     "DISCONNECT 0x9A) and a retained will refuses the CONNECT (0x9A; 3.1.1: return code 3).",
     NULL, NULL},
    {"reason_strings", CFG_BOOL, 0, G(reason_strings), 1, 0, 1, NULL,
     "Whether the broker adds a human-readable Reason String to the MQTT 5 packets it sends "
     "with a failure code (CONNACK, DISCONNECT, PUBACK, PUBREC, SUBACK); never to a client "
     "that set Request Problem Information to 0, except on CONNACK and DISCONNECT.", NULL, NULL},
    {"response_information", CFG_STRING, 0, G(response_information), 0, 0, 0,
     check_response_information,
     "Response Information for MQTT 5 clients that ask for it (Request Response Information "
     "1): this prefix followed by the client identifier, e.g. `reply/` gives `reply/sensor-1`. "
     "Unset: none is sent.",
     NULL, "PREFIX"},
    {"server_reference", CFG_STRING, 0, G(server_reference), 0, 0, 0, check_server_reference,
     "Another broker for MQTT 5 clients to use (Server Reference): one or more `HOST[:PORT]` "
     "separated by spaces, IPv6 addresses in brackets. When it is given depends on "
     "`server_reference_mode`.",
     NULL, "HOST[:PORT] ..."},
    {"server_reference_mode", CFG_ENUM, 0, G(server_reference_mode), CONFIG_REDIRECT_SHUTDOWN, 0,
     0, NULL,
     "`shutdown`: at shutdown MQTT 5 clients get DISCONNECT 0x9C (Use another server) with "
     "`server_reference` instead of 0x8B. `temporary` / `moved`: every new connection is "
     "refused, MQTT 5 with CONNACK 0x9C / 0x9D (Server moved) and the reference, 3.1.1 with "
     "return code 3 (Server unavailable).",
     redirect_words, NULL},
    {"sys_interval", CFG_U32, 0, G(sys_interval), 10, 0, 86400, NULL,
     "Seconds between `$SYS/broker/...` updates; 0 = no `$SYS` topics.", NULL, NULL},
    {"log_dest", CFG_LOG_DEST, 0, G(log_dest), LOG_DEST_STDERR, 0, 0, NULL,
     "Where the log goes; `file PATH` appends to PATH.", NULL, NULL},
    {"log_type", CFG_LOG_TYPE, CFG_F_REPEAT, G(log_mask), LOG_MASK_DEFAULT, 0, 0, NULL,
     "Which messages are logged: error, warning, notice, information, debug, all or none. "
     "Repeatable: the first line replaces the default set, later lines add to it.", NULL, NULL},
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

/* Continuation bytes after lead byte c; 4 = not a lead byte. */
static unsigned utf8_tail(unsigned c)
{
    if (c < 0x80)
        return 0;
    if ((c & 0xE0) == 0xC0)
        return 1;
    if ((c & 0xF0) == 0xE0)
        return 2;
    return (c & 0xF8) == 0xF0 ? 3 : 4;
}

/* Well-formed UTF-8 without control characters (a config line holds no
 * NUL); the broker sends these strings in MQTT 5 properties, which must
 * be valid UTF-8 [MQTT-1.5.4-1]. */
static bool is_clean_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p, n = utf8_tail(c);
        if (n == 4 || (n == 0 && (c < 0x20 || c == 0x7F)))
            return false;
        uint32_t cp = n == 0 ? c : c & (0x3Fu >> n);
        for (unsigned i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3Fu);
        }
        static const uint32_t min[] = {0, 0x80, 0x800, 0x10000};
        if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        p += n + 1;
    }
    return true;
}

static int check_response_information(const struct cfg_option *opt, const void *field, char *why,
                                      size_t cap)
{
    const char *s = *(char *const *)field;
    if (!is_clean_utf8(s)) {
        snprintf(why, cap, "must be UTF-8 text without control characters");
        return -1;
    }
    if (strpbrk(s, "+#") != NULL) {
        /* It is the start of a topic name, where wildcards have no place [MQTT-3.3.2-2]. */
        snprintf(why, cap, "must not contain the wildcards '+' or '#'");
        return -1;
    }
    return 0;
}

/* One reference: NAME[:PORT] or [IPV6][:PORT] (MQTT 5.0 section 4.11). */
static bool is_reference(const char *s, size_t n)
{
    char host[256];
    const char *colon = NULL;
    size_t hn = n;
    if (n > 0 && s[0] == '[') {
        const char *end = memchr(s, ']', n);
        if (end == NULL)
            return false;
        hn = (size_t)(end - s) - 1;
        if (hn == 0 || hn >= sizeof host)
            return false;
        memcpy(host, s + 1, hn);
        host[hn] = '\0';
        unsigned char addr[16];
        if (inet_pton(AF_INET6, host, addr) != 1)
            return false;
        colon = end + 1 < s + n ? end + 1 : NULL;
        if (colon && *colon != ':')
            return false;
    } else {
        colon = memchr(s, ':', n);
        hn = colon ? (size_t)(colon - s) : n;
        if (hn == 0 || hn >= sizeof host)
            return false;
        memcpy(host, s, hn);
        host[hn] = '\0';
        if (!is_host_name(host))
            return false;
    }
    if (colon == NULL)
        return true;
    size_t pn = (size_t)(s + n - colon - 1);
    long port = 0;
    for (size_t i = 1; i <= pn && pn <= 5; i++) {
        if (colon[i] < '0' || colon[i] > '9')
            return false;
        port = port * 10 + (colon[i] - '0');
    }
    return pn >= 1 && pn <= 5 && port >= 1 && port <= 65535;
}

static int check_server_reference(const struct cfg_option *opt, const void *field, char *why,
                                  size_t cap)
{
    const char *s = *(char *const *)field;
    char shown[80];
    for (const char *p = s; *p;) {
        size_t n = strcspn(p, " \t");
        if (!is_reference(p, n)) {
            snprintf(why, cap, "'%s' is not HOST, HOST:PORT or [IPV6]:PORT",
                     log_printable(slice_make(p, n), shown, sizeof shown));
            return -1;
        }
        p += n;
        p += strspn(p, " \t");
    }
    return 0;
}

const struct cfg_option *cfg_option_find(const char *name)
{
    for (size_t i = 0; i < cfg_option_count; i++) {
        if (strcmp(cfg_options[i].name, name) == 0)
            return &cfg_options[i];
    }
    return NULL;
}
