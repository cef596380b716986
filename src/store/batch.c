/*
 * batch.c - appending operations to a struct store_batch, and decoding
 * them again on the store thread (batch.h gives the layout).
 *
 * Each append reserves the operation's whole size once and writes the
 * fields through a cursor: one bounds check per operation, no allocation
 * once the buffer has reached the size a loop pass needs (the buffer is
 * recycled by store_batch_commit, not freed).
 */
#include "store/batch.h"

#include <assert.h>
#include <string.h>

/* ---- Writing ------------------------------------------------------------ */

struct cursor {
    uint8_t *p;
};

static void put_u8(struct cursor *c, uint8_t v)
{
    *c->p++ = v;
}

static void put_u16(struct cursor *c, uint16_t v)
{
    memcpy(c->p, &v, sizeof v);
    c->p += sizeof v;
}

static void put_u32(struct cursor *c, uint32_t v)
{
    memcpy(c->p, &v, sizeof v);
    c->p += sizeof v;
}

static void put_u64(struct cursor *c, uint64_t v)
{
    memcpy(c->p, &v, sizeof v);
    c->p += sizeof v;
}

static void put_bytes(struct cursor *c, struct slice s)
{
    put_u32(c, (uint32_t)s.len);
    if (s.len)
        memcpy(c->p, s.ptr, s.len);
    c->p += s.len;
}

/* Starts an operation of size n (kind byte included); the caller writes
 * exactly n bytes through the cursor. */
static struct cursor begin(struct store_batch *b, uint8_t kind, size_t n)
{
    struct cursor c = {buf_reserve(&b->log, n)};
    b->log.len += n;
    b->nops++;
    put_u8(&c, kind);
    return c;
}

/* Every length is stored as a u32; the broker's packet limit keeps each
 * field far below that. */
static size_t var(struct slice s)
{
    assert(s.len <= UINT32_MAX);
    return 4 + s.len;
}

void store_batch_init(struct store_batch *b)
{
    b->log = (struct buf)BUF_INIT;
    b->nops = 0;
}

void store_batch_fini(struct store_batch *b)
{
    buf_fini(&b->log);
    b->nops = 0;
}

void store_msg_put(struct store_batch *b, const struct store_msg_rec *m)
{
    size_t n = 1 + 8 + 8 + 1 + 1 + var(m->topic) + var(m->payload) + var(m->props);
    struct cursor c = begin(b, STORE_OP_MSG_PUT, n);
    put_u64(&c, m->seq);
    put_u64(&c, m->expiry_ms);
    put_u8(&c, m->qos);
    put_u8(&c, m->retain);
    put_bytes(&c, m->topic);
    put_bytes(&c, m->payload);
    put_bytes(&c, m->props);
}

static void put_seq_op(struct store_batch *b, uint8_t kind, uint64_t seq)
{
    struct cursor c = begin(b, kind, 1 + 8);
    put_u64(&c, seq);
}

void store_msg_del(struct store_batch *b, uint64_t seq)
{
    put_seq_op(b, STORE_OP_MSG_DEL, seq);
}

void store_retain_set(struct store_batch *b, struct slice topic, uint64_t msg_seq)
{
    struct cursor c = begin(b, STORE_OP_RETAIN_SET, 1 + 8 + var(topic));
    put_u64(&c, msg_seq);
    put_bytes(&c, topic);
}

void store_retain_del(struct store_batch *b, struct slice topic)
{
    struct cursor c = begin(b, STORE_OP_RETAIN_DEL, 1 + var(topic));
    put_bytes(&c, topic);
}

void store_session_put(struct store_batch *b, const struct store_session_rec *s)
{
    size_t n = 1 + 8 + 4 + 8 + 4 + 8 + 2 + 1 + var(s->client_id) + var(s->username);
    struct cursor c = begin(b, STORE_OP_SESSION_PUT, n);
    put_u64(&c, s->seq);
    put_u32(&c, s->expiry_interval);
    put_u64(&c, s->will_msg);
    put_u32(&c, s->will_delay);
    put_u64(&c, s->offline_at_ms);
    put_u16(&c, s->next_pid);
    put_u8(&c, s->has_username);
    put_bytes(&c, s->client_id);
    put_bytes(&c, s->has_username ? s->username : SLICE_NULL);
}

