/*
 * common_props.c - MQTT 5 properties from the command line: -D COMMAND NAME
 * VALUE, or -D COMMAND user-property KEY VALUE (mosquitto's syntax).
 *
 * A table lists the properties a client may send, their type and the
 * packets that may carry them (table 2-4 of the specification, limited to
 * what a client sends). Values are checked here, with the rule each
 * property's section states, so a bad value is an argument error (exit 1)
 * and not a broker's Protocol Error later. Properties that would need
 * client machinery we do not have (topic aliases, enhanced authentication)
 * are refused by name with a sentence saying so.
 *
 * String values are slices into argv; user properties are encoded at once
 * into the set's buffer and sent as the codec's passthrough block.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli/common.h"

#define CMD(c) (1u << CLI_CMD_##c)

enum prop_type { PV_BYTE = 1, PV_U16, PV_U32, PV_VARINT, PV_UTF8, PV_BIN, PV_TOPIC, PV_PAIR };

struct prop_name {
    const char *name;
    uint8_t id;
    uint8_t type; /* enum prop_type */
    uint8_t cmds; /* CMD(...) bits of the packets that may carry it */
    uint32_t min; /* integer range */
    uint32_t max;
    size_t off; /* field in struct mqtt_props (not for PV_PAIR) */
};

#define F(field) offsetof(struct mqtt_props, field)
#define MSG (CMD(PUBLISH) | CMD(WILL))
#define ALL ((1u << CLI_CMD_COUNT) - 1)

static const struct prop_name prop_names[] = {
    {"payload-format-indicator", MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, PV_BYTE, MSG, 0, 1,
     F(payload_format_indicator)},
    {"message-expiry-interval", MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, PV_U32, MSG, 0, UINT32_MAX,
     F(message_expiry_interval)},
    {"content-type", MQTT_PROP_CONTENT_TYPE, PV_UTF8, MSG, 0, 0, F(content_type)},
    /* [MQTT-3.3.2-14] the Response Topic has no wildcards. */
    {"response-topic", MQTT_PROP_RESPONSE_TOPIC, PV_TOPIC, MSG, 0, 0, F(response_topic)},
    {"correlation-data", MQTT_PROP_CORRELATION_DATA, PV_BIN, MSG, 0, 0, F(correlation_data)},
    /* 3.8.2.1.2: 1 to 268,435,455; 0 is a Protocol Error. */
    {"subscription-identifier", MQTT_PROP_SUBSCRIPTION_IDENTIFIER, PV_VARINT, CMD(SUBSCRIBE), 1,
     MQTT_MAX_VARINT, F(subscription_identifier)},
    {"session-expiry-interval", MQTT_PROP_SESSION_EXPIRY_INTERVAL, PV_U32,
     CMD(CONNECT) | CMD(DISCONNECT), 0, UINT32_MAX, F(session_expiry_interval)},
    {"request-problem-information", MQTT_PROP_REQUEST_PROBLEM_INFORMATION, PV_BYTE, CMD(CONNECT), 0,
     1, F(request_problem_information)},
    {"will-delay-interval", MQTT_PROP_WILL_DELAY_INTERVAL, PV_U32, CMD(WILL), 0, UINT32_MAX,
     F(will_delay_interval)},
    {"request-response-information", MQTT_PROP_REQUEST_RESPONSE_INFORMATION, PV_BYTE, CMD(CONNECT),
     0, 1, F(request_response_information)},
    /* 3.1.2.11.3 and .4: zero is a Protocol Error for both. */
    {"receive-maximum", MQTT_PROP_RECEIVE_MAXIMUM, PV_U16, CMD(CONNECT), 1, 65535,
     F(receive_maximum)},
    {"maximum-packet-size", MQTT_PROP_MAXIMUM_PACKET_SIZE, PV_U32, CMD(CONNECT), 1, UINT32_MAX,
     F(maximum_packet_size)},
    {"user-property", MQTT_PROP_USER_PROPERTY, PV_PAIR, ALL, 0, 0, 0},
};

/* Known names a client could send but these tools do not support. */
static const char *const unsupported[] = {"topic-alias", "topic-alias-maximum",
                                          "authentication-method", "authentication-data"};

static const char *const cmd_names[CLI_CMD_COUNT] = {
    [CLI_CMD_CONNECT] = "connect",       [CLI_CMD_PUBLISH] = "publish",
    [CLI_CMD_SUBSCRIBE] = "subscribe",   [CLI_CMD_UNSUBSCRIBE] = "unsubscribe",
    [CLI_CMD_DISCONNECT] = "disconnect", [CLI_CMD_WILL] = "will",
};

bool cli_prop_is_pair(const char *name)
{
    return name && strcmp(name, "user-property") == 0;
}

static int cmd_find(const char *name, enum cli_tool tool, char *err, size_t n)
{
    for (int i = 0; i < CLI_CMD_COUNT; i++) {
        if (strcasecmp(name, cmd_names[i]) != 0)
            continue;
        if ((tool == CLI_PUB && (i == CLI_CMD_SUBSCRIBE || i == CLI_CMD_UNSUBSCRIBE)) ||
            (tool == CLI_SUB && i == CLI_CMD_PUBLISH)) {
            snprintf(err, n, "-D %s: this tool sends no %s packet", name, cmd_names[i]);
            return -1;
        }
        return i;
    }
    snprintf(err, n,
             "-D: unknown packet '%s' (use connect, publish, subscribe, unsubscribe, "
             "disconnect or will)",
             name);
    return -1;
}

