/*
 * bench_pub.c - what petrel-bench's publishers send and its subscribers
 * count.
 *
 * A publisher sends while four gates are open, and parks on the first
 * one that is shut, to be woken by the event that opens it:
 *   - its socket: at most WRITE_HIGH bytes wait to be written (write done);
 *   - the QoS window (QoS 1/2): at most `window` messages not yet complete,
 *     the smaller of --window and the broker's Receive Maximum
 *     [MQTT-3.3.4-7] (an acknowledgement);
 *   - the end-to-end window: at most --e2e-window messages beyond the
 *     highest number every subscriber of it has received (their progress;
 *     at QoS 0, where the broker may drop, a publisher that waited a
 *     second assumes its messages lost and goes on: counted as a stall);
 *   - with --rate, the schedule (the loop's 1 ms timer).
 * The end-to-end window keeps a broker from queueing without bound, so the
 * run measures delivery, not how many messages a broker can buffer.
 *
 * Packet ids follow the sequence number (seq % 65535 + 1): with a window
 * below 65535 an acknowledgement's id names exactly one message in flight,
 * and the per-message state is one byte in a ring of `window` slots.
 */
#include <string.h>

#include "cli/bench.h"
#include "util/alloc.h"
#include "util/clock.h"

/* Bytes waiting to be written past which a publisher stops. */
#define WRITE_HIGH (256u * 1024u)
/* How many messages one publisher sends per pump call before others run. */
#define PUMP_BUDGET 64
/* At QoS 0, how long a publisher waits for subscribers that may never get
 * its messages (the broker dropped them) before it assumes they are lost. */
#define E2E_STALL_MS 1000u

/* Ring slot states. */
enum {
    SLOT_DONE = 0,
    SLOT_WAIT_ACK = 1,  /* PUBACK or PUBREC awaited */
    SLOT_WAIT_COMP = 2, /* PUBCOMP awaited */
};

static void wr_u64(uint8_t *p, uint64_t v)
{
    mqtt_wr_u32(p, (uint32_t)(v >> 32));
    mqtt_wr_u32(p + 4, (uint32_t)v);
}

static uint64_t rd_u64(const uint8_t *p)
{
    return ((uint64_t)mqtt_rd_u32(p) << 32) | mqtt_rd_u32(p + 4);
}

static void publish_template(const struct bench_pub *p, struct mqtt_publish *m,
                             const uint8_t *payload)
{
    const struct bench_opts *o = p->c.loop->run->o;
    memset(m, 0, sizeof *m);
    m->qos = o->qos;
    m->topic = p->topic;
    m->packet_id = o->qos ? 1 : 0;
    m->payload = slice_make(payload, o->size);
}

void bench_pub_ready(struct bench_pub *p, uint16_t receive_maximum)
{
    const struct bench_opts *o = p->c.loop->run->o;
    p->window = o->qos_window;
    if (receive_maximum && receive_maximum < p->window)
        p->window = receive_maximum;
    uint32_t ring = 1;
    while (ring < p->window)
        ring <<= 1;
    if (o->qos && !p->ring) {
        p->ring = xcalloc(ring, 1);
        p->ring_mask = ring - 1;
    }
    struct mqtt_publish m;
    publish_template(p, &m, p->c.loop->payload);
    p->packet_size = mqtt_publish_encode(NULL, 0, &m, o->version);
}

/* ---- Parking ---------------------------------------------------------------- */

static void park(struct bench_pub *p, enum bench_park why)
{
    struct bench_loop *l = p->c.loop;
    p->park = (uint8_t)why;
    if (why == BENCH_PARK_E2E) {
        p->parked_ms = uv_now(&l->uv);
        list_push(&l->blocked, &p->node);
        atomic_fetch_add_explicit(&l->e2e_waiting, 1, memory_order_relaxed);
    }
}

void bench_pub_wake(struct bench_pub *p)
{
    struct bench_loop *l = p->c.loop;
    if (p->park == BENCH_PARK_NONE || p->park == BENCH_PARK_DONE)
        return;
    if (p->park == BENCH_PARK_E2E) {
        list_unlink(&p->node);
        atomic_fetch_sub_explicit(&l->e2e_waiting, 1, memory_order_relaxed);
    }
    p->park = BENCH_PARK_NONE;
    list_push(&l->runnable, &p->node);
}

