/*
 * common_qos.c - QoS 1 and 2 for the command-line client, both directions.
 *
 * Outgoing (petrel-pub): each QoS 1/2 PUBLISH sits in `tx` with the packet
 * it awaits: PUBACK (QoS 1), then PUBREC, then PUBCOMP (QoS 2). A PUBREC
 * with a code below 0x80 is answered with PUBREL [MQTT-4.3.3-4]; a v5
 * acknowledgement with a code of 0x80 or more means the broker refused the
 * message, and ends its flow (section 4.3.3; it also frees its place in
 * the Receive Maximum window [MQTT-3.3.4-7]). An acknowledgement for an id not awaiting it is a
 * protocol error: the broker's state and ours disagree, and a test tool
 * should say so rather than guess.
 *
 * Incoming (petrel-sub): QoS 1 is delivered, then PUBACK'd. QoS 2 uses
 * method B of figure 4.3: the message is delivered when the PUBLISH first
 * arrives, its id is remembered until PUBREL, and a PUBLISH with an id
 * still remembered is a redelivery, acknowledged again but not delivered
 * twice [MQTT-4.3.3-10]. PUBREL is answered with PUBCOMP [MQTT-4.3.3-11]
 * (5.0 numbering).
 *
 * The tables are small arrays scanned linearly: the window is at most
 * TX_WINDOW (20) or the broker's Receive Maximum in the tools' use.
 */
#include <string.h>

#include "cli/common.h"
#include "util/alloc.h"

static struct cli_tx *tx_find(struct cli_client *c, uint16_t id)
{
    for (size_t i = 0; i < c->tx_n; i++) {
        if (c->tx[i].id == id)
            return &c->tx[i];
    }
    return NULL;
}

static void tx_remove(struct cli_client *c, struct cli_tx *t)
{
    *t = c->tx[--c->tx_n]; /* order does not matter */
}

uint16_t cli_qos_next_id(struct cli_client *c)
{
    /* At most 65535 ids are in flight, so a free one is always found. */
    for (;;) {
        uint16_t id = c->next_id++;
        if (c->next_id == 0)
            c->next_id = 1; /* 0 is no packet id: 3.1.1 [MQTT-2.3.1-1], 5.0 [MQTT-2.2.1-3] */
        if (!tx_find(c, id))
            return id;
    }
}

int cli_qos_track(struct cli_client *c, uint16_t id, uint8_t qos)
{
    if (c->tx_n == c->tx_cap) {
        c->tx_cap = c->tx_cap ? c->tx_cap * 2 : 16;
        c->tx = xrealloc(c->tx, c->tx_cap * sizeof *c->tx);
    }
    c->tx[c->tx_n++] = (struct cli_tx){id, qos, qos == 1 ? MQTT_PUBACK : MQTT_PUBREC};
    return CLI_EXIT_OK;
}

static bool rx_has(const struct cli_client *c, uint16_t id, size_t *at)
{
    for (size_t i = 0; i < c->rx_n; i++) {
        if (c->rx[i] == id) {
            if (at)
                *at = i;
            return true;
        }
    }
    return false;
}

static void rx_add(struct cli_client *c, uint16_t id)
{
    if (c->rx_n == c->rx_cap) {
        c->rx_cap = c->rx_cap ? c->rx_cap * 2 : 16;
        c->rx = xrealloc(c->rx, c->rx_cap * sizeof *c->rx);
    }
    c->rx[c->rx_n++] = id;
}

static const char *type_name(uint8_t type)
{
    static const char *const names[] = {"PUBACK", "PUBREC", "PUBREL", "PUBCOMP"};
    return type >= MQTT_PUBACK && type <= MQTT_PUBCOMP ? names[type - MQTT_PUBACK] : "packet";
}

static int unexpected(struct cli_client *c, const struct mqtt_ack *a)
{
    cli_errorf(c->prog, "protocol error: %s for packet id %u, which awaits none",
               type_name(a->type), a->packet_id);
    return CLI_EXIT_PROTOCOL;
}

static void refused(struct cli_client *c, const struct mqtt_ack *a)
{
    c->refused++;
    cli_errorf(c->prog, "message %u refused by the broker (%s): %s (0x%02x)", a->packet_id,
               type_name(a->type), mqtt_rc_name(a->reason), a->reason);
}

static int on_ack(struct cli_client *c, const struct mqtt_ack *a)
{
    struct cli_tx *t = tx_find(c, a->packet_id);
    switch (a->type) {
    case MQTT_PUBACK:
        if (!t || t->wait != MQTT_PUBACK)
            return unexpected(c, a);
        break;
    case MQTT_PUBREC:
        /* A repeated PUBREC (while awaiting PUBCOMP) gets the PUBREL again. */
        if (!t || t->qos != 2)
            return unexpected(c, a);
        if (a->reason < 0x80) {
            t->wait = MQTT_PUBCOMP;
            return cli_client_send_ack(c, MQTT_PUBREL, a->packet_id, 0);
        }
        break;
    default: /* PUBCOMP */
        if (!t || t->wait != MQTT_PUBCOMP)
            return unexpected(c, a);
        break;
    }
    if (a->reason >= 0x80)
        refused(c, a);
    tx_remove(c, t);
    return CLI_EXIT_OK;
}

static int on_pubrel(struct cli_client *c, const struct mqtt_ack *a)
{
    size_t at;
    uint8_t reason = 0;
    if (rx_has(c, a->packet_id, &at))
        c->rx[at] = c->rx[--c->rx_n];
    else if (c->version >= MQTT_V5)
        reason = MQTT_RC_PACKET_IDENTIFIER_NOT_FOUND; /* table 3-7 */
    return cli_client_send_ack(c, MQTT_PUBCOMP, a->packet_id, reason);
}

static int on_publish(struct cli_client *c, const struct mqtt_publish *m)
{
    /* We send no Topic Alias Maximum, so the broker may not use aliases
     * [MQTT-3.1.2-27]. */
    if (MQTT_PROP_HAS(&m->props, MQTT_PROP_TOPIC_ALIAS)) {
        cli_errorf(c->prog, "protocol error: the broker sent a Topic Alias, which this client "
                            "did not allow [MQTT-3.1.2-27]");
        return CLI_EXIT_PROTOCOL;
    }
    bool seen = m->qos == 2 && rx_has(c, m->packet_id, NULL);
    /* Once the tool wants no more messages (-C reached), new ones stay
     * unacknowledged, so a persistent session gets them again later. */
    if (!c->accept && !seen)
        return CLI_EXIT_OK;
    if (!seen && c->on_message)
        c->on_message(c->arg, m);
    if (m->qos == 1)
        return cli_client_send_ack(c, MQTT_PUBACK, m->packet_id, 0);
    if (m->qos == 2) {
        if (!seen)
            rx_add(c, m->packet_id);
        return cli_client_send_ack(c, MQTT_PUBREC, m->packet_id, 0);
    }
    return CLI_EXIT_OK;
}

int cli_qos_on_packet(struct cli_client *c, const struct mqtt_packet *p)
{
    switch (p->type) {
    case MQTT_PUBLISH:
        return on_publish(c, &p->u.publish);
    case MQTT_PUBREL:
        return on_pubrel(c, &p->u.ack);
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBCOMP:
        return on_ack(c, &p->u.ack);
    }
    cli_errorf(c->prog, "protocol error: unexpected packet type %u from the broker", p->type);
    return CLI_EXIT_PROTOCOL;
}
