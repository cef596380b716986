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
struct omsg;
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
/* Start-up (recover.c, before the worker runs): parks will m (a reference
 * the session takes) on s until at_ms (monotonic; now or earlier publishes
 * it as soon as the worker runs). */
void will_restore(struct worker *w, struct session *s, struct msg *m, uint64_t at_ms);
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

/* route.c: fan-out. */

/* What a publication reached. */
struct route_result {
    uint32_t matched; /* deliveries made (one per session, one per shared group) */
    uint32_t full;    /* of those at QoS 1/2, how many went to a session whose queue is full */
};

/* Sends m to every matching subscription, on this worker or via the
 * outbox of the session's owner; when every match is a QoS 1/2 delivery to
 * a session whose queue is full (matched == full), to none of them (each
 * counted as dropped). Does not take m's reference. */
struct route_result broker_route(struct worker *w, struct msg *m);
/* The same, taking m's reference (a borrowed message's stays the
 * caller's, msg.h), matching through the publisher's cache when it has
 * one (subtree.h). */
struct route_result broker_route_take(struct worker *w, struct msg *m,
                                      struct subtree_cache *cache);

/* Passes a delivery that came through a shared subscription to another
 * connected member of its group (other than d->sess): true when it did
 * (d's references went with it), false when there is none (d unchanged). */
bool broker_share_reroute(struct worker *w, struct delivery *d);

/* Hands the QoS 1/2 messages that came through shared subscriptions to
 * other connected members of their groups: queued ones, and inflight QoS 1
 * ones (a QoS 2 message already sent stays: [MQTT-4.8.2-4]
 * [MQTT-4.8.2-5]). For a session whose client went away or that ends.
 * Does nothing while the worker stops. */
void broker_share_handoff(struct worker *w, struct session *s);

/* Posts the deliveries collected for other workers (end of pass). */
void broker_flush_outboxes(struct worker *w);

/* Appends d (its references move) to the outbox for d->sess's worker. */
void broker_outbox_push(struct worker *w, struct delivery *d);

/* deliver.c: one session's outgoing messages. */

/* Delivers d to d->sess on its owner worker w: sends it now, queues it,
 * passes it to another member of its shared group, or drops it (counted)
 * when limits say so. Takes d's message, group and identifiers (not its
 * session reference). */
void broker_deliver(struct worker *w, struct delivery *d);

/* Releases what a delivery holds (message, group, identifiers). */
void broker_delivery_drop(struct delivery *d);

/* Sends s's inflight QoS 2 messages whose first send waited for a store
 * ticket up to `ticket` (durable.h). */
void broker_send_held(struct session *s, uint32_t ticket);

/* Re-sends, then sends queued messages while the client's send quota
 * (Receive Maximum, section 4.9) and output buffer allow. */
void broker_pump(struct session *s);

/* After a reconnect: re-sends PUBRELs at once, and the unacknowledged
 * PUBLISHes with DUP as the send quota allows, in their original order
 * [MQTT-4.4.0-1], the order 4.6 asks of a Client
 * [MQTT-4.6.0-1]; then pumps the queue. */
void broker_resume_session(struct client *c);

/* An outgoing QoS 1/2 exchange ended (PUBACK, PUBCOMP, or PUBREC >= 0x80):
 * frees o, returns a unit of send quota, and pumps. */
void broker_outgoing_done(struct client *c, struct omsg *o);

/* sys.c: publishes $SYS/broker/... (worker 0, every sys_interval). */
void sys_publish(struct worker *w);
void sys_init(struct worker *w);
void sys_fini(struct worker *w);

#endif