void store_session_del(struct store_batch *b, uint64_t sess_seq)
{
    put_seq_op(b, STORE_OP_SESSION_DEL, sess_seq);
}

void store_sub_put(struct store_batch *b, const struct store_sub_rec *s)
{
    struct cursor c = begin(b, STORE_OP_SUB_PUT, 1 + 8 + 4 + 1 + var(s->filter));
    put_u64(&c, s->sess);
    put_u32(&c, s->sub_id);
    put_u8(&c, s->opts);
    put_bytes(&c, s->filter);
}

void store_sub_del(struct store_batch *b, uint64_t sess_seq, struct slice filter)
{
    struct cursor c = begin(b, STORE_OP_SUB_DEL, 1 + 8 + var(filter));
    put_u64(&c, sess_seq);
    put_bytes(&c, filter);
}

void store_entry_put(struct store_batch *b, const struct store_entry_rec *e)
{
    struct cursor c = begin(b, STORE_OP_ENTRY_PUT, 1 + 8 + 8 + 8 + 4 + 2 + 1 + 1 + 1);
    put_u64(&c, e->seq);
    put_u64(&c, e->sess);
    put_u64(&c, e->msg);
    put_u32(&c, e->sub_id);
    put_u16(&c, e->pid);
    put_u8(&c, e->qos);
    put_u8(&c, e->flags);
    put_u8(&c, e->state);
}

void store_entry_update(struct store_batch *b, uint64_t entry_seq, uint8_t state, uint16_t pid)
{
    struct cursor c = begin(b, STORE_OP_ENTRY_UPDATE, 1 + 8 + 2 + 1);
    put_u64(&c, entry_seq);
    put_u16(&c, pid);
    put_u8(&c, state);
}

void store_entry_del(struct store_batch *b, uint64_t entry_seq)
{
    put_seq_op(b, STORE_OP_ENTRY_DEL, entry_seq);
}

static void put_qos2_op(struct store_batch *b, uint8_t kind, uint64_t sess, uint16_t pid)
{
    struct cursor c = begin(b, kind, 1 + 8 + 2);
    put_u64(&c, sess);
    put_u16(&c, pid);
}

void store_qos2_put(struct store_batch *b, uint64_t sess_seq, uint16_t pid)
{
    put_qos2_op(b, STORE_OP_QOS2_PUT, sess_seq, pid);
}

void store_qos2_del(struct store_batch *b, uint64_t sess_seq, uint16_t pid)
{
    put_qos2_op(b, STORE_OP_QOS2_DEL, sess_seq, pid);
}

/* ---- Reading ------------------------------------------------------------ */

struct reader {
    const uint8_t *p, *end;
    bool bad;
};

static const uint8_t *take(struct reader *r, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = true;
        return NULL;
    }
    const uint8_t *at = r->p;
    r->p += n;
    return at;
}

static uint8_t get_u8(struct reader *r)
{
    const uint8_t *p = take(r, 1);
    return p ? *p : 0;
}

static uint16_t get_u16(struct reader *r)
{
    uint16_t v = 0;
    const uint8_t *p = take(r, sizeof v);
    if (p)
        memcpy(&v, p, sizeof v);
    return v;
}

static uint32_t get_u32(struct reader *r)
{
    uint32_t v = 0;
    const uint8_t *p = take(r, sizeof v);
    if (p)
        memcpy(&v, p, sizeof v);
    return v;
}

static uint64_t get_u64(struct reader *r)
{
    uint64_t v = 0;
    const uint8_t *p = take(r, sizeof v);
    if (p)
        memcpy(&v, p, sizeof v);
    return v;
}

static struct slice get_bytes(struct reader *r)
{
    uint32_t n = get_u32(r);
    const uint8_t *p = take(r, n);
    return p && n ? slice_make(p, n) : SLICE_NULL;
}