/* Looks at the subscribers' progress; true when p may send next_seq. */
static bool e2e_open(struct bench_pub *p)
{
    const struct bench_run *r = p->c.loop->run;
    uint64_t low = UINT64_MAX;
    if (r->o->mode == BENCH_PAIRS) {
        low = atomic_load_explicit(&r->pairs[p->c.index].progress, memory_order_relaxed);
    } else {
        /* Fan-in and fan-out: every subscriber hears every publisher. */
        for (uint32_t s = 0; s < r->nsubs; s++) {
            const struct bench_pair *pair = &r->pairs[(size_t)s * r->npubs + p->c.index];
            uint64_t v = atomic_load_explicit(&pair->progress, memory_order_relaxed);
            if (v < low)
                low = v;
        }
    }
    if (low < p->e2e_floor)
        low = p->e2e_floor;
    p->e2e_limit = low > UINT64_MAX - r->o->e2e_window ? UINT64_MAX : low + r->o->e2e_window;
    return p->next_seq < p->e2e_limit;
}

void bench_pub_recheck(struct bench_pub *p, uint64_t now_ms)
{
    struct bench_loop *l = p->c.loop;
    if (e2e_open(p)) {
        bench_pub_wake(p);
    } else if (l->run->o->qos == 0 && now_ms - p->parked_ms >= E2E_STALL_MS) {
        p->e2e_floor = p->next_seq;
        bench_stat_add(&l->st.stalls, 1);
        bench_pub_wake(p);
    }
}

/* Messages the schedule allows by now_ns (--rate). */
static uint64_t rate_due(const struct bench_pub *p, uint64_t now_ns)
{
    const struct bench_loop *l = p->c.loop;
    uint64_t start = l->run_start_ns + p->phase_ns;
    if (now_ns < start)
        return 0;
    return (uint64_t)((double)(now_ns - start) * 1e-9 * l->run->o->rate) + 1;
}

/* ---- Sending ------------------------------------------------------------------ */

static void send_one(struct bench_pub *p, uint64_t now_ns)
{
    struct bench_loop *l = p->c.loop;
    const struct bench_run *r = l->run;
    uint64_t seq = p->next_seq++;
    mqtt_wr_u32(l->payload, r->run_id);
    mqtt_wr_u32(l->payload + 4, p->c.index);
    wr_u64(l->payload + 8, seq);
    wr_u64(l->payload + 16, now_ns);
    struct mqtt_publish m;
    publish_template(p, &m, l->payload);
    if (r->o->qos) {
        m.packet_id = (uint16_t)(seq % 65535u + 1u);
        p->ring[seq & p->ring_mask] = SLOT_WAIT_ACK;
        p->inflight++;
    }
    bench_client_queue_publish(&p->c, &m, p->packet_size);
    bench_stat_add(&l->st.sent, 1);
}

/* Why p cannot send now, or BENCH_PARK_NONE. */
static enum bench_park gate(struct bench_pub *p, uint64_t now_ns)
{
    const struct bench_loop *l = p->c.loop;
    const struct bench_opts *o = l->run->o;
    if (p->c.state != BENCH_CS_READY || now_ns >= l->end_ns)
        return BENCH_PARK_DONE;
    if (buf_used(&p->c.out) + buf_used(&p->c.wbuf) >= WRITE_HIGH)
        return BENCH_PARK_WRITE;
    if (o->qos && p->next_seq - p->oldest >= p->window)
        return BENCH_PARK_ACK;
    if (p->next_seq >= p->e2e_limit && !e2e_open(p))
        return BENCH_PARK_E2E;
    if (o->rate && p->next_seq >= rate_due(p, now_ns))
        return BENCH_PARK_RATE;
    return BENCH_PARK_NONE;
}

void bench_pub_pump(struct bench_pub *p)
{
    /* One clock reading per pass (a reading costs as much as encoding a
     * message): the messages of a pass are stamped with its start, so
     * their latency can only read a little high, never low. */
    uint64_t now_ns = clock_mono_ns();
    for (int budget = PUMP_BUDGET; budget > 0; budget--) {
        enum bench_park why = gate(p, now_ns);
        if (why != BENCH_PARK_NONE) {
            park(p, why);
            return;
        }
        send_one(p, now_ns);
    }
}