static const struct prop_name *prop_find(const char *name, char *err, size_t n)
{
    for (size_t i = 0; i < sizeof prop_names / sizeof prop_names[0]; i++) {
        if (strcmp(name, prop_names[i].name) == 0)
            return &prop_names[i];
    }
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++) {
        if (strcmp(name, unsupported[i]) == 0) {
            snprintf(err, n, "-D: property '%s' is not supported by this tool", name);
            return NULL;
        }
    }
    snprintf(err, n, "-D: unknown property '%s'", name);
    return NULL;
}

static bool fits_u16(const char *s)
{
    return strlen(s) <= 65535;
}

static void put_str(struct buf *b, const char *s)
{
    size_t n = strlen(s);
    uint8_t len[2];
    mqtt_wr_u16(len, (uint16_t)n);
    buf_append(b, len, 2);
    buf_append(b, s, n);
}

static int add_pair(struct cli_props *set, const char *key, const char *value, char *err, size_t n)
{
    if (!value) {
        snprintf(err, n, "-D user-property needs a name and a value");
        return -1;
    }
    if (!fits_u16(key) || !fits_u16(value) || !mqtt_utf8_valid(slice_cstr(key)) ||
        !mqtt_utf8_valid(slice_cstr(value))) {
        snprintf(err, n, "-D user-property: name and value must be UTF-8, up to 65535 bytes");
        return -1;
    }
    uint8_t id = MQTT_PROP_USER_PROPERTY;
    buf_append(&set->user, &id, 1);
    put_str(&set->user, key);
    put_str(&set->user, value);
    return 0;
}

static int set_number(struct mqtt_props *p, const struct prop_name *d, const char *value, char *err,
                      size_t n)
{
    unsigned long v = 0;
    if (!cli_parse_ulong(value, d->min, d->max, &v)) {
        snprintf(err, n, "-D %s: '%s' is not a number from %lu to %lu", d->name, value,
                 (unsigned long)d->min, (unsigned long)d->max);
        return -1;
    }
    char *field = (char *)p + d->off;
    if (d->type == PV_BYTE)
        *(uint8_t *)field = (uint8_t)v;
    else if (d->type == PV_U16)
        *(uint16_t *)field = (uint16_t)v;
    else
        *(uint32_t *)field = (uint32_t)v;
    return 0;
}

static int set_string(struct mqtt_props *p, const struct prop_name *d, const char *value, char *err,
                      size_t n)
{
    struct slice s = slice_cstr(value);
    bool ok = fits_u16(value);
    if (d->type == PV_UTF8)
        ok = ok && mqtt_utf8_valid(s);
    else if (d->type == PV_TOPIC)
        ok = ok && mqtt_topic_name_valid(s);
    if (!ok) {
        snprintf(err, n, "-D %s: '%s' is not a valid %s", d->name, value,
                 d->type == PV_TOPIC  ? "topic name"
                 : d->type == PV_UTF8 ? "UTF-8 string of up to 65535 bytes"
                                      : "value of up to 65535 bytes");
        return -1;
    }
    *(struct slice *)((char *)p + d->off) = s;
    return 0;
}

int cli_props_add(struct cli_props props[CLI_CMD_COUNT], enum cli_tool tool, const char *cmd,
                  const char *name, const char *value, const char *value2, char *err,
                  size_t err_len)
{
    int c = cmd_find(cmd, tool, err, err_len);
    if (c < 0)
        return -1;
    const struct prop_name *d = prop_find(name, err, err_len);
    if (!d)
        return -1;
    if (!(d->cmds & (1u << c))) {
        snprintf(err, err_len, "-D: property '%s' is not allowed in %s", name, cmd_names[c]);
        return -1;
    }
    struct cli_props *set = &props[c];
    if (d->type == PV_PAIR)
        return add_pair(set, value, value2, err, err_len);
    if (MQTT_PROP_HAS(&set->p, d->id)) {
        snprintf(err, err_len, "-D: property '%s' given twice for %s", name, cmd_names[c]);
        return -1;
    }
    bool numeric = d->type <= PV_VARINT;
    int rc = numeric ? set_number(&set->p, d, value, err, err_len)
                     : set_string(&set->p, d, value, err, err_len);
    if (rc == 0)
        set->p.present |= MQTT_PROP_BIT(d->id);
    return rc;
}

void cli_props_finish(struct cli_props props[CLI_CMD_COUNT])
{
    for (int i = 0; i < CLI_CMD_COUNT; i++) {
        struct buf *u = &props[i].user;
        props[i].p.passthrough = slice_make(u->len ? buf_head(u) : NULL, buf_used(u));
    }
}

void cli_props_fini(struct cli_props props[CLI_CMD_COUNT])
{
    for (int i = 0; i < CLI_CMD_COUNT; i++) {
        buf_fini(&props[i].user);
        props[i].p.passthrough = SLICE_NULL;
    }
}
