/*
 * broker.h - how the broker's files call each other: packet handlers
 * (connect.c, publish.c, subscribe.c, handle.c), routing and delivery
 * (route.c), $SYS (sys.c) and the worker (worker.c).
 *
 * Everything here runs on the worker thread that owns the client or
 * session passed in, unless a comment says otherwise.
 */
#ifndef PETREL_BROKER_BROKER_H
#define PETREL_BROKER_BROKER_H

#include <stdbool.h>
#include <stdint.h>

#include "broker/client.h"
#include "broker/server.h"
#include "mqtt/mqtt.h"

struct msg;
struct session;
struct connect_req;

/* handle.c: dispatches one framed packet by type and state. */
void broker_handle_packet(struct client *c, const struct mqtt_frame *f);

/* connect.c */
void broker_handle_connect(struct client *c, const struct mqtt_frame *f);
/* A client moved to this worker (TASK_MIGRATE): finish its CONNECT here. */
void broker_connect_arrived(struct worker *w, struct client *c);
void broker_connect_req_free(struct connect_req *r);

/* publish.c: PUBLISH from a client, acknowledgements both ways. */
void broker_handle_publish(struct client *c, const struct mqtt_frame *f);
void broker_handle_ack(struct client *c, const struct mqtt_frame *f);

/* subscribe.c */
void broker_handle_subscribe(struct client *c, const struct mqtt_frame *f);
void broker_handle_unsubscribe(struct client *c, const struct mqtt_frame *f);

/* route.c: sends m to every matching subscription, on this worker or via
 * the outbox of the session's owner. Returns the number of subscriptions
 * it went to. Does not take m's reference. */
uint32_t broker_route(struct worker *w, struct msg *m);

/* Delivers m to session s on its owner worker w, at qos with the given
 * retain flag: sends it now, queues it, or drops it (counted) when limits
 * say so. Takes ownership of one reference to m. */
void broker_deliver(struct worker *w, struct session *s, struct msg *m, uint8_t qos, bool retain,
                    uint32_t sub_id);

/* broker_deliver with the stored queue entry the message has for s (0 = none). */
void broker_deliver_entry(struct worker *w, struct session *s, struct msg *m, uint8_t qos,
                          bool retain, uint32_t sub_id, uint64_t entry);

/* Queues a delivery for session s of another worker (posted at the pass
 * end). Takes the caller's references to m and s. */
void broker_outbox_push(struct worker *w, struct session *s, struct msg *m, uint8_t qos,
                        bool retain, uint32_t sub_id, uint64_t entry);

/* Sends s's inflight QoS 2 messages whose first send waited for a store
 * ticket up to `ticket` (durable.h). */
void broker_send_held(struct session *s, uint32_t ticket);

/* Sends queued messages while the client's window and buffer allow. */
void broker_pump(struct session *s);

/* After a reconnect: re-sends inflight messages (DUP) and PUBRELs, in
 * order [MQTT-4.4.0-1], then pumps the queue. */
void broker_resume_session(struct client *c);

/* Publishes c's will (ACL permitting) and clears it. */
void broker_publish_will(struct client *c);

/* Posts the deliveries collected for other workers (end of pass). */
void broker_flush_outboxes(struct worker *w);

/* sys.c: publishes $SYS/broker/... (worker 0, every sys_interval). */
void sys_publish(struct worker *w);
void sys_init(struct worker *w);
void sys_fini(struct worker *w);

#endif