/* ---- Acknowledgements -------------------------------------------------------- */

/* The message in flight with packet id `id`, or UINT64_MAX. */
static uint64_t seq_of(const struct bench_pub *p, uint16_t id)
{
    if (p->next_seq == 0 || id == 0)
        return UINT64_MAX;
    uint64_t last = p->next_seq - 1;
    uint64_t back = (last % 65535u + 65535u - (id - 1u)) % 65535u;
    if (back > last)
        return UINT64_MAX;
    uint64_t seq = last - back;
    return seq >= p->oldest ? seq : UINT64_MAX;
}

static void complete(struct bench_pub *p, uint8_t *slot)
{
    struct bench_loop *l = p->c.loop;
    *slot = SLOT_DONE;
    p->inflight--;
    bench_stat_add(&l->st.completed, 1);
    while (p->oldest < p->next_seq && p->ring[p->oldest & p->ring_mask] == SLOT_DONE)
        p->oldest++;
    if (p->park == BENCH_PARK_ACK)
        bench_pub_wake(p);
}

int bench_pub_on_ack(struct bench_pub *p, const struct mqtt_ack *a)
{
    struct bench_loop *l = p->c.loop;
    uint8_t qos = l->run->o->qos;
    uint64_t seq = qos ? seq_of(p, a->packet_id) : UINT64_MAX;
    if (seq == UINT64_MAX)
        return -1;
    if (a->reason >= 0x80) {
        bench_client_fail(&p->c, "the broker refused a message");
        return 1;
    }
    uint8_t *slot = &p->ring[seq & p->ring_mask];
    if (a->type == MQTT_PUBACK && qos == 1 && *slot == SLOT_WAIT_ACK) {
        p->acked++;
        bench_stat_add(&l->st.acked, 1);
        complete(p, slot);
    } else if (a->type == MQTT_PUBREC && qos == 2 && *slot != SLOT_DONE) {
        if (*slot == SLOT_WAIT_ACK) {
            p->acked++;
            bench_stat_add(&l->st.acked, 1);
        }
        *slot = SLOT_WAIT_COMP; /* a repeated PUBREC gets its PUBREL again */
        bench_client_queue_ack(&p->c, MQTT_PUBREL, a->packet_id);
    } else if (a->type == MQTT_PUBCOMP && qos == 2 && *slot == SLOT_WAIT_COMP) {
        complete(p, slot);
    } else {
        return -1;
    }
    return 0;
}

bool bench_pub_acked(const struct bench_pub *p, uint64_t seq)
{
    if (seq >= p->next_seq)
        return false;
    if (!p->ring || seq < p->oldest)
        return true;
    return p->ring[seq & p->ring_mask] != SLOT_WAIT_ACK;
}

/* ---- Subscribers ------------------------------------------------------------- */

void bench_sub_on_publish(struct bench_sub *s, const struct mqtt_publish *m, uint64_t now_ns)
{
    struct bench_loop *l = s->c.loop;
    struct bench_run *r = l->run;
    bench_stat_add(&l->st.recv_total, 1);
    const uint8_t *h = m->payload.ptr;
    if (m->payload.len < BENCH_HEADER_SIZE || mqtt_rd_u32(h) != r->run_id) {
        bench_stat_add(&l->st.foreign, 1);
        return;
    }
    uint32_t pub = mqtt_rd_u32(h + 4);
    if (pub < s->first_pub || pub - s->first_pub >= s->npubs) {
        bench_stat_add(&l->st.misrouted, 1);
        return;
    }
    struct bench_pair *pair = &r->pairs[s->first_pair + (pub - s->first_pub)];
    if (bench_seq_add(&pair->seq, rd_u64(h + 8)) == BENCH_SEQ_DUP)
        return;
    bench_stat_add(&l->st.recv_distinct, 1);
    atomic_store_explicit(&pair->progress, pair->seq.next, memory_order_relaxed);
    l->received = true;
    if (now_ns >= l->warm_end_ns && now_ns < l->end_ns) {
        uint64_t sent_ns = rd_u64(h + 16);
        bench_stat_add(&l->st.recv_window, 1);
        bench_hist_add(&l->hist, now_ns > sent_ns ? now_ns - sent_ns : 0);
    }
}
