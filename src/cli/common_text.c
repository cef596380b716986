/*
 * common_text.c - the words of the command-line tools: CONNACK codes as
 * sentences, the exit-code table of --help, and the one-line packet
 * summaries of -d.
 *
 * -d prints packets in both directions through one printer that decodes
 * the bytes actually sent or received, so the debug output shows what went
 * on the wire (and a packet we built wrongly shows up as undecodable).
 */
#include <stdio.h>

#include "cli/common.h"

/* CONNACK codes in the words a user reads after "Connection refused: ". */
static const char *const v5_connack[256] = {
    [0x80] = "unspecified error",
    [0x81] = "malformed packet",
    [0x82] = "protocol error",
    [0x83] = "implementation specific error",
    [0x84] = "unsupported protocol version",
    [0x85] = "client identifier not valid",
    [0x86] = "bad user name or password",
    [0x87] = "not authorized",
    [0x88] = "server unavailable",
    [0x89] = "server busy",
    [0x8A] = "banned",
    [0x8C] = "bad authentication method",
    [0x90] = "topic name invalid",
    [0x95] = "packet too large",
    [0x97] = "quota exceeded",
    [0x99] = "payload format invalid",
    [0x9A] = "retain not supported",
    [0x9B] = "QoS not supported",
    [0x9C] = "use another server",
    [0x9D] = "server moved",
    [0x9F] = "connection rate exceeded",
};

/* 3.1.1 table 3.1. */
static const char *const v3_connack[] = {
    "accepted",           "unacceptable protocol version", "identifier rejected",
    "server unavailable", "bad user name or password",     "not authorized",
};

void cli_connack_explain(uint8_t version, uint8_t code, char *out, size_t out_len)
{
    if (version >= MQTT_V5) {
        const char *w = v5_connack[code] ? v5_connack[code] : mqtt_rc_name(code);
        snprintf(out, out_len, "Connection refused: %s (0x%02x)", w, code);
    } else {
        const char *w = code < sizeof v3_connack / sizeof v3_connack[0] ? v3_connack[code]
                                                                        : "unknown return code";
        snprintf(out, out_len, "Connection refused: %s (%u)", w, code);
    }
}

void cli_exit_codes_print(FILE *out, enum cli_tool tool)
{
    fprintf(out, "Exit status:\n");
    if (tool == CLI_PUB)
        fprintf(out, "  0  every message was sent, and acknowledged as its QoS requires\n");
    else
        fprintf(out, "  0  -C messages received, or stopped by SIGINT or SIGTERM\n");
    fprintf(out, "  1  bad arguments%s\n",
            tool == CLI_PUB ? ", or the message cannot be read" : "");
    fprintf(out, "  2  cannot connect: unknown host, connection refused or timed out\n");
    fprintf(out, "  3  the broker refused: the CONNACK code is printed in words%s\n",
            tool == CLI_PUB ? ", or an MQTT 5\n     PUBACK/PUBREC refused a message"
                            : ", or every\n     subscription was refused");
    if (tool == CLI_SUB)
        fprintf(out, "  4  -W seconds passed first\n");
    fprintf(out, "  5  protocol error, or the connection was lost\n");
}

static const char *const type_names[16] = {
    "RESERVED", "CONNECT",  "CONNACK",    "PUBLISH", "PUBACK",      "PUBREC",
    "PUBREL",   "PUBCOMP",  "SUBSCRIBE",  "SUBACK",  "UNSUBSCRIBE", "UNSUBACK",
    "PINGREQ",  "PINGRESP", "DISCONNECT", "AUTH",
};

#define S(sl) (int)(sl).len, (const char *)(sl).ptr

static void describe(const struct mqtt_packet *p, char *d, size_t n)
{
    const struct mqtt_connect *k = &p->u.connect;
    const struct mqtt_publish *m = &p->u.publish;
    switch (p->type) {
    case MQTT_CONNECT:
        snprintf(d, n, " (v%u, c%d, k%u, id '%.*s', u%d, p%d, will %d)", k->version, k->clean_start,
                 k->keep_alive, S(k->client_id), k->has_username, k->has_password, k->has_will);
        break;
    case MQTT_CONNACK:
        snprintf(d, n, " (session present %d, 0x%02x %s)", p->u.connack.session_present,
                 p->u.connack.reason, mqtt_rc_name(p->u.connack.reason));
        break;
    case MQTT_PUBLISH:
        snprintf(d, n, " (d%d, q%u, r%d, m%u, '%.*s', ... (%zu bytes))", m->dup, m->qos, m->retain,
                 m->packet_id, S(m->topic), m->payload.len);
        break;
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        snprintf(d, n, " (m%u, 0x%02x)", p->u.ack.packet_id, p->u.ack.reason);
        break;
    case MQTT_SUBSCRIBE:
        snprintf(d, n, " (m%u, %u filter%s)", p->u.subscribe.packet_id, p->u.subscribe.count,
                 p->u.subscribe.count == 1 ? "" : "s");
        break;
    case MQTT_UNSUBSCRIBE:
        snprintf(d, n, " (m%u, %u filter%s)", p->u.unsubscribe.packet_id, p->u.unsubscribe.count,
                 p->u.unsubscribe.count == 1 ? "" : "s");
        break;
    case MQTT_SUBACK:
    case MQTT_UNSUBACK: {
        size_t w = (size_t)snprintf(d, n, " (m%u", p->u.suback.packet_id);
        for (size_t i = 0; i < p->u.suback.reasons.len && w + 8 < n; i++)
            w += (size_t)snprintf(d + w, n - w, ", 0x%02x", p->u.suback.reasons.ptr[i]);
        snprintf(d + w, n - w, ")");
        break;
    }
    case MQTT_DISCONNECT:
        snprintf(d, n, " (0x%02x %s)", p->u.disconnect.reason,
                 mqtt_rc_name(p->u.disconnect.reason));
        break;
    default:
        d[0] = '\0';
    }
}

void cli_debug_packet(const char *prog, const char *verb, const uint8_t *bytes, size_t n,
                      uint8_t version, enum mqtt_sender sender)
{
    struct mqtt_frame f;
    struct mqtt_packet p;
    const struct mqtt_ctx cx = {version, sender};
    const char *why = "";
    int rc = mqtt_frame_parse(&f, bytes, n, 0, &why);
    if (rc == 0) {
        rc = -1;
        why = "incomplete";
    } else if (rc == 1) {
        rc = mqtt_packet_decode(&p, &f, &cx, &why);
    }
    if (rc < 0) {
        fprintf(stderr, "%s: %s a packet that does not decode (%zu bytes): %s\n", prog, verb, n,
                why);
        return;
    }
    char detail[512];
    describe(&p, detail, sizeof detail);
    fprintf(stderr, "%s: %s %s%s\n", prog, verb, type_names[p.type & 15], detail);
}
