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
/* Refuses a CONNECT: logs, sends CONNACK rc (3.1.1: its return code) with
 * a Reason String `why` where allowed, closes without the will. */
void broker_connect_refuse(struct client *c, uint8_t rc, const char *why);
/* Credentials decided (c->req->auth_result): refuse, or go on to the
 * session's worker and CONNACK. */
void broker_connect_authenticated(struct client *c);
/* A CONNECT over the packet size limit (c is CLIENT_NEW): returns true
 * when more bytes are needed to tell its protocol level, else refuses it
 * (MQTT 5: CONNACK 0x95; others: close) and returns false. */
bool broker_connect_too_large(struct client *c);

/* connack.c: the success CONNACK with its properties (from c->req), and
 * a refusal's CONNACK (Reason String; Server Reference for 0x9C/0x9D). */
void broker_connack_success(struct client *c, bool session_present);
void broker_connack_refusal(struct client *c, uint8_t rc, const char *why);

/* will.c (see its file comment). */
/* c is closing without DISCONNECT 0x00 and has a will (c->will): publishes
 * it now or parks it on c's session for its delay. Takes c->will. */
void will_on_close(struct client *c);
/* A new connection continues s: a parked will is dropped [MQTT-3.1.3-9]. */
void will_cancel(struct worker *w, struct session *s);
/* Ends s (session_end), publishing its parked will first. */
void broker_session_end(struct worker *w, struct session *s);
/* The worker's will_timer callback: publishes the wills now due. */
void broker_will_timer(uv_timer_t *t);

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

/* Posts the deliveries collected for other workers (end of pass). */
void broker_flush_outboxes(struct worker *w);

/* sys.c: publishes $SYS/broker/... (worker 0, every sys_interval). */
void sys_publish(struct worker *w);
void sys_init(struct worker *w);
void sys_fini(struct worker *w);

#endif
