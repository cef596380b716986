/*
 * msg.c - published messages (see msg.h).
 */
#include "broker/msg.h"

#include <stdlib.h>
#include <string.h>

#include "mqtt/mqtt.h"
#include "util/alloc.h"

/* Properties a broker must not forward as received: the alias is per
 * connection [MQTT-3.3.2-7], subscription ids are the receiver's own
 * [MQTT-3.3.4-6], and the expiry is rewritten with the time left
 * [MQTT-3.3.2-6]. */
#define DROP_ON_FORWARD                                                                            \
    (MQTT_PROP_BIT(MQTT_PROP_TOPIC_ALIAS) | MQTT_PROP_BIT(MQTT_PROP_SUBSCRIPTION_IDENTIFIER) |     \
     MQTT_PROP_BIT(MQTT_PROP_MESSAGE_EXPIRY_INTERVAL))

static struct msg *msg_alloc(size_t topic_len, size_t props_len, size_t payload_len)
{
    struct msg *m = xmalloc(sizeof *m + topic_len + props_len + payload_len);
    memset(m, 0, sizeof *m);
    atomic_init(&m->refs, 1);
    uint8_t *p = (uint8_t *)(m + 1);
    m->topic = slice_make(p, topic_len);
    m->props = slice_make(p + topic_len, props_len);
    m->payload = slice_make(p + topic_len + props_len, payload_len);
    return m;
}

struct msg *msg_new(struct slice topic, struct slice payload, uint8_t qos, bool retain,
                    struct slice props, uint64_t origin, uint64_t now_ms)
{
    struct msg *m = msg_alloc(topic.len, props.len, payload.len);
    uint8_t *base = (uint8_t *)(m + 1);
    if (topic.len)
        memcpy(base, topic.ptr, topic.len);
    if (props.len)
        memcpy(base + topic.len, props.ptr, props.len);
    if (payload.len)
        memcpy(base + topic.len + props.len, payload.ptr, payload.len);
    m->qos = qos;
    m->retain = retain;
    m->origin = origin;
    m->created_ms = now_ms;
    return m;
}

/* Builds a message from decoded wire properties, keeping those not in
 * drop (filtered straight into the message, no temporary copy). */
static struct msg *msg_from_wire(struct slice topic, struct slice payload, uint8_t qos,
                                 bool retain, const struct mqtt_props *props, uint64_t drop,
                                 uint64_t origin, uint64_t now_ms)
{
    size_t props_len = 0;
    if (props->raw.len)
        props_len = mqtt_props_filter(props->raw, drop, NULL, 0);
    struct msg *m = msg_alloc(topic.len, props_len, payload.len);
    uint8_t *base = (uint8_t *)(m + 1);
    memcpy(base, topic.ptr, topic.len);
    if (props_len)
        mqtt_props_filter(props->raw, drop, base + topic.len, props_len);
    if (payload.len)
        memcpy(base + topic.len + props_len, payload.ptr, payload.len);
    m->qos = qos;
    m->retain = retain;
    m->origin = origin;
    m->created_ms = now_ms;
    if (MQTT_PROP_HAS(props, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL)) {
        m->has_expiry = true;
        m->expiry_interval = props->message_expiry_interval;
    }
    return m;
}

struct msg *msg_from_publish(const struct mqtt_publish *p, struct slice topic, uint64_t origin,
                             uint64_t now_ms)
{
    return msg_from_wire(topic, p->payload, p->qos, p->retain, &p->props, DROP_ON_FORWARD, origin,
                         now_ms);
}

struct msg *msg_from_will(const struct mqtt_will *w, uint64_t now_ms)
{
    /* The delay is the broker's business, not the receivers' (MQTT 5.0
     * section 3.1.3.2); the expiry is rewritten as for any message. */
    uint64_t drop = MQTT_PROP_BIT(MQTT_PROP_WILL_DELAY_INTERVAL) |
                    MQTT_PROP_BIT(MQTT_PROP_MESSAGE_EXPIRY_INTERVAL);
    return msg_from_wire(w->topic, w->payload, w->qos, w->retain, &w->props, drop, 0, now_ms);
}

void msg_unref(struct msg *m)
{
    if (m == NULL)
        return;
    if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1) {
        for (unsigned i = 0; i < MSG_WIRE_FORMS; i++)
            free(atomic_load_explicit(&m->wire[i], memory_order_relaxed));
        free(m);
    }
}

bool msg_remaining(const struct msg *m, uint64_t now_ms, uint32_t *left)
{
    if (!m->has_expiry) {
        *left = 0;
        return true;
    }
    uint64_t elapsed = (now_ms - m->created_ms) / 1000u;
    if (elapsed >= m->expiry_interval)
        return false;
    *left = m->expiry_interval - (uint32_t)elapsed;
    return true;
}