static void get_msg(struct reader *r, struct store_msg_rec *m)
{
    m->seq = get_u64(r);
    m->expiry_ms = get_u64(r);
    m->qos = get_u8(r);
    m->retain = get_u8(r) != 0;
    m->topic = get_bytes(r);
    m->payload = get_bytes(r);
    m->props = get_bytes(r);
}

static void get_session(struct reader *r, struct store_session_rec *s)
{
    s->seq = get_u64(r);
    s->expiry_interval = get_u32(r);
    s->will_msg = get_u64(r);
    s->will_delay = get_u32(r);
    s->offline_at_ms = get_u64(r);
    s->next_pid = get_u16(r);
    s->has_username = get_u8(r) != 0;
    s->client_id = get_bytes(r);
    s->username = get_bytes(r);
}

static void get_entry(struct reader *r, struct store_entry_rec *e)
{
    e->seq = get_u64(r);
    e->sess = get_u64(r);
    e->msg = get_u64(r);
    e->sub_id = get_u32(r);
    e->pid = get_u16(r);
    e->qos = get_u8(r);
    e->flags = get_u8(r);
    e->state = get_u8(r);
}

static void get_body(struct reader *r, struct store_op *op)
{
    switch (op->kind) {
    case STORE_OP_MSG_PUT:
        get_msg(r, &op->u.msg);
        break;
    case STORE_OP_MSG_DEL:
    case STORE_OP_SESSION_DEL:
    case STORE_OP_ENTRY_DEL:
        op->u.seq = get_u64(r);
        break;
    case STORE_OP_RETAIN_SET:
        op->u.retain.msg = get_u64(r);
        op->u.retain.topic = get_bytes(r);
        break;
    case STORE_OP_RETAIN_DEL:
        op->u.retain.msg = 0;
        op->u.retain.topic = get_bytes(r);
        break;
    case STORE_OP_SESSION_PUT:
        get_session(r, &op->u.session);
        break;
    case STORE_OP_SUB_PUT:
    case STORE_OP_SUB_DEL:
        op->u.sub.sess = get_u64(r);
        op->u.sub.sub_id = op->kind == STORE_OP_SUB_PUT ? get_u32(r) : 0;
        op->u.sub.opts = op->kind == STORE_OP_SUB_PUT ? get_u8(r) : 0;
        op->u.sub.filter = get_bytes(r);
        break;
    case STORE_OP_ENTRY_PUT:
        get_entry(r, &op->u.entry);
        break;
    case STORE_OP_ENTRY_UPDATE:
        memset(&op->u.entry, 0, sizeof op->u.entry);
        op->u.entry.seq = get_u64(r);
        op->u.entry.pid = get_u16(r);
        op->u.entry.state = get_u8(r);
        break;
    case STORE_OP_QOS2_PUT:
    case STORE_OP_QOS2_DEL:
        op->u.qos2.sess = get_u64(r);
        op->u.qos2.pid = get_u16(r);
        break;
    default:
        r->bad = true;
    }
}

size_t store_op_decode(const uint8_t *p, size_t n, struct store_op *op)
{
    struct reader r = {p, p + n, false};
    op->kind = get_u8(&r);
    get_body(&r, op);
    return r.bad ? 0 : (size_t)(r.p - p);
}

uint64_t store_op_key(const struct store_op *op)
{
    switch (op->kind) {
    case STORE_OP_MSG_PUT:
        return op->u.msg.seq;
    case STORE_OP_SESSION_PUT:
        return op->u.session.seq;
    case STORE_OP_ENTRY_PUT:
    case STORE_OP_ENTRY_UPDATE:
        return op->u.entry.seq;
    case STORE_OP_MSG_DEL:
    case STORE_OP_SESSION_DEL:
    case STORE_OP_ENTRY_DEL:
        return op->u.seq;
    case STORE_OP_QOS2_PUT:
    case STORE_OP_QOS2_DEL:
        return store_qos2_key(op->u.qos2.sess, op->u.qos2.pid);
    default:
        return 0;
    }
}
